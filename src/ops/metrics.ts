/**
 * A minimal Prometheus metrics registry (text exposition format 0.0.4): counters, gauges whose
 * value is read when scraped, and histograms. Enough for /metrics without a dependency.
 */

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${keys.map((k) => `${k}="${esc(labels[k])}"`).join(',')}}`;
}

interface Metric {
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  value(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | Array<{ labels: Labels; value: number }>,
  ) {}
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const v = this.read();
    if (typeof v === 'number') lines.push(`${this.name} ${v}`);
    else for (const { labels, value } of v) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i]++;
    });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join('\n') + '\n';
  }
}

/** The node's metrics; gauges are bound to their sources when the node starts. */
export function nodeMetrics() {
  const registry = new Registry();
  let lastErrorSeconds = 0;
  registry.add(new Gauge('cd8_last_error_timestamp_seconds', 'Unix time of the last processing or delivery error (0 = none since start).', () => lastErrorSeconds));
  return {
    registry,
    /** Records that an error happened now (for the last-error gauge). */
    noteError: () => {
      lastErrorSeconds = Math.floor(Date.now() / 1000);
    },
    instancesReceived: registry.add(new Counter('cd8_instances_received_total', 'DICOM instances stored (answered Success).')),
    instancesRejected: registry.add(new Counter('cd8_instances_rejected_total', 'C-STORE requests answered with an error status.')),
    associationsRejected: registry.add(new Counter('cd8_associations_rejected_total', 'Associations rejected, by reason.')),
    studiesProcessed: registry.add(new Counter('cd8_studies_processed_total', 'Study versions processed, by outcome (scored, not-scored, failed).')),
    processingSeconds: registry.add(
      new Histogram('cd8_processing_seconds', 'Time to process one study version (load, masks, features, score, results).', [0.5, 1, 2, 5, 10, 30, 60, 120, 300]),
    ),
  };
}
export type NodeMetrics = ReturnType<typeof nodeMetrics>;
