import { describe, expect, it } from '@jest/globals';
import { KeyedSerial } from './keyed-serial';

describe('KeyedSerial', () => {
  it('never interleaves tasks of one key, even when one fails', async () => {
    const serial = new KeyedSerial();
    const trace: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        trace.push(`${name}:start`);
        await new Promise((r) => setImmediate(r));
        trace.push(`${name}:end`);
        if (fail) throw new Error(name);
      };
    const a = serial.run('s', task('a', true));
    const b = serial.run('s', task('b'));
    await expect(a).rejects.toThrow('a');
    await b;
    expect(trace).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
  });

  it('runs different keys concurrently', async () => {
    const serial = new KeyedSerial();
    const trace: string[] = [];
    const task = (name: string) => async () => {
      trace.push(`${name}:start`);
      await new Promise((r) => setImmediate(r));
      trace.push(`${name}:end`);
    };
    await Promise.all([serial.run('x', task('x')), serial.run('y', task('y'))]);
    expect(trace.slice(0, 2)).toEqual(['x:start', 'y:start']);
  });
});
