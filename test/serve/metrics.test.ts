import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { aggregateMetrics, agreement, DURATION_BUCKETS, ServeMetrics } from '../../core/serve/metrics.js';

type Families = ReturnType<typeof parsePrometheusTextFormat>;

interface Scrape {
  families: Families;
  /** The same text parsed with histograms read as their plain `_bucket`, `_sum` and `_count` series. */
  series: Families;
}

async function scrape(m: ServeMetrics | string): Promise<Scrape> {
  const text = typeof m === 'string' ? m : await m.text();
  // The parser folds every label set of a histogram into one; untyped, each series keeps its labels (in one family per
  // run of lines: `samples` gathers them).
  return { families: parsePrometheusTextFormat(text), series: parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, '')) };
}

const sameLabels = (a: Record<string, string> = {}, b: Record<string, string> = {}) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function family(f: Families, name: string) {
  const found = f.find((x) => x.name === name);
  if (!found) throw new Error(`no metric ${name} in ${f.map((x) => x.name).join(', ')}`);
  return found;
}

/** The value of the sample of `name` whose labels are exactly `labels`. */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = family(s.families, name).metrics.find((x) => sameLabels(x.labels, labels));
  if (!found) throw new Error(`no ${name}${JSON.stringify(labels)}; have ${JSON.stringify(family(s.families, name).metrics.map((x) => x.labels))}`);
  return Number(found.value);
}

/** Every sample of the untyped series `name`. */
const samples = (s: Scrape, name: string) => s.series.filter((f) => f.name === name).flatMap((f) => f.metrics);

/** The histogram `name` for `labels`: cumulative counts by upper bound (`le`), the sum and the count. */
function histogram(s: Scrape, name: string, labels: Record<string, string>) {
  expect(family(s.families, name).type).toBe('HISTOGRAM');
  const buckets: Record<string, number> = {};
  for (const b of samples(s, `${name}_bucket`)) {
    const { le, ...rest } = b.labels ?? {};
    if (sameLabels(rest, labels)) buckets[le!] = Number(b.value);
  }
  if (!Object.keys(buckets).length) throw new Error(`no ${name}${JSON.stringify(labels)}`);
  const one = (suffix: string) => Number(samples(s, `${name}_${suffix}`).find((x) => sameLabels(x.labels, labels))!.value);
  return { buckets, sum: one('sum'), count: one('count') };
}

