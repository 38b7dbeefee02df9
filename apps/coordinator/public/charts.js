/* FedALN dashboard charts (uPlot 1.6). Globals: uPlot. Exposes window.FedalnCharts. */
/* global window, uPlot -- browser globals; uPlot from /vendor/uplot/uPlot.iife.min.js */
(function () {
  'use strict';
  const COLOURS = ['#1f5fbf', '#c4320a', '#067647', '#7a2e9e', '#b54708', '#0e7090', '#c11574', '#475467'];
  const colour = (i) => COLOURS[i % COLOURS.length];
  const alpha = (hex, a) => {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  };

  function mount(el, opts, data) {
    el.replaceChildren();
    const width = Math.max(320, el.clientWidth || 480);
    return new uPlot({ width, height: 280, ...opts }, data, el);
  }

  /**
   * Per-site AUC across rounds with 95% CI bands (DeLong, as each site reported), plus the pooled
   * AUC. `rounds`: round numbers; `sites`: [{ name, auc: [], lo: [], hi: [] }] aligned with rounds.
   */
  function aucChart(el, rounds, sites, pooled) {
    const data = [rounds];
    const series = [{ label: 'Round' }];
    const bands = [];
    sites.forEach((s, i) => {
      const c = colour(i);
      data.push(s.auc, s.hi, s.lo);
      series.push(
        { label: s.name, stroke: c, width: 2, points: { show: true, size: 6 } },
        { label: `${s.name} CI hi`, stroke: alpha(c, 0.25), width: 1, points: { show: false } },
        { label: `${s.name} CI lo`, stroke: alpha(c, 0.25), width: 1, points: { show: false } },
      );
      const k = series.length - 3;
      bands.push({ series: [k + 1, k + 2], fill: alpha(c, 0.12) });
    });
    data.push(pooled);
    series.push({
      label: 'Pooled',
      stroke: '#101828',
      width: 2,
      dash: [6, 4],
      points: { show: true, size: 6 },
    });
    const plot = mount(
      el,
      {
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ label: 'Round', incrs: [1, 2, 5, 10] }, { label: 'AUC (95% CI)' }],
        series,
        bands,
        legend: { live: false },
      },
      data,
    );
    // The CI bounds draw the bands; the legend lists only the sites and the pooled AUC.
    for (const row of plot.root.querySelectorAll('.u-legend .u-series'))
      if (/ CI (hi|lo)$/.test(row.textContent.trim())) row.style.display = 'none';
    return plot;
  }

  /**
   * Decision curves (Vickers & Elkin 2006): net benefit of each site, the pooled model, treat-all
   * (pooled) and treat-none (0) over the risk thresholds.
   */
  function decisionCurveChart(el, thresholds, curves, treatAll) {
    const data = [thresholds];
    const series = [{ label: 'Risk threshold' }];
    curves.forEach((c, i) => {
      data.push(c.net_benefit);
      const pooled = c.pooled === true;
      series.push({
        label: c.name,
        stroke: pooled ? '#101828' : colour(i),
        width: pooled ? 3 : 1.5,
        points: { show: false },
      });
    });
    data.push(
      treatAll,
      thresholds.map(() => 0),
    );
    series.push(
      { label: 'Treat all', stroke: '#98a2b3', width: 1.5, dash: [4, 4], points: { show: false } },
      { label: 'Treat none', stroke: '#667085', width: 1, points: { show: false } },
    );
    const top = Math.max(0.05, ...curves.flatMap((c) => c.net_benefit.filter(Number.isFinite)));
    return mount(
      el,
      {
        scales: { x: { time: false, range: [0, 1] }, y: { range: [-0.05, top * 1.1] } },
        axes: [{ label: 'Risk threshold' }, { label: 'Net benefit' }],
        series,
        legend: { live: false },
      },
      data,
    );
  }

  window.FedalnCharts = { aucChart, decisionCurveChart };
})();
