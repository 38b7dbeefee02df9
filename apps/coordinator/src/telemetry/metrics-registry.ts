/**
 * A tiny Prometheus registry: counters, histograms and gauges read at scrape time, rendered in the
 * text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

interface Metric {
  render(): Promise<string[]>;
}

export class Counter implements Metric {
  private value = 0;
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}
  inc(by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.value += by;
  }
  async render(): Promise<string[]> {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} counter`,
      `${this.name} ${num(this.value)}`,
    ];
  }
}

/** Cumulative buckets with `le` upper bounds, plus `_sum` and `_count`. */
export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }
  observe(v: number): void {
    this.bounds.forEach((b, i) => {
      if (v <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
    this.sum += v;
    this.count += 1;
  }
  async render(): Promise<string[]> {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} histogram`,
      ...this.bounds.map((b, i) => `${this.name}_bucket${labelText({ le: num(b) })} ${this.counts[i] ?? 0}`),
      `${this.name}_bucket${labelText({ le: '+Inf' })} ${this.count}`,
      `${this.name}_sum ${num(this.sum)}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

/** A gauge whose labelled values are read when scraped (e.g. rows counted in the database). */
export class CollectedGauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly collect: () => Promise<ReadonlyArray<readonly [Labels, number]>>,
  ) {}
  async render(): Promise<string[]> {
    const samples = await this.collect();
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      ...samples.map(([labels, v]) => `${this.name}${labelText(labels)} ${num(v)}`),
    ];
  }
}

/**
 * @example
 * const registry = new MetricsRegistry();
 * const uploads = registry.add(new Counter('fedaln_uploads_total', 'Updates accepted'));
 * uploads.inc();
 * await registry.render(); // '# HELP fedaln_uploads_total …\n'
 */
export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  async render(): Promise<string> {
    const blocks = await Promise.all(this.metrics.map((m) => m.render()));
    return blocks.flat().join('\n') + '\n';
  }
}
