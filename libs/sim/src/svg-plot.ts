/**
 * A small inline-SVG plot for the simulation report: axes with ticks, polylines, markers and
 * vertical error bars, a legend. Self-contained markup (no script, no external font or stylesheet);
 * every text is escaped.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the five HTML-significant characters. @example escapeText('a<b') // 'a&lt;b' */
export const escapeText = (text: string | number): string =>
  String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** Okabe–Ito colours (readable with the common colour-vision deficiencies). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'];

export interface PlotLine {
  label: string;
  colour: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
  /** Draw markers instead of a line. */
  markers?: boolean;
  /** Per point [low, high] of a vertical error bar (markers only). */
  errors?: readonly (readonly [number, number] | null)[];
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly [number, number];
  y: readonly [number, number];
  lines: readonly PlotLine[];
  /** Tick labels of the x axis at given positions (default: 5 even ticks). */
  xTicks?: readonly { at: number; label: string }[];
}

const WIDTH = 480;
const HEIGHT = 360;
const PAD = { left: 56, right: 12, top: 30, bottom: 46 };

const evenTicks = ([lo, hi]: readonly [number, number]): { at: number; label: string }[] =>
  Array.from({ length: 6 }, (_, i) => {
    const at = lo + ((hi - lo) * i) / 5;
    return { at, label: String(Number(at.toFixed(2))) };
  });

/**
 * @example svgPlot({ title: 'ROC', xLabel: 'FPR', yLabel: 'TPR', x: [0, 1], y: [0, 1],
 *   lines: [{ label: 'FedAvg', colour: PALETTE[0], points: [[0, 0], [0.2, 0.7], [1, 1]] }] })
 */
export function svgPlot(spec: PlotSpec): string {
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const fx = (v: number): string => (PAD.left + ((v - spec.x[0]) / (spec.x[1] - spec.x[0])) * w).toFixed(1);
  const fy = (v: number): string =>
    (PAD.top + h - ((v - spec.y[0]) / (spec.y[1] - spec.y[0])) * h).toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeText(spec.title)}">`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold" font-size="13">${escapeText(spec.title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`,
  ];
  for (const t of spec.xTicks ?? evenTicks(spec.x)) {
    parts.push(
      `<line x1="${fx(t.at)}" x2="${fx(t.at)}" y1="${PAD.top}" y2="${PAD.top + h}" stroke="#ddd"/>`,
      `<text x="${fx(t.at)}" y="${PAD.top + h + 14}" text-anchor="middle" font-size="10">${escapeText(t.label)}</text>`,
    );
  }
  for (const t of evenTicks(spec.y)) {
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${fy(t.at)}" y2="${fy(t.at)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 5}" y="${Number(fy(t.at)) + 3}" text-anchor="end" font-size="10">${escapeText(t.label)}</text>`,
    );
  }
  parts.push(
    `<text x="${PAD.left + w / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11">${escapeText(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${PAD.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeText(spec.yLabel)}</text>`,
  );
  const inside = (x: number, y: number): boolean =>
    x >= spec.x[0] && x <= spec.x[1] && y >= spec.y[0] && y <= spec.y[1];
  for (const line of spec.lines) {
    const colour = escapeText(line.colour);
    if (line.markers) {
      line.points.forEach(([x, y], i) => {
        const e = line.errors?.[i];
        if (e) {
          const lo = Math.max(e[0], spec.y[0]);
          const hi = Math.min(e[1], spec.y[1]);
          parts.push(
            `<line x1="${fx(x)}" x2="${fx(x)}" y1="${fy(lo)}" y2="${fy(hi)}" stroke="${colour}" stroke-width="1.5"/>`,
          );
        }
        if (inside(x, y)) parts.push(`<circle cx="${fx(x)}" cy="${fy(y)}" r="3.5" fill="${colour}"/>`);
      });
      continue;
    }
    // Clip by dropping points outside the y range (decision curves fall far below zero).
    const shown = line.points.filter(([x, y]) => inside(x, y));
    if (shown.length < 2) continue;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.8"${line.dashed ? ' stroke-dasharray="5 4"' : ''} points="${shown.map(([x, y]) => `${fx(x)},${fy(y)}`).join(' ')}"/>`,
    );
  }
  spec.lines.forEach((line, i) => {
    const y = PAD.top + 12 + i * 14;
    const x = PAD.left + w - 170;
    parts.push(
      `<rect x="${x}" y="${y - 8}" width="10" height="10" fill="${escapeText(line.colour)}"/>`,
      `<text x="${x + 14}" y="${y + 1}" font-size="10">${escapeText(line.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
