import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './app-config';
import { CRASH_POINTS, parseCrashPoint, POST_TRAINING_CRASH_POINTS } from './crash-point';

const fail = (name: string, value: string, expected: string) => new Error(`${name}=${value}: ${expected}`);

describe('FEDALN_CRASH_AT (test hook)', () => {
  it('is inert unless set', () => {
    expect(parseCrashPoint(undefined, fail)).toBeNull();
    expect(parseCrashPoint('', fail)).toBeNull();
    expect(loadConfig({}, {}, '/tmp').crashAt).toBeNull();
  });

  it('takes every named point', () => {
    for (const p of [...CRASH_POINTS, ...POST_TRAINING_CRASH_POINTS])
      expect(loadConfig({ FEDALN_CRASH_AT: p }, {}, '/tmp').crashAt).toBe(p);
  });

  it('refuses an unknown point, naming the variable and the choices', () => {
    expect(() => loadConfig({ FEDALN_CRASH_AT: 'round:nope' }, {}, '/tmp')).toThrow(
      /FEDALN_CRASH_AT="round:nope" is invalid: expected unset \(a test hook\), or one of round:opened, /,
    );
  });
});
