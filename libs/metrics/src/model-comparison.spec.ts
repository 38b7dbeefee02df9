import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectRelClose } from '../fixtures/reference';
import {
  COMPARED_MODELS,
  pooledModelComparison,
  siteModelComparison,
  siteModelComparisonProblem,
  type SiteModelComparison,
} from './model-comparison';
import { pairedDelong } from './paired-delong';

/** comparison.json, written by make_comparison_fixtures.R (pROC; the script names the version). */
interface ComparisonFixture {
  pROC: string;
  k: number;
  sites: {
    name: string;
    labels: number[];
    dl: number[];
    features: number[];
    combined: number[];
    n: number;
    n_pos: number;
    auc: number[] | null;
    covariance: number[][] | null;
    tests: { a: string; b: string; z: number; p: number }[] | null;
  }[];
  pooled: {
    n: number;
    n_pos: number;
    sites: number;
    models: Record<string, { auc: number; se: number }>;
    differences: { a: string; b: string; difference: number; se: number; z: number; p: number }[];
  };
}

const fx = Object.freeze(
  JSON.parse(readFileSync(join(__dirname, '../fixtures/comparison.json'), 'utf8')) as ComparisonFixture,
);
const ours = fx.sites.map((s) =>
  siteModelComparison(s.labels, { dl: s.dl, features: s.features, combined: s.combined }, fx.k),
);
const pROC = `pROC ${fx.pROC}`;

describe('siteModelComparison', () => {
  it.each(fx.sites.map((s, i) => [s.name, i] as const))(
    'site %s: AUCs and DeLong covariance matrix equal pROC auc/var/cov to 1e-12',
    (name, i) => {
      const ref = fx.sites[i]!;
      const got = ours[i]!;
      expect([got.n, got.n_pos]).toEqual([ref.n, ref.n_pos]);
      if (ref.auc === null) {
        expect(got).toEqual({ n: ref.n, n_pos: ref.n_pos, auc: null, covariance: null });
        return;
      }
      got.auc!.forEach((a, m) =>
        expectRelClose(a, ref.auc![m]!, `${name} auc ${COMPARED_MODELS[m]} vs ${pROC}`),
      );
      for (let x = 0; x < 3; x++)
        for (let y = 0; y < 3; y++)
          expectRelClose(
            got.covariance![x]![y]!,
            ref.covariance![x]![y]!,
            `${name} cov[${x}][${y}] vs ${pROC}`,
          );
    },
  );

  it('withholds the figures of a site with fewer than k cases of a class (the fixture site "small": 4 positives)', () => {
    const small = ours[fx.sites.findIndex((s) => s.name === 'small')]!;
    expect(small.auc).toBeNull();
    expect(
      siteModelComparisonProblem({ ...small, auc: [0.7, 0.6, 0.8], covariance: ours[0]!.covariance }, 5),
    ).toMatch(/^auc is \[0.7,0.6,0.8\] with n_pos = 4 and n − n_pos = 30; the privacy rule withholds/);
  });

  it('names the model whose scores are bad', () => {
    const s = fx.sites[0]!;
    expect(() =>
      siteModelComparison(s.labels, { dl: s.dl, features: s.features, combined: s.combined.slice(1) }, 5),
    ).toThrow(/scores\.combined/);
  });
});

describe('pooledModelComparison', () => {
  it.each(fx.sites.filter((s) => s.tests !== null).map((s) => [s.name, s] as const))(
    'over site %s alone: z and p of every pair equal pROC roc.test(method = "delong", paired = TRUE)',
    (name, s) => {
      const one = pooledModelComparison([ours[fx.sites.indexOf(s)]!])!;
      s.tests!.forEach((t, j) => {
        const d = one.differences[j]!;
        expect([d.a, d.b]).toEqual([t.a, t.b]);
        expectRelClose(d.z!, t.z, `${name} ${t.a} − ${t.b} z vs ${pROC} roc.test statistic`, 1e-9);
        expectRelClose(d.p, t.p, `${name} ${t.a} − ${t.b} p vs ${pROC} roc.test p.value`, 1e-9);
      });
      // and the project's own paired test on the raw scores agrees
      const direct = pairedDelong(s.labels, s.combined, s.features)!;
      expectRelClose(one.differences[0]!.z!, direct.z, `${name} z vs pairedDelong`, 1e-9);
    },
  );

  it('over every site: the fixed-effect pooled AUCs, differences, SEs, z and p equal the R computation', () => {
    const pooled = pooledModelComparison(ours)!;
    const ref = fx.pooled;
    expect([pooled.n, pooled.n_pos, pooled.sites]).toEqual([ref.n, ref.n_pos, ref.sites]);
    for (const m of COMPARED_MODELS) {
      expectRelClose(pooled.models[m].auc, ref.models[m]!.auc, `pooled auc ${m} vs R`);
      expectRelClose(pooled.models[m].se, ref.models[m]!.se, `pooled se ${m} vs R`, 1e-9);
    }
    ref.differences.forEach((r, j) => {
      const d = pooled.differences[j]!;
      expect([d.a, d.b]).toEqual([r.a, r.b]);
      expectRelClose(d.difference, r.difference, `pooled ${r.a} − ${r.b} vs R`, 1e-9);
      expectRelClose(d.se, r.se, `pooled se ${r.a} − ${r.b} vs R`, 1e-9);
      expectRelClose(d.z!, r.z, `pooled z ${r.a} − ${r.b} vs R`, 1e-9);
      expectRelClose(d.p, r.p, `pooled p ${r.a} − ${r.b} vs R`, 1e-9);
    });
  });

  it('pooled AUC is the Mann–Whitney AUC over the within-site pairs', () => {
    const used = fx.sites.filter((s) => s.auc !== null);
    let ordered = 0;
    let pairs = 0;
    for (const s of used)
      s.labels.forEach((yi, i) => {
        if (yi !== 1) return;
        s.labels.forEach((yj, j) => {
          if (yj !== 0) return;
          pairs++;
          ordered += s.dl[i]! > s.dl[j]! ? 1 : s.dl[i] === s.dl[j] ? 0.5 : 0;
        });
      });
    expectRelClose(
      pooledModelComparison(ours)!.models.dl.auc,
      ordered / pairs,
      'pooled dl AUC vs within-site pairs',
    );
  });

  it('does not depend on the order of the sites, and is null without a released site', () => {
    const a = pooledModelComparison(ours)!;
    const b = pooledModelComparison([...ours].reverse())!;
    a.differences.forEach((d, j) => expectRelClose(d.z!, b.differences[j]!.z!, 'z reversed', 1e-12));
    expect(pooledModelComparison([ours[3]!])).toBeNull();
    expect(pooledModelComparison([])).toBeNull();
  });

  it('refuses a site whose covariance is not one, naming the cell', () => {
    const bad: SiteModelComparison = {
      ...ours[0]!,
      covariance: ours[0]!.covariance!.map((r, i) => r.map((v, j) => (i === 0 && j === 1 ? v + 1 : v))),
    };
    expect(() => pooledModelComparison([bad])).toThrow(
      /covariance\[1\]\[0\] is .* but covariance\[0\]\[1\] is/,
    );
    expect(siteModelComparisonProblem({ ...ours[0]!, covariance: null })).toMatch(
      /both are released or both withheld/,
    );
  });
});
