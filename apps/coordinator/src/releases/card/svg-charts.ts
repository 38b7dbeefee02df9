/**
 * Inline SVG charts for the model card: per-site and pooled ROC curves, and the decision curve with
 * treat-all, treat-none and the shaded range where the model has net benefit. Self-contained
 * markup (no scripts, no external fonts), every text escaped.
 */
import { escapeHtml } from './html-escape';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const SERIES_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];

export interface ChartSeries {
  label: string;
  x: readonly number[];
  y: readonly number[];
  colour: string;
  width?: number;
  dash?: string;
}

interface ChartSpec {
  /** Unique within the page: names the clip path. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  xTicks: number[];
  yTicks: number[];
  series: ChartSeries[];
  /** Where the legend sits inside the plot: away from where the curves run. */
  legend: 'lower-right' | 'upper-right';
  /** x intervals to shade, with their caption. */
  shades?: { from: number; to: number; caption: string }[];
}

const W = 520;
const H = 400;
const M = { left: 62, right: 16, top: 34, bottom: 50 };
const fmtTick = (v: number): string => String(Number(v.toFixed(2)));

function lineChart(spec: ChartSpec): string {
  const id = `clip-${spec.id}`;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number): number => M.left + ((v - spec.x[0]) / (spec.x[1] - spec.x[0])) * pw;
  const sy = (v: number): number => M.top + ph - ((v - spec.y[0]) / (spec.y[1] - spec.y[0])) * ph;
  const p = (v: number): string => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}">`,
    `<title>${escapeHtml(spec.title)}</title>`,
    `<defs><clipPath id="${id}"><rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" class="chart-title">${escapeHtml(spec.title)}</text>`,
  ];
  for (const s of spec.shades ?? []) {
    const x0 = sx(s.from);
    const x1 = sx(s.to);
    out.push(
      `<rect x="${p(x0)}" y="${M.top}" width="${p(Math.max(1, x1 - x0))}" height="${ph}" fill="#009E73" fill-opacity="0.13"/>`,
      `<text x="${p((x0 + x1) / 2)}" y="${M.top + 14}" text-anchor="middle" class="shade-caption">${escapeHtml(s.caption)}</text>`,
    );
  }
  for (const t of spec.xTicks) {
    out.push(
      `<line x1="${p(sx(t))}" x2="${p(sx(t))}" y1="${M.top}" y2="${M.top + ph}" class="grid"/>`,
      `<text x="${p(sx(t))}" y="${M.top + ph + 16}" text-anchor="middle" class="tick">${escapeHtml(fmtTick(t))}</text>`,
    );
  }
  for (const t of spec.yTicks) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${p(sy(t))}" y2="${p(sy(t))}" class="grid"/>`,
      `<text x="${M.left - 6}" y="${p(sy(t) + 4)}" text-anchor="end" class="tick">${escapeHtml(fmtTick(t))}</text>`,
    );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="frame"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle" class="axis-label">${escapeHtml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(spec.yLabel)}</text>`,
  );
  for (const s of spec.series) {
    const points = s.x.map((x, i) => `${p(sx(x))},${p(sy(s.y[i]!))}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    out.push(
      `<polyline clip-path="url(#${id})" points="${points}" fill="none" stroke="${escapeHtml(s.colour)}" stroke-width="${s.width ?? 2}"${dash} stroke-linejoin="round"/>`,
    );
  }
  // Legend inside the plot area, one row per series; below the shade captions when at the top.
  const rows = spec.series.length;
  const lx = M.left + pw - 198;
  const ly = spec.legend === 'lower-right' ? M.top + ph - 8 - rows * 17 : M.top + 26;
  out.push(`<rect x="${lx - 8}" y="${ly - 4}" width="202" height="${rows * 17 + 6}" class="legend"/>`);
  spec.series.forEach((s, i) => {
    const y = ly + 8 + i * 17;
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${y}" y2="${y}" stroke="${escapeHtml(s.colour)}" stroke-width="${s.width ?? 2}"${dash}/>`,
      `<text x="${lx + 28}" y="${y + 4}" class="legend-text">${escapeHtml(s.label.length > 29 ? `${s.label.slice(0, 28)}…` : s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

const TENTHS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/**
 * ROC curves (false-positive rate vs sensitivity) with the chance diagonal; the pooled curve drawn
 * thick and black.
 *
 * @example rocChartSvg([{ label: 'Site A (AUC 0.84)', fpr, tpr }], { label: 'Pooled', fpr, tpr })
 */
export function rocChartSvg(
  sites: readonly { label: string; fpr: readonly number[]; tpr: readonly number[] }[],
  pooled: { label: string; fpr: readonly number[]; tpr: readonly number[] } | null,
): string {
  const series: ChartSeries[] = [
    { label: 'Chance', x: [0, 1], y: [0, 1], colour: '#999999', width: 1, dash: '4 4' },
    ...sites.map((s, i) => ({
      label: s.label,
      x: s.fpr,
      y: s.tpr,
      colour: SERIES_COLOURS[i % SERIES_COLOURS.length]!,
    })),
  ];
  if (pooled) series.push({ label: pooled.label, x: pooled.fpr, y: pooled.tpr, colour: '#000000', width: 3 });
  return lineChart({
    id: 'roc',
    title: 'ROC curves (test cases)',
    xLabel: 'False-positive rate (1 − specificity)',
    yLabel: 'Sensitivity',
    x: [0, 1],
    y: [0, 1],
    xTicks: TENTHS,
    yTicks: TENTHS,
    legend: 'lower-right',
    series,
  });
}

/**
 * The decision curve (Vickers & Elkin 2006): net benefit of the model, of treating all and of
 * treating none against the risk threshold, with the threshold ranges where the model beats both
 * shaded. The y axis runs from just below 0 to just above the prevalence (treat-all at t → 0), so
 * treat-all's steep fall at high thresholds is clipped rather than squashing the curves.
 *
 * @example decisionCurveSvg(card.pooled.decision_curve, card.pooled.prevalence)
 */
export function decisionCurveSvg(
  dc: {
    thresholds: readonly number[];
    net_benefit: readonly number[];
    treat_all: readonly number[];
    runs: readonly (readonly [number, number])[];
  },
  prevalence: number | null,
  label = 'Model (pooled)',
): string {
  const top = Math.max(0.05, prevalence ?? 0, ...dc.net_benefit) * 1.1;
  const bottom = -Math.max(0.05, top * 0.15);
  const step = top > 0.5 ? 0.2 : top > 0.2 ? 0.1 : 0.05;
  const yTicks: number[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) yTicks.push(Number(v.toFixed(2)));
  if (bottom <= -step) yTicks.unshift(-step);
  return lineChart({
    id: 'dca',
    title: 'Decision curve (pooled test cases)',
    xLabel: 'Risk threshold (probability of ALN metastasis at which to act)',
    yLabel: 'Net benefit',
    x: [0, 1],
    y: [bottom, top],
    xTicks: TENTHS,
    yTicks,
    legend: 'upper-right',
    series: [
      { label: 'Treat none', x: [0, 1], y: [0, 0], colour: '#555555', width: 1.5 },
      { label: 'Treat all', x: dc.thresholds, y: dc.treat_all, colour: '#888888', width: 1.5, dash: '6 4' },
      { label, x: dc.thresholds, y: dc.net_benefit, colour: '#0072B2', width: 2.5 },
    ],
    shades: dc.runs.map(([from, to]) => ({ from, to, caption: `benefit ${fmtTick(from)}–${fmtTick(to)}` })),
  });
}
