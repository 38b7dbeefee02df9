/**
 * `fedaln-sim --site DIR … --external DIR …` on real site folders (labels.csv + PNGs) written by the
 * built `fedaln-phantom` (version 2, 32 px): both CLIs as real processes. The folder path must read
 * the cases the phantom wrote with their split and feature columns — the same per-site counts and the
 * same four-feature model as fedaln-sim's in-process phantom cohort of that seed and version (the
 * reference: `phantomCohort`, which builds its cases from the same labels.csv text) — and write a
 * report with every strategy scored on the external folder.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { featureRows, fitAcrossSites, labelsOf, phantomCohort, type SimReport } from '@fedaln/sim';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '../..');
const SEED = 5;
const SIZE = 32;
const CASES = 30;

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, bin), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

describe('fedaln-sim on site folders', () => {
  it('reads fedaln-phantom folders as the in-process phantom cohort and reports every strategy', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedaln-sim-folders-'));
    try {
      const phantom = (seed: number, sites: number, out: string) =>
        run('libs/phantom/bin/fedaln-phantom.js', [
          ...['--out', path.join(tmp, out), '--sites', String(sites), '--cases', String(CASES)],
          ...['--size', String(SIZE), '--seed', String(seed), '--version', '2'],
        ]);
      phantom(SEED, 2, 'train');
      phantom(SEED + 1000, 1, 'external');
      const out = path.join(tmp, 'report');
      const sim = run('libs/sim/bin/fedaln-sim.js', [
        ...['--site', path.join(tmp, 'train', 'site1'), '--site', path.join(tmp, 'train', 'site2')],
        ...['--external', path.join(tmp, 'external', 'site1')],
        ...['--strategies', 'central,fedavg', '--rounds', '1', '--epochs', '1'],
        ...['--input-size', String(SIZE), '--batch-size', '8', '--validation-fraction', '0.25'],
        ...['--seeds', String(SEED), '--engine', 'wasm', '--out', out],
      ]);
      expect(sim.stderr).toMatch(/wrote .*sim-report\.json and .*sim-report\.html/);
      const report = JSON.parse(readFileSync(path.join(out, 'sim-report.json'), 'utf8')) as SimReport;
      expect(existsSync(path.join(out, 'sim-report.html'))).toBe(true);
      expect(report.settings.data).toMatchObject({ source: 'folders' });

      const reference = phantomCohort({
        sites: 2,
        casesPerSite: CASES,
        externalSites: 1,
        externalCasesPerSite: CASES,
        inputSize: SIZE,
        seed: SEED,
        validationFraction: 0.25,
        version: 2,
      });
      const [seed] = report.seeds;
      expect(seed!.cases.sites).toEqual(
        reference.sites.map((s, k) => ({
          site: `site${k + 1}`,
          train: s.train.length,
          validation: s.validation.length,
          test: s.test.length,
          test_pos: s.test.filter((c) => c.label === 1).length,
        })),
      );
      expect(seed!.cases.external).toEqual([
        {
          site: 'site1',
          n: CASES,
          n_pos: reference.external[0]!.cases.filter((c) => c.label === 1).length,
        },
      ]);
      const expected = await fitAcrossSites(
        reference.sites.map((s) => {
          const cases = [...s.train, ...s.validation];
          return { rows: featureRows(cases)!, y: labelsOf(cases) };
        }),
      );
      expect(seed!.feature_model!.coefficients).toHaveLength(5);
      seed!.feature_model!.coefficients.forEach((b, i) => expect(b).toBeCloseTo(expected![i]!, 10));

      expect(seed!.strategies.map((s) => s.strategy)).toEqual(['central', 'fedavg']);
      for (const s of seed!.strategies) {
        expect(s.external.dl.n).toBe(CASES);
        expect(s.external.dl.auc).toBeGreaterThanOrEqual(0);
        expect(s.external.dl.auc).toBeLessThanOrEqual(1);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
