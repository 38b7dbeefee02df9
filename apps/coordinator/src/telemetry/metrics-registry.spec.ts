import { describe, expect, it } from '@jest/globals';
import { CollectedGauge, Counter, Histogram, MetricsRegistry } from './metrics-registry';

// Expected text written by hand from the Prometheus exposition format 0.0.4 spec: HELP/TYPE lines,
// cumulative `_bucket{le=…}` counts ending in +Inf, then `_sum` and `_count`.
describe('MetricsRegistry', () => {
  it('renders counters, histograms and collected gauges in the text format', async () => {
    const r = new MetricsRegistry();
    const c = r.add(new Counter('uploads_total', 'Uploads.'));
    const h = r.add(new Histogram('round_seconds', 'Round time.', [1, 10]));
    r.add(new CollectedGauge('rounds', 'By state.', async () => [[{ state: 'wait"ing' }, 2]]));
    c.inc();
    c.inc(2);
    h.observe(0.5);
    h.observe(5);
    h.observe(50);
    await expect(r.render()).resolves.toBe(
      [
        '# HELP uploads_total Uploads.',
        '# TYPE uploads_total counter',
        'uploads_total 3',
        '# HELP round_seconds Round time.',
        '# TYPE round_seconds histogram',
        'round_seconds_bucket{le="1"} 1',
        'round_seconds_bucket{le="10"} 2',
        'round_seconds_bucket{le="+Inf"} 3',
        'round_seconds_sum 55.5',
        'round_seconds_count 3',
        '# HELP rounds By state.',
        '# TYPE rounds gauge',
        'rounds{state="wait\\"ing"} 2',
        '',
      ].join('\n'),
    );
  });

  it('refuses to decrease a counter', () => {
    expect(() => new Counter('c', 'h').inc(-1)).toThrow('cannot decrease');
  });
});
