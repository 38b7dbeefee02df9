import { describe, expect, it } from '@jest/globals';
import { UsageError } from '@fedaln/cli-flags';
import { parseSimArgs } from './cli-args';

describe('parseSimArgs', () => {
  it('defaults to the issue-15 phantom study: phantom v2, 3 sites × 324 cases, 3 × 300 external, densenet-tiny at 64 px', () => {
    const o = parseSimArgs([])!;
    expect(o.phantom).toEqual({ sites: 3, cases: 324, externalSites: 3, externalCases: 300, version: 2 });
    expect(parseSimArgs(['--phantom-version', '1'])!.phantom?.version).toBe(1);
    expect([o.schedule, o.adaptExternal]).toEqual(['cosine', true]);
    const before = parseSimArgs(['--lr-schedule', 'constant', '--adapt-external', 'fedbn'])!;
    expect([before.schedule, before.adaptExternal]).toEqual(['constant', false]);
    expect([o.arch, o.inputSize, o.seeds, o.validationFraction]).toEqual(['densenet-tiny', 64, [1], 0.2]);
    expect(o.strategies).toEqual(['central', 'local', 'fedavg', 'fedprox', 'fedbn', 'fedadam']);
    expect(o.strategyOptions).toEqual({
      mu: 0.01,
      fedAdam: { learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
    });
  });

  it('takes site folders, strategies and seeds', () => {
    const o = parseSimArgs([
      '--site',
      'a',
      '--site',
      'b',
      '--external',
      'c',
      '--strategies',
      'fedavg,central',
      '--seeds',
      '3,4',
    ])!;
    expect([o.phantom, o.siteDirs, o.externalDirs, o.strategies, o.seeds]).toEqual([
      null,
      ['a', 'b'],
      ['c'],
      ['fedavg', 'central'],
      [3, 4],
    ]);
  });

  it.each([
    [
      ['--strategies', 'fedavg,fedsgd'],
      /--strategies "fedavg,fedsgd" names "fedsgd", which is not a strategy; expected/,
    ],
    [['--external', 'c'], /--external needs --site/],
    [['--phantom-version', '3'], /--phantom-version "3" is not a valid choice; expected one of 1, 2/],
    [
      ['--lr-schedule', 'step'],
      /--lr-schedule "step" is not a valid choice; expected one of constant, cosine/,
    ],
    [
      ['--adapt-external', 'none'],
      /--adapt-external "none" is not a valid choice; expected one of all, fedbn/,
    ],
    [['--site', 'a'], /--site needs at least one --external/],
    [['--seeds', '1,x'], /--seeds "x" is not valid/],
    [
      ['--validation-fraction', '1'],
      /--validation-fraction "1" is not valid; expected a number above 0 and below 1/,
    ],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError);
    expect(() => parseSimArgs(argv)).toThrow(message);
  });

  it('returns null for --help', () => {
    expect(parseSimArgs(['--help'])).toBeNull();
  });
});
