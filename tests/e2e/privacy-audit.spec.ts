/**
 * `scripts/privacy-audit.js` (issue 14 acceptance): given a site's stored reports (the copies its client
 * keeps in <work-dir>/reports/), it shows that no released count is below k and prints the pooled-AUC
 * error bound; a report that breaks the rule makes it exit 1 naming the field and value.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { pooledAuc, releasedReport } from '@fedaln/metrics';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkDir } from '../../apps/site-client/src/transfer/work-dir';
import { syntheticPredictions } from './support/release-study';

const SCRIPT = path.join(__dirname, '../../scripts/privacy-audit.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-privacy-audit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const audit = (...args: string[]) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const STUDY = '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90';
const payload = (round: number, report: ReturnType<typeof releasedReport>) => ({
  study_id: STUDY,
  round,
  model_version: round,
  model_sha256: 'ab'.repeat(32),
  report,
});

describe('scripts/privacy-audit.js', () => {
  // Two rounds of a site with the 65-case test split, as its client keeps them.
  const rounds = [1, 2].map((r) => syntheticPredictions(40 + r, 65, 1.2 + r / 2));
  const work = new WorkDir(path.join(tmp, 'site-work'));

  it('a work directory of compliant reports: exit 0, no count below k, the pooled-AUC error bound', async () => {
    await work.init();
    for (const [i, p] of rounds.entries()) await work.saveSentReport(payload(i + 1, releasedReport(p, 5)), 5);
    const r = audit(work.dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 reports: no released count below k');
    // Reference: pooledAuc of the same report and its own AUC (pooled-auc.spec.ts checks it against
    // the exact AUC): one site whose AUC is released pools to that AUC, bound 0.
    const second = releasedReport(rounds[1]!, 5);
    const p = pooledAuc([second.score_histograms], [second.auc]);
    expect(r.out).toContain(
      `pooled AUC of study ${STUDY}, round 2 (1 report): ${p.auc!.toFixed(4)} ± ${p.auc_error_bound!.toFixed(4)}`,
    );
    const json = JSON.parse(audit('--json', work.dir).out);
    expect(json.ok).toBe(true);
    for (const rep of json.reports) expect(rep.smallest_count).toBeGreaterThanOrEqual(5);
  });

  it('a report with single cases in its bins: exit 1, naming the field and value', async () => {
    const leaky = path.join(tmp, 'leaky');
    await new WorkDir(leaky).saveSentReport(payload(3, releasedReport(rounds[0]!, 1)), 5);
    const r = audit(leaky);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /VIOLATION: score_histograms\.(positive|negative)\[\d+\] is [1-4] cases? in \[[\d.]+, [\d.]+\); the privacy rule releases 0 or at least k = 5/,
    );
    expect(r.out).toContain('1 of 1 reports break the privacy rule');
  });

  it('bad arguments: exit 2 with the reason and the usage', () => {
    const none = audit();
    expect([none.code, none.err]).toEqual([2, expect.stringContaining('privacy-audit: no PATH;')]);
    const badK = audit('--k', '0', work.dir);
    expect(badK.code).toBe(2);
    expect(badK.err).toContain('--k "0" is not valid; expected an integer from 1');
    expect(audit(path.join(tmp, 'nowhere')).err).toContain('does not exist; pass a site work directory');
  });
});
