import { describe, expect, it } from 'vitest';
import { makeFixture } from '../helpers/fixture.js';
import { mean, std, quantile, values } from '../helpers/stats.js';

/** 60 rows with nulls, ties and a constant; every statistic below is computed from these arrays in plain JS. */
const N = 60;
interface Row {
  x: number | null;
  y: number | null;
  k: number;
  city: string | null;
  flag: boolean;
  day: string;
  empty: null;
  label: string | null;
}
function rows(): Row[] {
  return Array.from({ length: N }, (_, i) => ({
    x: i % 9 === 4 ? null : ((i * 7) % 23) - 5,
    y: i % 11 === 2 ? null : Math.round(Math.sin(i) * 1000) / 64,
    k: 7,
    city: i % 13 === 0 ? null : ['ams', 'ber', 'cph', 'ams', 'dub', 'ber'][i % 6]!,
    flag: i % 4 === 1,
    day: `2023-0${(i % 9) + 1}-${String((i % 27) + 1).padStart(2, '0')}`,
    empty: null,
    label: i % 17 === 5 ? null : ['no', 'yes', 'no', 'maybe', 'no'][i % 5]!,
  }));
}
const COLS: (keyof Row)[] = ['x', 'y', 'k', 'city', 'flag', 'day', 'empty', 'label'];
const csv = (data: Row[]) => `${COLS.join(',')}\n${data.map((r) => COLS.map((c) => r[c] ?? '').join(',')).join('\n')}\n`;

const BINS = 5;
const TOP = 3;
// ingest makes `day` a date and `empty` a float column with no values; profile reads the Parquet file.
const PIPELINE = (bins = BINS) => `stages:
  ingest:
    uses: gitml/data/ingest
    with: {input: raw.csv, output: data.parquet, schema: {day: date, empty: float}}
  profile:
    uses: gitml/data/profile
    with: {input: data.parquet, output: reports/profile.json, html: reports/profile.html, label: label, bins: ${bins}, top: ${TOP}}
`;

/** Bin k holds edges[k] <= x < edges[k+1]; the last bin holds its upper edge too. */
const histogram = (xs: number[], bins: number) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (lo === hi) return { edges: [lo, hi], counts: [xs.length] };
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + ((hi - lo) / bins) * k));
  const counts = Array.from(
    { length: bins },
    (_, k) => xs.filter((x) => x >= edges[k]! && (k === bins - 1 ? x <= hi : x < edges[k + 1]!)).length,
  );
  return { edges, counts };
};
const top = <T>(xs: T[], n: number) => {
  const counts = new Map<T, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (String(a[0]) < String(b[0]) ? -1 : 1))
    .slice(0, n)
    .map(([value, count]) => ({ value, count }));
};

