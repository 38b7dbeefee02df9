/** The model card's inline stylesheet: system fonts, print-friendly, no external resources. */
export const CARD_CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1d2330; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 40px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #dfe3ea; }
.subtitle { color: #5b6475; margin: 0 0 12px; }
.banner { background: #fff3cd; border: 1px solid #e0b100; padding: 10px 14px; border-radius: 6px; font-weight: 600; }
.warning { color: #8a5a00; font-weight: 600; }
.pass { color: #05683e; font-weight: 600; }
.fail { color: #a4161a; font-weight: 600; }
.note { color: #5b6475; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e6e9ef; text-align: left; vertical-align: top; }
thead th { background: #f0f2f6; font-weight: 600; }
table:not(.kv) tbody td:not(:first-child) { font-variant-numeric: tabular-nums; white-space: nowrap; }
h3 { font-size: 15px; margin: 18px 0 4px; }
table.kv th { width: 190px; color: #3d4556; font-weight: 600; background: none; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; word-break: break-all; }
.two-col { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.two-col > * { flex: 1 1 420px; min-width: 0; }
figure { margin: 0; }
svg { max-width: 100%; height: auto; background: #fff; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #1d2330; }
svg .tick { font-size: 11px; fill: #5b6475; }
svg .axis-label { font-size: 12px; fill: #3d4556; }
svg .grid { stroke: #eceef2; stroke-width: 1; }
svg .frame { fill: none; stroke: #9aa3b2; stroke-width: 1; }
svg .legend { fill: #ffffff; fill-opacity: 0.9; stroke: #d5d9e0; }
svg .legend-text { font-size: 11px; fill: #1d2330; }
svg .shade-caption { font-size: 11px; fill: #05683e; }
footer { margin-top: 32px; color: #7a8294; font-size: 12px; }
@media print { body { background: #fff; } main { padding: 0; } section { break-inside: avoid; } }
`;
