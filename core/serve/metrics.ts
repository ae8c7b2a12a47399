/**
 * The serving metrics Prometheus scrapes from `/metrics`: requests and their latency, what the models predict, the
 * requests in flight, and how often a shadow version agrees with the version that answered. They live on their own
 * prom-client `Registry` (never the process-global one), so that two servers in one process, or a test, do not mix
 * their numbers; every name starts with `gitml_`.
 *
 * Cardinality: every distinct label combination is a time series Prometheus keeps. The labels here are bounded by
 * what the server was configured with: model and version names, the protocol, HTTP statuses, the model's own classes.
 * Never pass a request id, a user key or a raw input value as a label; a regression value or anomaly score goes into
 * a histogram, whose series are its buckets (about twenty per model version), not one per value.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { GitmlError } from '../errors.js';

/** Request latency buckets in seconds: 0.1 ms to 5 s, about three per decade. */
export const DURATION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Prediction value buckets when the caller gives none: tenths across [0, 1] for probability-like scores, then decades
 * either side for regression values and reconstruction errors. A regression target with its own range reads better
 * with `valueBuckets` fitted to it.
 */
export const VALUE_BUCKETS: readonly number[] = [
  -1000, -100, -10, -1, -0.1, 0, 0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2.5, 5, 10, 100, 1000,
];

export interface ServeMetricsOptions {
  /** Upper bounds of the `gitml_prediction_value` buckets, ascending. @default VALUE_BUCKETS */
  valueBuckets?: readonly number[];
  /** Upper bounds of the `gitml_request_duration_seconds` buckets, ascending. @default DURATION_BUCKETS */
  durationBuckets?: readonly number[];
  /** Also expose the process's CPU, memory, event-loop lag and GC (`gitml_process_*`, `gitml_nodejs_*`). @default false */
  processMetrics?: boolean;
}

/** What a model answered for a batch of rows: class labels, or numbers (regression values, anomaly scores). */
export interface PredictionSummary {
  labels?: readonly string[];
  values?: ArrayLike<number>;
}

type ShadowLabels = 'model' | 'primary' | 'shadow';
const SHADOW_LABELS: ShadowLabels[] = ['model', 'primary', 'shadow'];
const RATIO = 'gitml_shadow_agreement_ratio';
const RATIO_HELP = 'Agreements over compared rows since the server started (rate(gitml_shadow_agreements_total) / rate(gitml_shadow_compared_total) for a window)';

