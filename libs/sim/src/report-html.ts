/**
 * The simulation report as one self-contained HTML page: settings, the strategy table, and inline
 * SVG charts (external AUC per strategy with DeLong CIs, ROC, reliability and decision curves on
 * the external sites) — no script, no external asset, so it opens offline and can be archived.
 */
import type { SeedResult, SimReport } from './run-simulation';
import type { AucDifference, ScoreSummary } from './score-summary';
import type { StrategySummary } from './strategy-summary';
import { escapeText, PALETTE, type PlotLine, svgPlot } from './svg-plot';

const f3 = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(3) : '–');
const ci = (c: readonly [number, number] | null | undefined): string => (c ? `${f3(c[0])}–${f3(c[1])}` : '–');
const diff = (d: AucDifference | null): string =>
  d
    ? `${d.difference >= 0 ? '+' : ''}${f3(d.difference)} (p ${d.p < 0.001 ? '< 0.001' : d.p.toFixed(3)})`
    : '–';
const range = (r: readonly [number, number] | null): string =>
  r ? `${r[0].toFixed(2)}–${r[1].toFixed(2)}` : 'none';

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${escapeText(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeText(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function summaryTable(summary: readonly StrategySummary[]): string {
  return table(
    [
      'Strategy',
      'External AUC (mean)',
      'External AUC [95% CI] per seed',
      'Pooled test AUC (mean)',
      'vs centralised',
      'vs best local',
      'Calibration slope after recalibration',
      'DL − features per seed',
      'Combined − features per seed',
    ],
    summary.map((s) => [
      s.label,
      f3(s.external_auc_mean),
      s.external_auc.map((e) => `${f3(e.value.auc)} [${ci(e.value.auc_ci)}]`).join('; '),
      f3(s.pooled_test_auc_mean),
      s.ratio_to_central === null ? '–' : `× ${s.ratio_to_central.toFixed(3)}`,
      s.minus_best_local === null ? '–' : `${s.minus_best_local >= 0 ? '+' : ''}${f3(s.minus_best_local)}`,
      f3(s.external_calibration_slope_mean),
      s.dl_minus_features.map((d) => diff(d.value)).join('; '),
      s.combined_minus_features.map((d) => diff(d.value)).join('; '),
    ]),
  );
}

function aucChart(summary: readonly StrategySummary[]): string {
  const seeds = [...new Set(summary.flatMap((s) => s.external_auc.map((e) => e.seed)))];
  const lines: PlotLine[] = seeds.map((seed, j) => {
    const at = (i: number): number => i + 1 + (j - (seeds.length - 1) / 2) * 0.15;
    const entries = summary.map((s, i) => ({
      x: at(i),
      e: s.external_auc.find((e) => e.seed === seed)?.value,
    }));
    return {
      label: `seed ${seed}`,
      colour: PALETTE[j % PALETTE.length]!,
      markers: true,
      points: entries.map(({ x, e }) => [x, e?.auc ?? -1] as const),
      errors: entries.map(({ e }) => e?.auc_ci ?? null),
    };
  });
  return svgPlot({
    title: 'External AUC per strategy (95% DeLong CI)',
    xLabel: 'Strategy',
    yLabel: 'AUC on the external sites',
    x: [0.4, summary.length + 0.6],
    y: [0.4, 1],
    xTicks: summary.map((s, i) => ({ at: i + 1, label: s.strategy })),
    lines,
  });
}

function seedCharts(seed: SeedResult): string {
  const colour = (i: number): string => PALETTE[i % PALETTE.length]!;
  const xy = (xs: readonly number[], ys: readonly number[]): [number, number][] =>
    xs.map((x, i) => [x, ys[i]!]);
  const first = seed.strategies[0];
  const roc: PlotLine[] = seed.strategies.flatMap((s, i) =>
    s.external_curves.roc.dl
      ? [
          {
            label: s.label,
            colour: colour(i),
            points: xy(s.external_curves.roc.dl.fpr, s.external_curves.roc.dl.tpr),
          },
        ]
      : [],
  );
  const featureRoc = first?.external_curves.roc.features;
  if (featureRoc)
    roc.push({
      label: 'Four features',
      colour: '#888888',
      dashed: true,
      points: xy(featureRoc.fpr, featureRoc.tpr),
    });
  const cal: PlotLine[] = [
    {
      label: 'Ideal',
      colour: '#888888',
      dashed: true,
      points: [
        [0, 0],
        [1, 1],
      ],
    },
    ...seed.strategies.map((s, i) => ({
      label: s.label,
      colour: colour(i),
      points: xy(s.external_curves.calibration.predicted, s.external_curves.calibration.observed),
    })),
  ];
  const dcaTop = Math.max(
    0.1,
    ...seed.strategies.map((s) => Math.max(...s.external_curves.decision.dl.net_benefit)),
  );
  const dca: PlotLine[] = [
    {
      label: 'Treat none',
      colour: '#888888',
      points: [
        [0, 0],
        [1, 0],
      ],
    },
  ];
  if (first) {
    const d = first.external_curves.decision.dl;
    dca.push({ label: 'Treat all', colour: '#888888', dashed: true, points: xy(d.thresholds, d.treat_all) });
    const fd = first.external_curves.decision.features;
    if (fd)
      dca.push({
        label: 'Four features',
        colour: '#555555',
        dashed: true,
        points: xy(fd.thresholds, fd.net_benefit),
      });
  }
  seed.strategies.forEach((s, i) => {
    const d = s.external_curves.decision.dl;
    dca.push({ label: s.label, colour: colour(i), points: xy(d.thresholds, d.net_benefit) });
  });
  return [
    svgPlot({
      title: `ROC, external sites (seed ${seed.seed})`,
      xLabel: 'False-positive rate',
      yLabel: 'Sensitivity',
      x: [0, 1],
      y: [0, 1],
      lines: roc,
    }),
    svgPlot({
      title: `Calibration after recalibration (seed ${seed.seed})`,
      xLabel: 'Predicted risk (decile mean)',
      yLabel: 'Observed rate',
      x: [0, 1],
      y: [0, 1],
      lines: cal,
    }),
    svgPlot({
      title: `Decision curve, external sites (seed ${seed.seed})`,
      xLabel: 'Risk threshold',
      yLabel: 'Net benefit',
      x: [0, 1],
      y: [-0.05, dcaTop * 1.1],
      lines: dca,
    }),
  ].join('\n');
}

const summaryCells = (s: ScoreSummary | null): string[] =>
  s
    ? [`${f3(s.auc)} [${ci(s.auc_ci)}]`, f3(s.calibration_slope), range(s.net_benefit_range)]
    : ['–', '–', '–'];

function seedSection(seed: SeedResult): string {
  const rows = seed.strategies.flatMap((s) => [
    ...s.sites.map((site) => [
      s.label,
      `${site.site} test`,
      ...summaryCells(site.dl),
      ...summaryCells(site.combined).slice(0, 1),
    ]),
    [
      s.label,
      'pooled test',
      ...summaryCells(s.pooled_test.dl),
      ...summaryCells(s.pooled_test.combined).slice(0, 1),
    ],
    [
      s.label,
      `external (${s.external.model})`,
      ...summaryCells(s.external.dl),
      ...summaryCells(s.external.combined).slice(0, 1),
    ],
  ]);
  const features = seed.strategies[0]?.external.features ?? null;
  const cases = seed.cases.sites
    .map((c) => `${c.site}: ${c.train} train, ${c.validation} validation, ${c.test} test`)
    .join('; ');
  const ext = seed.cases.external.map((c) => `${c.site}: ${c.n} (${c.n_pos} positive)`).join('; ');
  return [
    `<h2>Seed ${escapeText(seed.seed)}</h2>`,
    `<p>Cases — ${escapeText(cases)}. External — ${escapeText(ext)}.</p>`,
    features
      ? `<p>Four-feature model on the external sites: AUC ${escapeText(`${f3(features.auc)} [${ci(features.auc_ci)}]`)}.</p>`
      : '<p>No feature columns: no feature or combined model.</p>',
    table(
      [
        'Strategy',
        'Cases',
        'DL AUC [95% CI]',
        'Calibration slope (raw)',
        'Net-benefit range (raw)',
        'Combined AUC [95% CI]',
      ],
      rows,
    ),
    `<div class="charts">${seedCharts(seed)}</div>`,
  ].join('\n');
}

/**
 * @example writeFileSync('sim.html', simReportHtml(report));
 */
export function simReportHtml(report: SimReport): string {
  const s = report.settings;
  const settings = `${s.training.arch} at ${s.training.inputSize} px; ${s.rounds} rounds × ${s.training.epochs} local epochs (batch ${s.training.batchSize}, learning rate ${s.training.learningRate}, ${s.schedule ?? 'constant'} over the rounds); external sites adapt ${s.adaptExternal ? "every strategy's model" : "FedBN's model only"} by AdaBN; seeds ${s.seeds.join(', ')}; data ${JSON.stringify(s.data)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fedaln-sim report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#f2f2f2}
.charts{display:flex;flex-wrap:wrap;gap:12px}
</style></head><body>
<h1>fedaln-sim: a simulated study</h1>
<p>${escapeText(settings)}. Ran in ${escapeText(report.seconds.toFixed(0))} s.</p>
<p>External sites never trained. Recalibration (the original score, in the large, or Platt's, chosen by closed testing) and the combined model [DL logit + four features], the four-feature model extended by the DL logit, are fitted on the sites' validation cases; the four-feature model on their training and validation cases; all with federated IRLS. Differences are paired DeLong tests on the pooled external cases.</p>
${summaryTable(report.summary)}
<div class="charts">${aucChart(report.summary)}</div>
${report.seeds.map(seedSection).join('\n')}
</body></html>
`;
}
