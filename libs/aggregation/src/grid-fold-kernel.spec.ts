import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

describe('grid-fold.wasm.ts', () => {
  it('holds the bytes wasm/grid-fold.wat compiles to (npm run build:wasm -w @fedaln/aggregation)', () => {
    expect(() =>
      execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-wasm.cjs'), '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
