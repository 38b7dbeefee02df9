import { describe, expect, it } from '@jest/globals';
import { choiceFlag, describeInteger, integerFlag, integerIn, numberFlag } from './flag-values';
import { UsageError } from './usage-error';

const size = Object.freeze({ min: 16, max: 1024, default: 224 });

describe('integerIn', () => {
  it.each([
    ['64', { min: 32 }, 64],
    ['32', { min: 32 }, 32],
    ['16', { min: 32 }, undefined],
    ['1024', { min: 16, max: 1024 }, 1024],
    ['1025', { min: 16, max: 1024 }, undefined],
    ['2.5e2', { min: 1 }, undefined],
    ['1.5', { min: 1 }, undefined],
    ['-1', { min: -5 }, undefined],
    [' 8', { min: 1 }, undefined],
    ['', { min: 0 }, undefined],
    ['9007199254740993', { min: 0 }, undefined], // above Number.MAX_SAFE_INTEGER
  ] as const)('%j in %j is %s', (text, range, n) => {
    expect(integerIn(text, range)).toBe(n);
  });
});

describe('integerFlag', () => {
  it('reads the value, or the default when the flag is absent', () => {
    expect(integerFlag('--size', '64', size)).toBe(64);
    expect(integerFlag('--size', undefined, size)).toBe(224);
  });

  it.each([
    ['8', size, '--size "8" is not valid; expected an integer from 16 to 1024'],
    ['big', { min: 1, default: 224 }, '--size "big" is not valid; expected an integer of at least 1'],
  ])('refuses %j', (text, range, message) => {
    expect(() => integerFlag('--size', text, range)).toThrow(new UsageError(message));
  });

  it('describes the range for other messages', () => {
    expect(describeInteger({ min: 0, max: 9 })).toBe('an integer from 0 to 9');
    expect(describeInteger({ min: 1 })).toBe('an integer of at least 1');
  });
});

describe('choiceFlag', () => {
  const splits = Object.freeze(['test', 'train', 'all'] as const);
  it('reads one of the choices, or the fallback', () => {
    expect(choiceFlag('--split', 'all', splits, 'test')).toBe('all');
    expect(choiceFlag('--split', undefined, splits, 'test')).toBe('test');
  });
  it('refuses another value, listing the choices', () => {
    expect(() => choiceFlag('--split', 'dev', splits, 'test')).toThrow(
      new UsageError('--split "dev" is not a valid choice; expected one of test, train, all'),
    );
  });
});

describe('numberFlag', () => {
  it('reads decimal and exponent notation inside the open range', () => {
    expect(numberFlag('--delta', '1e-5', { above: 0, below: 1 })).toBe(1e-5);
    expect(numberFlag('--x', '0.25', { above: 0 })).toBe(0.25);
    expect(numberFlag('--x', '.5', { above: 0 })).toBe(0.5);
  });
  it.each(['0', '1', 'abc', ' 0.5', '0x1', 'Infinity', 'NaN', ''])(
    'refuses %j naming the flag and range',
    (t) => {
      expect(() => numberFlag('--delta', t, { above: 0, below: 1 })).toThrow(
        `--delta "${t}" is not valid; expected a number above 0 and below 1`,
      );
    },
  );
  it('refuses a missing value', () => {
    expect(() => numberFlag('--epsilon', undefined, { above: 0 })).toThrow(
      'missing --epsilon; expected a number above 0',
    );
  });
});