describe('gitml/data/profile', () => {
  it('reports counts, moments, linear quantiles, histograms, top values and class balance that match the data', () => {
    const data = rows();
    const fx = makeFixture({ 'ml.yaml': PIPELINE(), 'raw.csv': csv(data) });
    const r = fx.gitml('repro');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'profile: 60 rows, 8 columns (4 numeric) -> reports/profile.json, reports/profile.html; label `label`: 3 classes',
    );
    const p = JSON.parse(fx.read('reports/profile.json'));
    expect(p.rows).toBe(N);
    expect(Object.keys(p.columns)).toEqual(COLS);

    for (const name of ['x', 'y', 'k'] as const) {
      const xs = values(data.map((d) => d[name]));
      const c = p.columns[name];
      expect(c.type).toBe(name === 'y' ? 'float' : 'int');
      expect(c).toMatchObject({
        count: xs.length,
        nulls: N - xs.length,
        distinct: new Set(xs).size,
        min: Math.min(...xs),
        max: Math.max(...xs),
      });
      expect(c.mean).toBeCloseTo(mean(xs), 10);
      expect(c.std).toBeCloseTo(std(xs), 10);
      expect(Object.keys(c.quantiles)).toEqual(['0.05', '0.25', '0.5', '0.75', '0.95']);
      for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) expect(c.quantiles[String(q)]).toBeCloseTo(quantile(xs, q), 10);
      const h = histogram(xs, BINS);
      expect(c.histogram.counts).toEqual(h.counts);
      expect(c.histogram.edges).toHaveLength(h.edges.length);
      c.histogram.edges.forEach((e: number, k: number) => expect(e).toBeCloseTo(h.edges[k]!, 10));
    }
    // A constant column has one bin; a column without values is reported, not a crash.
    expect(p.columns.k.histogram).toEqual({ edges: [7, 7], counts: [N] });
    expect(p.columns.empty).toEqual({
      type: 'float',
      count: 0,
      nulls: N,
      distinct: 0,
      min: null,
      max: null,
      mean: null,
      std: null,
      quantiles: { '0.05': null, '0.25': null, '0.5': null, '0.75': null, '0.95': null },
      histogram: { edges: [], counts: [] },
    });

    const cities = values(data.map((d) => d.city));
    expect(p.columns.city).toEqual({
      type: 'string',
      count: cities.length,
      nulls: N - cities.length,
      distinct: new Set(cities).size,
      top: top(cities, TOP),
    });
    expect(p.columns.flag).toEqual({
      type: 'bool',
      count: N,
      nulls: 0,
      distinct: 2,
      top: top(
        data.map((d) => d.flag),
        TOP,
      ),
    });
    const days = data.map((d) => d.day).sort();
    expect(p.columns.day).toEqual({ type: 'date', count: N, nulls: 0, distinct: new Set(days).size, min: days[0], max: days[N - 1] });

    const labels = values(data.map((d) => d.label));
    const classes = Object.fromEntries(
      [...new Set(labels)].sort().map((k) => {
        const count = labels.filter((l) => l === k).length;
        return [k, { count, share: count / labels.length }];
      }),
    );
    expect(p.label).toEqual({ column: 'label', nulls: N - labels.length, classes });

    // The page stands alone: no scripts, nothing fetched; a histogram per numeric column with values, one rect per bin.
    const html = fx.read('reports/profile.html');
    expect(html).not.toMatch(/<script|https?:|src=|<link/i);
    const hists = html.match(/<svg class="hist"[\s\S]*?<\/svg>/g) ?? [];
    expect(hists).toHaveLength(3);
    expect(hists.map((s) => (s.match(/<rect /g) ?? []).length)).toEqual([BINS, BINS, 1]);
    for (const t of p.columns.city.top) expect(html).toContain(`<td>${t.value}</td><td class="num">${t.count}</td>`);
    expect(html).toContain('Class balance: label');
    expect(html).toContain(`<td>maybe</td><td class="num">${classes.maybe!.count}</td>`);

    // Nothing to do the second time; a changed setting is named.
    expect(fx.gitml('repro').stdout).toContain('Nothing to reproduce');
    fx.write('ml.yaml', PIPELINE(10));
    expect(fx.gitml('status').stdout).toContain('with `bins` changed');
  });

  it('fails with a clear message, exit 1 and no output for a missing label column, an unlabelled label and an empty dataset', () => {
    const data = rows().map((r) => ({ ...r, label: null }));
    const stage = (name: string, w: string) =>
      `  ${name}:\n    uses: gitml/data/profile\n    with: {output: out/${name}.json, html: out/${name}.html, ${w}}\n`;
    const fx = makeFixture({
      'ml.yaml': `stages:\n${[
        stage('nolabel', 'input: raw.csv, label: target'),
        stage('nulllabel', 'input: raw.csv, label: label'),
        stage('empty', 'input: header.csv'),
        stage('zero', 'input: zero.csv'),
      ].join('')}`,
      'raw.csv': csv(data),
      'header.csv': `${COLS.join(',')}\n`,
      'zero.csv': '',
    });
    const r = fx.gitml('repro', '-k', '-j', '4');
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all).toContain(`profile: label: column \`target\` does not exist; the columns are ${COLS.join(', ')}`);
    expect(all).toContain('profile: label: column `label` holds only nulls');
    expect(all).toContain('profile: header.csv has no rows');
    expect(all).toContain('profile: zero.csv is empty');
    expect(fx.exists('out')).toBe(false);

    const step = fx.gitml('step', 'profile', '--with', JSON.stringify({ input: 'nope.parquet', output: 'out/p.json' }));
    expect(step.code).toBe(1);
    expect(step.stderr).toContain('profile: nope.parquet does not exist');
    expect(fx.exists('out')).toBe(false);
  });
});
