import { describe, expect, it } from '@jest/globals';
import type { RoundState } from '../rounds/round-machine';
import type { RoundRepository } from '../rounds/round.repository';
import { CoordinatorMetrics } from './coordinator-metrics';

/** Only what the metrics read: rounds counted by state. */
const rounds = (counts: Partial<Record<RoundState, number>>) =>
  ({
    countByState: async () => new Map(Object.entries(counts)),
  }) as unknown as RoundRepository;

// Expected lines written by hand from the Prometheus exposition format 0.0.4 spec: HELP/TYPE lines,
// cumulative `_bucket{le=…}` counts ending in +Inf, then `_sum` and `_count`.
describe('CoordinatorMetrics (GET /metrics)', () => {
  it('renders the counters, the round-duration histogram and rounds by state in the text format', async () => {
    const m = new CoordinatorMetrics(rounds({ training: 2, completed: 5 }));
    m.uploads.inc();
    m.uploads.inc(2);
    m.uploadBytes.inc(2020);
    m.roundDuration.observe(0.5);
    m.roundDuration.observe(50);
    m.roundDuration.observe(100_000);
    const text = await m.render();
    expect(text).toContain('# HELP fedaln_uploads_total Model updates accepted from sites.\n');
    expect(text).toContain('# TYPE fedaln_uploads_total counter\nfedaln_uploads_total 3\n');
    expect(text).toContain('fedaln_upload_bytes_total 2020\n');
    expect(text).toContain('# TYPE fedaln_round_duration_seconds histogram\n');
    expect(text).toContain('fedaln_round_duration_seconds_bucket{le="1"} 1\n');
    expect(text).toContain('fedaln_round_duration_seconds_bucket{le="60"} 2\n');
    expect(text).toContain('fedaln_round_duration_seconds_bucket{le="86400"} 2\n');
    expect(text).toContain('fedaln_round_duration_seconds_bucket{le="+Inf"} 3\n');
    expect(text).toContain('fedaln_round_duration_seconds_sum 100050.5\n');
    expect(text).toContain('fedaln_round_duration_seconds_count 3\n');
    expect(text).toContain('# TYPE fedaln_rounds gauge\n');
    expect(text).toContain('fedaln_rounds{state="training"} 2\n');
    expect(text).toContain('fedaln_rounds{state="completed"} 5\n');
    expect(text).toContain('fedaln_rounds{state="failed"} 0\n');
  });

  it('refuses to decrease a counter', () => {
    const m = new CoordinatorMetrics(rounds({}));
    expect(() => m.uploads.inc(-1)).toThrow('It is not possible to decrease a counter');
  });

  it('keeps two coordinators apart (own registry each)', async () => {
    const a = new CoordinatorMetrics(rounds({}));
    const b = new CoordinatorMetrics(rounds({}));
    a.uploads.inc();
    expect(await b.render()).toContain('fedaln_uploads_total 0\n');
  });
});
