import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rdpFixtures, type RdpCase } from '../fixtures/reference';

// Spawns the built bin: the root `npm test` runs `npm run build` first (pretest).
const pkg = join(__dirname, '..');
const bin = join(pkg, 'bin/fedaln-privacy.js');
// mpmath (50 digits) reference values from libs/privacy/fixtures/make_fixtures.py.
const fixtures = rdpFixtures;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function spawnBin(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
type Flags = Record<string, string | number | undefined>;
/** The command line `command --flag value …` (a flag whose value is undefined is left out). */
const cmd = (command: string, flags: Flags, ...extra: string[]): string[] => [
  command,
  ...Object.entries(flags).flatMap(([flag, v]) => (v === undefined ? [] : [`--${flag}`, String(v)])),
  ...extra,
];
const caseFlags = (c: RdpCase): Flags => ({
  'noise-multiplier': c.noise_multiplier,
  'sampling-rate': c.sampling_rate,
  steps: c.steps,
  delta: c.delta,
});
const VALID: Flags = { 'noise-multiplier': 1, 'sampling-rate': 0.1, steps: 10, delta: '1e-5' };
/** `epsilon` with valid flags except `changes`. */
const epsilonWith = (changes: Flags): string[] => cmd('epsilon', { ...VALID, ...changes });
const sigmaFlags = { 'sampling-rate': 0.02, steps: 5000, delta: '1e-5' };

beforeAll(() => {
  if (!existsSync(join(pkg, 'dist/cli.js')))
    throw new Error(
      'libs/privacy/dist/cli.js is missing: build first (`npm run build` or `npx tsc -b libs/privacy`)',
    );
});

describe('fedaln-privacy', () => {
  it.each(fixtures.cases.map((c) => [c.why, c] as const))(
    'epsilon --json agrees with the mpmath fixture to 1e-6 relative: %s',
    async (_w, c) => {
      const r = await spawnBin(cmd('epsilon', caseFlags(c), '--json'));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { epsilon: number; order: number };
      expect(Math.abs(out.epsilon - c.epsilon)).toBeLessThanOrEqual(1e-6 * c.epsilon);
      expect(out.order).toBe(c.order);
    },
  );

  it('--sampling-rate 1.0 is q = 1, the Gaussian mechanism (same ε as the q = 1 fixture)', async () => {
    const c = fixtures.cases.find((x) => x.sampling_rate === 1)!;
    const r = await spawnBin(cmd('epsilon', { ...caseFlags(c), 'sampling-rate': '1.0' }, '--json'));
    expect(r.status).toBe(0);
    expect(Math.abs(JSON.parse(r.stdout).epsilon - c.epsilon)).toBeLessThanOrEqual(1e-6 * c.epsilon);
  });

  it('epsilon without --json prints one readable line', async () => {
    const r = await spawnBin(
      cmd('epsilon', { 'noise-multiplier': 1.1, 'sampling-rate': 0.01, steps: 1000, delta: '1e-5' }),
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^ε = \d+\.\d{4} at δ = 0\.00001 \(RDP order [\d.]+\) for 1000 steps at σ = 1\.1, q = 0\.01\n$/,
    );
  });

  it('sigma --json finds the σ whose epsilon is the target, and epsilon confirms it', async () => {
    const r = await spawnBin(cmd('sigma', { epsilon: 8, ...sigmaFlags }, '--json'));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { noise_multiplier: number; epsilon: number; order: number };
    expect(out.epsilon).toBeLessThanOrEqual(8);
    expect(out.epsilon).toBeGreaterThan(8 * (1 - 1e-5));
    const back = await spawnBin(
      cmd('epsilon', { 'noise-multiplier': out.noise_multiplier, ...sigmaFlags }, '--json'),
    );
    expect(JSON.parse(back.stdout).epsilon).toBe(out.epsilon);
  });

  it.each([
    [
      epsilonWith({ 'noise-multiplier': 0 }),
      '--noise-multiplier "0" is not valid; expected a number above 0',
    ],
    [
      epsilonWith({ 'sampling-rate': 1.5 }),
      '--sampling-rate "1.5" is not valid; expected a number above 0 and at most 1',
    ],
    [epsilonWith({ 'sampling-rate': 0 }), '--sampling-rate "0" is not valid; expected a number above 0'],
    [
      epsilonWith({ 'sampling-rate': undefined }),
      'missing --sampling-rate; expected a number above 0 and at most 1',
    ],
    [epsilonWith({ steps: 2.5 }), '--steps "2.5" is not valid; expected an integer from 1 to 1000000000'],
    [epsilonWith({ steps: undefined }), 'missing --steps; expected an integer from 1 to 1000000000'],
    [epsilonWith({ delta: 1 }), '--delta "1" is not valid; expected a number above 0 and below 1'],
    [epsilonWith({ delta: undefined }), 'missing --delta; expected a number above 0 and below 1'],
    [
      cmd('sigma', { 'sampling-rate': 0.1, steps: 10, delta: '1e-5' }),
      'missing --epsilon; expected a number above 0',
    ],
    [
      cmd('sigma', { epsilon: 0.01, 'sampling-rate': 1, steps: 1e9, delta: '1e-5' }),
      '--epsilon 0.01 is out of reach',
    ],
    [['budget'], 'unknown command "budget"; expected epsilon or sigma'],
    [['epsilon', '--sigma', '1'], 'unknown flag "--sigma"'],
  ])('refuses %j with exit 2, naming the flag: %s', async (args, message) => {
    const r = await spawnBin(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await spawnBin(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'usage: fedaln-privacy epsilon --noise-multiplier σ --sampling-rate q --steps T --delta δ [--json]',
    );
  });
});
