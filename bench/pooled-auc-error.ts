// `node --import tsx bench/pooled-auc-error.ts`: how far the coordinator's pooled AUC, computed from
// the sites' released reports under the privacy rule (k = 5 merged bins, each site's own AUC where
// released), lies from the exact AUC of the concatenated scores, and the error bound it states
// (libs/metrics/src/pooled-auc.ts). Compared with counting every pair in overlapping bins as a tie
// (the midpoint estimate, which has the smallest worst-case bound but pulls towards ½). Seeded
// synthetic sites (libs/metrics/fixtures/seeded-sites.ts), 40 federations per row; accuracy, not time.
import { auc, pooledAuc, siteEvaluationCounts, type MergedScoreHistograms } from '@fedaln/metrics';
import { seededSite } from '../libs/metrics/fixtures/seeded-sites';

/** Σ pairs·{1, ½, 0} / PN: ordered bins 1 or 0, overlapping bins ½. */
function midpointAuc(hs: readonly MergedScoreHistograms[]): number {
  const bins = (cls: 'positive' | 'negative') =>
    hs.flatMap((h) =>
      h[cls].map((c, j) => ({ lo: h.edges[j]!, hi: h.edges[j + 1]!, c })).filter((b) => b.c > 0),
    );
  const [pos, neg] = [bins('positive'), bins('negative')];
  let s = 0;
  for (const p of pos) for (const q of neg) s += p.c * q.c * (p.lo >= q.hi ? 1 : p.hi <= q.lo ? 0 : 0.5);
  const total = (xs: { c: number }[]) => xs.reduce((a, b) => a + b.c, 0);
  return s / (total(pos) * total(neg));
}

const ROWS: [sites: number, n: number, separation: number][] = [
  [1, 65, 1.8],
  [3, 65, 1.8],
  [3, 65, 3],
  [5, 100, 2],
  [3, 200, 1.8],
];
const R = 40;
for (const [sites, n, separation] of ROWS) {
  let midErr = 0;
  let err = 0;
  let maxErr = 0;
  let bound = 0;
  for (let r = 0; r < R; r++) {
    const ss = Array.from({ length: sites }, (_, i) =>
      seededSite(n, 1000 * r + i + 1, 126 / 324, separation),
    );
    const hs = ss.map((s) => siteEvaluationCounts(s.labels, s.scores).score_histograms);
    const own = ss.map((s) => {
      const nPos = s.labels.filter((y) => y === 1).length;
      return nPos >= 5 && s.labels.length - nPos >= 5 ? auc(s.labels, s.scores) : null;
    });
    const exact = auc(
      ss.flatMap((s) => s.labels),
      ss.flatMap((s) => s.scores),
    )!;
    const p = pooledAuc(hs, own);
    midErr += Math.abs(midpointAuc(hs) - exact);
    err += Math.abs(p.auc! - exact);
    maxErr = Math.max(maxErr, Math.abs(p.auc! - exact));
    bound += p.auc_error_bound!;
  }
  const f = (x: number) => x.toFixed(4);
  console.log(
    `${sites} site(s) × ${n}, separation ${separation}: mean |error| ${f(err / R)} (midpoint estimate ${f(midErr / R)}), max ${f(maxErr)}, mean stated bound ${f(bound / R)}`,
  );
}
