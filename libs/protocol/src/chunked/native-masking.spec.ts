import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { nativeFrameMasking } from './native-masking';

describe('nativeFrameMasking', () => {
  it('is true exactly when bufferutil loads its native addon, not its JavaScript fallback', () => {
    const load = createRequire(__filename);
    let native = false;
    try {
      // Reference: node-gyp-build, which bufferutil's index.js calls, finds the prebuilt addon or throws.
      load('node-gyp-build')(load.resolve('bufferutil').replace(/[/\\]index\.js$/, ''));
      native = true;
    } catch {
      native = false;
    }
    expect(nativeFrameMasking()).toBe(native);
  });
});
