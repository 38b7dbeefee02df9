import { describe, expect, it } from '@jest/globals';
import { parseFlags } from './parse-flags';
import { UsageError } from './usage-error';

const options = Object.freeze({
  out: { type: 'string' },
  seed: { type: 'string', short: 's' },
  preview: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const);
const expected = Object.freeze({ seed: 'expected an integer from 0 to 9' });
const parse = (args: string[], allowPositionals = false) =>
  parseFlags({ args, options, allowPositionals, help: 'tool --help', expected });

/** What `f` throws (failing the test when it throws nothing). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}

describe('parseFlags', () => {
  it('returns typed values, positionals and tokens as parseArgs does', () => {
    const r = parse(['--out', 'd', '-s', '3', 'a.png', '--preview', '--', '--not-a-flag'], true);
    expect(r.values).toEqual({ out: 'd', seed: '3', preview: true });
    expect(r.positionals).toEqual(['a.png', '--not-a-flag']);
    expect(r.tokens.filter((t) => t.kind === 'option').map((t) => t.name)).toEqual([
      'out',
      'seed',
      'preview',
    ]);
    expect(parse(['--seed=-1']).values.seed).toBe('-1');
  });

  it.each([
    [['--colour'], 'unknown flag "--colour"; expected one of --out, --seed, --preview (see tool --help)'],
    [['-x'], 'unknown flag "-x"; expected one of --out, --seed, --preview (see tool --help)'],
    [
      ['--constructor'],
      'unknown flag "--constructor"; expected one of --out, --seed, --preview (see tool --help)',
    ],
    [['--out'], '--out needs a value; see tool --help'],
    [['--seed'], '--seed needs a value; expected an integer from 0 to 9'],
    [['-s', '--out', 'd'], '--seed needs a value; expected an integer from 0 to 9'],
    [['--out', '-h'], '--out needs a value; see tool --help'],
    [['--seed', '-1'], '--seed "-1" starts with "-" like a flag; if it is the value, write --seed=-1'],
    [['--preview=yes'], '--preview takes no value; write just --preview'],
    [['--out', 'd', 'extra'], 'unexpected argument "extra"; see tool --help'],
    // The first word strict parsing refuses is the one named.
    [['--preview=no', '--colour'], '--preview takes no value; write just --preview'],
  ])('refuses %j: %s', (args, text) => {
    const err = thrown(() => parse(args));
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ message: text, exitCode: 2 });
  });

  it('lets errors that are not about the command line through', () => {
    const bad = { args: [], options: { x: { type: 'number' as 'string' } }, help: 'tool --help' };
    const err = thrown(() => parseFlags(bad));
    expect(err).not.toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