describe('ServeMetrics', () => {
  it('exposes only gitml_ metrics, on its own registry, in the Prometheus text format', async () => {
    const a = new ServeMetrics();
    const b = new ServeMetrics();
    a.request('churn', 'v1', 'v2', 200, 0.01);
    const f = await scrape(a);
    expect(f.families.map((x) => x.name).sort()).toEqual([
      'gitml_prediction_nonfinite_total',
      'gitml_prediction_value',
      'gitml_predictions_total',
      'gitml_request_duration_seconds',
      'gitml_requests_in_flight',
      'gitml_requests_total',
      'gitml_shadow_agreement_ratio',
      'gitml_shadow_agreements_total',
      'gitml_shadow_compared_total',
      'gitml_shadow_errors_total',
      'gitml_shadow_requests_total',
    ]);
    expect(a.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    // A second instance counts nothing of the first's.
    expect(family((await scrape(b)).families, 'gitml_requests_total').metrics).toEqual([]);
  });

  it('counts requests by model, version, protocol and status, and times them in buckets from 0.1 ms to 5 s', async () => {
    const m = new ServeMetrics();
    m.request('churn', 'v1', 'v2', 200, 0.0004);
    m.request('churn', 'v1', 'v2', 200, 0.003);
    m.request('churn', 'v1', 'v2', 200, 7);
    m.request('churn', 'v2', 'mlflow', 400, 0.002);
    m.request('', '', 'v2', 404, 0.00005);
    const f = await scrape(m);
    expect(family(f.families, 'gitml_requests_total').type).toBe('COUNTER');
    expect(value(f, 'gitml_requests_total', { model: 'churn', version: 'v1', protocol: 'v2', status: '200' })).toBe(3);
    expect(value(f, 'gitml_requests_total', { model: 'churn', version: 'v2', protocol: 'mlflow', status: '400' })).toBe(1);
    expect(value(f, 'gitml_requests_total', { model: '', version: '', protocol: 'v2', status: '404' })).toBe(1);

    const h = histogram(f, 'gitml_request_duration_seconds', { model: 'churn', version: 'v1', protocol: 'v2' });
    expect(Object.keys(h.buckets).sort()).toEqual([...DURATION_BUCKETS.map(String), '+Inf'].sort());
    expect(h.buckets['0.0001']).toBe(0);
    expect(h.buckets['0.0005']).toBe(1);
    expect(h.buckets['0.005']).toBe(2);
    expect(h.buckets['5']).toBe(2);
    expect(h.buckets['+Inf']).toBe(3);
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(7.0034, 10);
    expect(histogram(f, 'gitml_request_duration_seconds', { model: 'churn', version: 'v2', protocol: 'mlflow' }).buckets['0.0025']).toBe(1);
    expect(histogram(f, 'gitml_request_duration_seconds', { model: '', version: '', protocol: 'v2' }).buckets['0.0001']).toBe(1);
  });

  it('a negative or NaN duration counts as 0 instead of throwing', async () => {
    const m = new ServeMetrics();
    m.request('m', 'v', 'v2', 200, -0.5);
    m.request('m', 'v', 'v2', 200, Number.NaN);
    const h = histogram(await scrape(m), 'gitml_request_duration_seconds', { model: 'm', version: 'v', protocol: 'v2' });
    expect([h.count, h.sum, h.buckets['0.0001']]).toEqual([2, 0, 2]);
  });

  it('counts predicted classes per model version', async () => {
    const m = new ServeMetrics();
    m.predictions('churn', 'v1', { labels: ['yes', 'no', 'no', 'no'] });
    m.predictions('churn', 'v1', { labels: ['yes'] });
    m.predictions('churn', 'v2', { labels: ['no'] });
    const f = await scrape(m);
    expect(value(f, 'gitml_predictions_total', { model: 'churn', version: 'v1', class: 'yes' })).toBe(2);
    expect(value(f, 'gitml_predictions_total', { model: 'churn', version: 'v1', class: 'no' })).toBe(3);
    expect(value(f, 'gitml_predictions_total', { model: 'churn', version: 'v2', class: 'no' })).toBe(1);
    expect(family(f.families, 'gitml_predictions_total').metrics).toHaveLength(3);
  });

  it('observes regression values in a histogram, counting NaN and infinities apart', async () => {
    const m = new ServeMetrics({ valueBuckets: [0, 10, 100] });
    m.predictions('price', 'v3', { values: Float64Array.from([-5, 0, 3, 42, 250, Number.NaN, Infinity]) });
    m.predictions('price', 'v3', { values: [7] });
    m.predictions('price', 'v4', { values: [1000] });
    const f = await scrape(m);
    const h = histogram(f, 'gitml_prediction_value', { model: 'price', version: 'v3' });
    expect(h.buckets).toEqual({ '0': 2, '10': 4, '100': 5, '+Inf': 6 });
    expect([h.sum, h.count]).toEqual([297, 6]);
    expect(histogram(f, 'gitml_prediction_value', { model: 'price', version: 'v4' }).buckets).toEqual({ '0': 0, '10': 0, '100': 0, '+Inf': 1 });
    expect(value(f, 'gitml_prediction_nonfinite_total', { model: 'price', version: 'v3' })).toBe(2);
  });

  it('the default value buckets cover probability-like scores and decades either side', async () => {
    const m = new ServeMetrics();
    m.predictions('fraud', 'v1', { values: Float32Array.from([0.05, 0.55, 0.95, 3, -2]) });
    const h = histogram(await scrape(m), 'gitml_prediction_value', { model: 'fraud', version: 'v1' });
    expect(h.buckets['-1']).toBe(1);
    expect(h.buckets['0.1']).toBe(2);
    expect(h.buckets['0.6']).toBe(3);
    expect(h.buckets['1']).toBe(4);
    expect(h.buckets['5']).toBe(5);
  });

  it('reports the requests in flight as counted when scraped', async () => {
    const m = new ServeMetrics();
    expect(value(await scrape(m), 'gitml_requests_in_flight')).toBe(0);
    let n = 3;
    m.countInFlight(() => n);
    expect(value(await scrape(m), 'gitml_requests_in_flight')).toBe(3);
    n = 1;
    expect(value(await scrape(m), 'gitml_requests_in_flight')).toBe(1);
  });

  it('adds up several server processes: counts, histograms and in-flight summed, the agreement ratio worked out again', async () => {
    const a = new ServeMetrics();
    const b = new ServeMetrics();
    a.request('churn', 'v1', 'v2', 200, 0.002);
    a.request('churn', 'v1', 'v2', 200, 0.02);
    b.request('churn', 'v1', 'v2', 200, 0.002);
    b.request('churn', 'v1', 'mlflow', 400, 0.001);
    a.predictions('churn', 'v1', { labels: ['yes', 'no'] });
    b.predictions('churn', 'v1', { labels: ['yes'] });
    a.countInFlight(() => 2);
    b.countInFlight(() => 3);
    a.shadow('churn', 'v1', 'v2', { compared: 10, agreed: 10 });
    b.shadow('churn', 'v1', 'v2', { compared: 30, agreed: 10 });
    const f = await scrape(await aggregateMetrics([await a.json(), await b.json()]));
    expect(value(f, 'gitml_requests_total', { model: 'churn', version: 'v1', protocol: 'v2', status: '200' })).toBe(3);
    expect(value(f, 'gitml_requests_total', { model: 'churn', version: 'v1', protocol: 'mlflow', status: '400' })).toBe(1);
    expect(value(f, 'gitml_predictions_total', { model: 'churn', version: 'v1', class: 'yes' })).toBe(2);
    expect(value(f, 'gitml_requests_in_flight')).toBe(5);
    const h = histogram(f, 'gitml_request_duration_seconds', { model: 'churn', version: 'v1', protocol: 'v2' });
    expect(h.count).toBe(3);
    expect(h.buckets['0.0025']).toBe(2);
    // 20 of 40 rows agreed: 0.5, where the two processes' own ratios (1 and 1/3) would add up to 1.33.
    expect(value(f, 'gitml_shadow_agreement_ratio', { model: 'churn', primary: 'v1', shadow: 'v2' })).toBe(0.5);
    expect(family(f.families, 'gitml_shadow_agreement_ratio').type).toBe('GAUGE');
  });

  it('counts shadow requests, compared rows, agreements and errors, and keeps the running agreement ratio', async () => {
    const m = new ServeMetrics();
    const labels = { model: 'churn', primary: 'v1', shadow: 'v2' };
    m.shadow('churn', 'v1', 'v2', { compared: 10, agreed: 9 });
    m.shadow('churn', 'v1', 'v2', { compared: 30, agreed: 21 });
    m.shadow('churn', 'v1', 'v2', 'error');
    m.shadow('churn', 'v0', 'v2', { compared: 4, agreed: 4 });
    const f = await scrape(m);
    expect(value(f, 'gitml_shadow_requests_total', labels)).toBe(3);
    expect(value(f, 'gitml_shadow_compared_total', labels)).toBe(40);
    expect(value(f, 'gitml_shadow_agreements_total', labels)).toBe(30);
    expect(value(f, 'gitml_shadow_errors_total', labels)).toBe(1);
    expect(value(f, 'gitml_shadow_agreement_ratio', labels)).toBe(0.75);
    expect(family(f.families, 'gitml_shadow_agreement_ratio').type).toBe('GAUGE');
    expect(value(f, 'gitml_shadow_agreement_ratio', { model: 'churn', primary: 'v0', shadow: 'v2' })).toBe(1);
  });

  it('a shadow that only failed has no ratio yet; an impossible comparison is refused', async () => {
    const m = new ServeMetrics();
    m.shadow('m', 'a', 'b', 'error');
    expect(family((await scrape(m)).families, 'gitml_shadow_agreement_ratio').metrics).toEqual([]);
    expect(() => m.shadow('m', 'a', 'b', { compared: 2, agreed: 3 })).toThrow(/agreed must be between 0 and compared/);
  });

  it('escapes label values so any model or class name parses back', async () => {
    const m = new ServeMetrics();
    m.predictions('m', 'v', { labels: ['say "hi"\\ now\nplease'] });
    expect(value(await scrape(m), 'gitml_predictions_total', { model: 'm', version: 'v', class: 'say "hi"\\ now\nplease' })).toBe(1);
  });

  it('adds the process metrics when asked, under the same prefix', async () => {
    const names = (await scrape(new ServeMetrics({ processMetrics: true }))).families.map((f) => f.name);
    expect(names).toContain('gitml_process_cpu_seconds_total');
    expect(names).toContain('gitml_nodejs_heap_size_used_bytes');
    expect(names.every((n) => n.startsWith('gitml_'))).toBe(true);
  });

  it('refuses buckets that are not ascending', () => {
    expect(() => new ServeMetrics({ valueBuckets: [1, 1, 2] })).toThrow('valueBuckets must be finite numbers in ascending order, got [1, 1, 2]');
    expect(() => new ServeMetrics({ durationBuckets: [] })).toThrow(/durationBuckets/);
  });
});

describe('agreement', () => {
  it('counts rows with the same class', () => {
    expect(agreement({ labels: ['a', 'b', 'c', 'a'] }, { labels: ['a', 'c', 'c', 'b'] }, 0)).toEqual({ compared: 4, agreed: 2 });
  });

  it('counts values within the tolerance, NaN agreeing only with NaN', () => {
    const p = { values: Float32Array.from([1, 2, 3, Number.NaN, Number.NaN, Infinity]) };
    const s = { values: [1.05, 2.2, 2.95, Number.NaN, 0, Infinity] };
    expect(agreement(p, s, 0.1)).toEqual({ compared: 6, agreed: 4 });
    expect(agreement(p, s, 0)).toEqual({ compared: 6, agreed: 2 });
    expect(agreement(p, s, 1)).toEqual({ compared: 6, agreed: 5 });
  });

  it('rows only one side has, and classes against numbers, disagree', () => {
    expect(agreement({ labels: ['a', 'b'] }, { labels: ['a', 'b', 'c'] }, 0)).toEqual({ compared: 3, agreed: 2 });
    expect(agreement({ labels: ['1', '0'] }, { values: [1, 0] }, 0.5)).toEqual({ compared: 2, agreed: 0 });
    expect(agreement({ values: [1] }, {}, 0.5)).toEqual({ compared: 1, agreed: 0 });
    expect(agreement({}, {}, 0)).toEqual({ compared: 0, agreed: 0 });
  });

  it('refuses a negative tolerance', () => {
    expect(() => agreement({ values: [1] }, { values: [1] }, -1)).toThrow('the shadow tolerance must be a number >= 0, got -1');
  });
});