/** One process's metrics as data (`ServeMetrics.json`), for `aggregateMetrics`. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export class ServeMetrics {
  /** The `Content-Type` of `text()`, for the `/metrics` response. */
  readonly contentType: string;
  private readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'version' | 'protocol' | 'status'>;
  private readonly duration: Histogram<'model' | 'version' | 'protocol'>;
  private readonly predicted: Counter<'model' | 'version' | 'class'>;
  private readonly value: Histogram<'model' | 'version'>;
  private readonly nonFinite: Counter<'model' | 'version'>;
  private readInFlight: () => number = () => 0;
  private readonly shadowRequests: Counter<ShadowLabels>;
  private readonly shadowCompared: Counter<ShadowLabels>;
  private readonly shadowAgreements: Counter<ShadowLabels>;
  private readonly shadowErrors: Counter<ShadowLabels>;
  private readonly shadowRatio: Gauge<ShadowLabels>;
  /** Rows compared and agreed so far per (model, primary, shadow), for the ratio gauge. */
  private readonly shadowTotals = new Map<string, { compared: number; agreed: number }>();

  constructor(o: ServeMetricsOptions = {}) {
    const registers = [this.registry];
    this.contentType = this.registry.contentType;
    this.requests = new Counter({
      name: 'gitml_requests_total',
      help: 'Prediction requests answered, by model, version, protocol (v2, mlflow) and HTTP status; model and version are empty for requests that reached no model',
      labelNames: ['model', 'version', 'protocol', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'gitml_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer, in seconds',
      labelNames: ['model', 'version', 'protocol'],
      buckets: ascending('durationBuckets', o.durationBuckets ?? DURATION_BUCKETS),
      registers,
    });
    this.predicted = new Counter({
      name: 'gitml_predictions_total',
      help: 'Rows a classification model predicted, by predicted class',
      labelNames: ['model', 'version', 'class'],
      registers,
    });
    this.value = new Histogram({
      name: 'gitml_prediction_value',
      help: 'Values a regression model predicted, or anomaly scores',
      labelNames: ['model', 'version'],
      buckets: ascending('valueBuckets', o.valueBuckets ?? VALUE_BUCKETS),
      registers,
    });
    this.nonFinite = new Counter({
      name: 'gitml_prediction_nonfinite_total',
      help: 'Predicted values that were NaN or infinite, left out of gitml_prediction_value',
      labelNames: ['model', 'version'],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'gitml_requests_in_flight',
      help: 'Requests received and not yet answered',
      registers,
      collect() {
        this.set(metrics.readInFlight());
      },
    });
    this.shadowRequests = new Counter({
      name: 'gitml_shadow_requests_total',
      help: 'Requests mirrored to a shadow version, including those where the shadow failed',
      labelNames: SHADOW_LABELS,
      registers,
    });
    this.shadowCompared = new Counter({
      name: 'gitml_shadow_compared_total',
      help: 'Rows whose shadow prediction was compared with the answering version',
      labelNames: SHADOW_LABELS,
      registers,
    });
    this.shadowAgreements = new Counter({
      name: 'gitml_shadow_agreements_total',
      help: 'Compared rows where the shadow predicted the same class, or a value within the tolerance',
      labelNames: SHADOW_LABELS,
      registers,
    });
    this.shadowErrors = new Counter({ name: 'gitml_shadow_errors_total', help: 'Mirrored requests the shadow version failed to answer', labelNames: SHADOW_LABELS, registers });
    // Server processes' ratios do not add up: aggregateMetrics works the ratio out from the summed counters instead.
    this.shadowRatio = new Gauge({ name: RATIO, help: RATIO_HELP, labelNames: SHADOW_LABELS, registers, aggregator: 'omit' });
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gitml_' });
  }

  /** One answered request: `status` is the HTTP status, `seconds` the time it took. */
  request(model: string, version: string, protocol: string, status: number, seconds: number): void {
    this.requests.inc({ model, version, protocol, status: String(status) });
    // A clock stepping backwards must not throw in the request path.
    this.duration.observe({ model, version, protocol }, Number.isFinite(seconds) && seconds > 0 ? seconds : 0);
  }

  /** What a model answered for a batch: one count per row's class, or one observation per finite value. */
  predictions(model: string, version: string, p: PredictionSummary): void {
    if (p.labels?.length === 1) this.predicted.inc({ model, version, class: p.labels[0]! });
    else if (p.labels?.length) {
      const counts = new Map<string, number>();
      for (const label of p.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
      for (const [label, n] of counts) this.predicted.inc({ model, version, class: label }, n);
    }
    if (p.values?.length) {
      const labels = { model, version };
      let bad = 0;
      for (let i = 0; i < p.values.length; i++) {
        const v = p.values[i]!;
        if (Number.isFinite(v)) this.value.observe(labels, v);
        else bad++;
      }
      if (bad) this.nonFinite.inc(labels, bad);
    }
  }

  /** Where the in-flight gauge reads its value when scraped (the server's own count), so requests never touch it. */
  countInFlight(read: () => number): void {
    this.readInFlight = read;
  }

  /** One mirrored request: how many rows the shadow's answer was compared on and agreed on, or that it failed. */
  shadow(model: string, primary: string, shadow: string, result: { compared: number; agreed: number } | 'error'): void {
    const labels = { model, primary, shadow };
    this.shadowRequests.inc(labels);
    if (result === 'error') {
      this.shadowErrors.inc(labels);
      return;
    }
    if (!(result.compared >= 0 && result.agreed >= 0 && result.agreed <= result.compared))
      throw new GitmlError('E_SERVE_METRICS', `a shadow comparison agreed on ${result.agreed} of ${result.compared} rows; agreed must be between 0 and compared`);
    this.shadowCompared.inc(labels, result.compared);
    this.shadowAgreements.inc(labels, result.agreed);
    const key = JSON.stringify([model, primary, shadow]);
    const total = this.shadowTotals.get(key) ?? { compared: 0, agreed: 0 };
    total.compared += result.compared;
    total.agreed += result.agreed;
    this.shadowTotals.set(key, total);
    if (total.compared > 0) this.shadowRatio.set(labels, total.agreed / total.compared);
  }

  /** Every metric in the Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Every metric as data, for adding up several server processes' (`aggregateMetrics`). */
  json(): Promise<MetricsJson> {
    return this.registry.getMetricsAsJSON();
  }
}

/**
 * Several server processes' metrics as one exposition (`gitml serve --workers`): counters, histograms and the
 * in-flight gauge are summed by prom-client's aggregation; the shadow agreement ratio is worked out again from the
 * summed compared and agreed rows, since ratios do not add.
 */
export async function aggregateMetrics(processes: MetricsJson[]): Promise<string> {
  const merged = AggregatorRegistry.aggregate(processes);
  const byLabels = async (name: string): Promise<Map<string, { labels: Partial<Record<string, string | number>>; value: number }>> => {
    const metric = merged.getSingleMetric(name);
    const values = metric ? (await metric.get()).values : [];
    return new Map(values.map((v) => [JSON.stringify(SHADOW_LABELS.map((l) => v.labels[l])), { labels: v.labels, value: v.value }]));
  };
  const compared = await byLabels('gitml_shadow_compared_total');
  const agreed = await byLabels('gitml_shadow_agreements_total');
  const ratio = new Gauge({ name: RATIO, help: RATIO_HELP, labelNames: SHADOW_LABELS, registers: [merged] });
  for (const [key, c] of compared) if (c.value > 0) ratio.set(c.labels as Partial<Record<ShadowLabels, string>>, (agreed.get(key)?.value ?? 0) / c.value);
  return merged.metrics();
}

/**
 * How many rows two answers to the same rows were compared on, and agreed on: the same class, or values within
 * `tolerance` of each other (two NaNs agree: both say "no value"). Rows only one side has count as compared and not
 * agreed; so does every row when one side gave classes and the other numbers.
 */
export function agreement(primary: PredictionSummary, shadow: PredictionSummary, tolerance: number): { compared: number; agreed: number } {
  if (!(tolerance >= 0)) throw new GitmlError('E_SERVE_CONFIG', `the shadow tolerance must be a number >= 0, got ${tolerance}`);
  const a = primary.labels ?? primary.values;
  const b = shadow.labels ?? shadow.values;
  if (!a && !b) return { compared: 0, agreed: 0 };
  const compared = Math.max(a?.length ?? 0, b?.length ?? 0);
  if (!a || !b || !primary.labels !== !shadow.labels) return { compared, agreed: 0 };
  const n = Math.min(a.length, b.length);
  let agreed = 0;
  if (primary.labels && shadow.labels) {
    for (let i = 0; i < n; i++) if (primary.labels[i] === shadow.labels[i]) agreed++;
  } else {
    const x = primary.values!;
    const y = shadow.values!;
    for (let i = 0; i < n; i++) {
      const u = x[i]!;
      const v = y[i]!;
      if (Math.abs(u - v) <= tolerance || (Number.isNaN(u) && Number.isNaN(v)) || u === v) agreed++;
    }
  }
  return { compared, agreed };
}

function ascending(option: string, buckets: readonly number[]): number[] {
  if (!buckets.length || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)))
    throw new GitmlError('E_SERVE_CONFIG', `${option} must be finite numbers in ascending order, got [${buckets.join(', ')}]`);
  return [...buckets];
}
