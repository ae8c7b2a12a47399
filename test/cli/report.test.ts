import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { browserTests, withPage } from '../helpers/browser.js';

const PIPELINE = `stages:
  prepare:
    cmd: mkdir -p data && cp in.txt data/a.txt && cp in.txt data/b.txt
    deps: [in.txt]
    outs: [data]
  train:
    cmd: node train.cjs
    deps: [data, train.cjs]
    params: [train.lr]
    outs: [model.bin]
    metrics:
      - path: metrics/eval.json
        better: {accuracy: higher}
        precision: 3
    plots:
      - {path: plots/loss.json, y: loss}
      - {path: plots/confusion.json, template: confusion}
gates:
  - metric: metrics/eval.json:accuracy
    min: 0.75
`;

/** Writes a model of 70 bytes per 0.1 of learning rate, accuracy 0.7 + lr, four epochs of loss and ten predictions. */
const TRAIN = `const fs = require('fs');
const lr = Number(/lr: ([\\d.]+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
fs.mkdirSync('metrics', { recursive: true });
fs.mkdirSync('plots', { recursive: true });
fs.writeFileSync('model.bin', 'weights'.repeat(Math.round(lr * 100)));
fs.writeFileSync('metrics/eval.json', JSON.stringify({ accuracy: Number((0.7 + lr).toFixed(3)) }));
fs.writeFileSync('plots/loss.json', JSON.stringify([0, 1, 2, 3].map((i) => ({ loss: Number((1 / (1 + i * lr * 10)).toFixed(4)) }))));
const cm = [];
for (let i = 0; i < 10; i++) cm.push({ actual: i % 2 ? 'cat' : 'dog', predicted: i < Math.round(lr * 30) ? 'cat' : 'dog' });
fs.writeFileSync('plots/confusion.json', JSON.stringify(cm));
`;

let fx: Fixture;

beforeAll(() => {
  fx = makeFixture({ 'ml.yaml': PIPELINE, 'params.yaml': 'train:\n  lr: 0.1\n', 'in.txt': 'hello\n', 'train.cjs': TRAIN });
  expect(fx.gitml('repro', '-q').code).toBe(0);
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'base');
  fx.git('tag', 'base');
  fx.write('params.yaml', 'train:\n  lr: 0.2\n');
  const r = fx.gitml('repro', '-q');
  expect(r.code, r.stderr).toBe(0);
});

function report(...args: string[]): string {
  const r = fx.gitml('report', '--base', 'base', ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The table rows of a Markdown section. */
function section(md: string, title: string): string[] {
  const start = md.indexOf(`### ${title}\n`);
  expect(start, `no ${title} section`).toBeGreaterThan(-1);
  const rest = md.slice(start).split('\n').slice(1);
  const end = rest.findIndex((l) => l.startsWith('### '));
  return rest.slice(0, end === -1 ? undefined : end).filter((l) => l.startsWith('| '));
}

describe('gitml report', () => {
  it('shows the verdict, the metric and param changes, what ran, changed outputs and the plots', () => {
    const md = report();
    expect(md.split('\n').slice(0, 3)).toEqual(['## gitml report: `workspace` against `base`', '', '✅ **Gates passed: 1 of 1.**']);
    expect(section(md, 'Metrics').slice(2)).toEqual(['| `metrics/eval.json:accuracy` | 0.8 | 0.9 | +0.1 | +12.5% | higher | better |']);
    expect(section(md, 'Params').slice(2)).toEqual(['| `params.yaml:train.lr` | 0.1 | 0.2 |']);
    const stages = section(md, 'Stages').slice(2);
    expect(stages[0]).toMatch(/^\| prepare \| up to date \| \d+\.\d\d s \|  \|$/);
    expect(stages[1]).toMatch(/^\| train \| ran \| \d+\.\d\d s \| param `train\.lr` changed `0\.1 -> 0\.2` \|$/);
    expect(section(md, 'Outputs').slice(2)).toEqual(['| `model.bin` | train | modified | 70 B | 140 B (+70 B) |']);
    expect(md).toContain(
      [
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#9ecae1, #1f77b4"}}}}%%',
        'xychart-beta',
        '  title "plots/loss.json"',
        '  x-axis "step" ["0", "1", "2", "3"]',
        '  y-axis "loss"',
        '  line [1, 0.5, 0.3333, 0.25]',
        '  line [1, 0.3333, 0.2, 0.1429]',
        '```',
      ].join('\n'),
    );
    expect(md).toContain(
      ['| actual \\ predicted | cat | dog |', '| --- | ---: | ---: |', '| **cat** | 3 (+2) | 2 (-2) |', '| **dog** | 3 (+1) | 2 (-1) |'].join('\n'),
    );
    // Deterministic: the same inputs give the same bytes.
    expect(report()).toBe(md);
  });

  it('prints the view model with --json', () => {
    const j = JSON.parse(report('--json'));
    expect(Object.keys(j)).toEqual(['schema', 'base', 'head', 'verdict', 'gates', 'metrics', 'unchangedMetrics', 'metricErrors', 'params', 'stages', 'outputs', 'plots', 'omitted']);
    expect(j.verdict).toEqual({ status: 'pass', total: 1, passed: 1, failed: [] });
    expect(j.stages.map((s: { name: string; status: string; source: string }) => [s.name, s.status, s.source])).toEqual([
      ['prepare', 'up-to-date', 'lockfile'],
      ['train', 'ran', 'repro'],
    ]);
    expect(j.stages[1].durationMs).toBeGreaterThan(0);
    expect(j.outputs).toEqual([{ path: 'model.bin', stage: 'train', change: 'modified', base: { size: 70 }, head: { size: 140 }, sizeChange: 70 }]);
  });

  it('takes which stages ran or were restored from a --plan file', () => {
    fx.write('plan.json', JSON.stringify({ has_work: true, stages: [{ name: 'train', action: 'restore', reasons: ['param `train.lr` changed'] }], groups: [] }));
    const stages = section(report('--plan', 'plan.json'), 'Stages');
    expect(stages[3]).toMatch(/^\| train \| restored from run-cache \| \d+\.\d\d s \| param `train\.lr` changed `0\.1 -> 0\.2` \|$/);
  });

  it('says where a --plan file is wrong', () => {
    fx.write('bad-plan.json', '{\n  "stages": [\n    {"name": "train", "action": "ran"}\n  ]\n}\n');
    const r = fx.gitml('report', '--plan', 'bad-plan.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad-plan.json:3:33: stages[0].action: expected one of run, restore, up-to-date, frozen, found "ran"');
    expect(fx.gitml('report', '--plan', 'nope.json').stderr).toContain('nope.json: no such file');
  });

  it('leaves out sections to fit --max-chars, plots first, and says so', () => {
    const md = report('--max-chars', '1200');
    expect(md.length).toBeLessThanOrEqual(1200);
    expect(md).toContain('✅ **Gates passed: 1 of 1.**');
    expect(md).toContain('| `metrics/eval.json:accuracy` | 0.8 | 0.9 |');
    expect(md).not.toContain('```mermaid');
    expect(md).toMatch(/_To stay under 1200 characters, this report left out the plots `plots\/confusion\.json`, `plots\/loss\.json`.* The full report is in the job summary\._/);
    expect(report('--max-chars', '1048576')).not.toContain('To stay under');
  });

  it('renders a --template, and the repository template at .ml/templates/report.md.hbs on its own', () => {
    fx.write('mine.hbs', '{{verdict.status}} {{#each params}}{{key}}: {{value base}} -> {{value head}}{{/each}}\n');
    expect(report('--template', 'mine.hbs')).toBe('pass train.lr: 0.1 -> 0.2\n');
    fx.write('.ml/templates/report.md.hbs', '{{#each stages}}{{name}}={{status status}};{{/each}}\n');
    try {
      expect(report()).toBe('prepare=up to date;train=ran;\n');
      fx.write('.ml/templates/report.md.hbs', 'ok\n{{#each stages}}\n{{name}\n');
      const r = fx.gitml('report');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\.ml\/templates\/report\.md\.hbs:3:7: invalid template syntax/);
    } finally {
      fx.remove('.ml/templates');
    }
  });

  it('writes a self-contained HTML page with -o', () => {
    const r = fx.gitml('report', '--base', 'base', '--html', '-o', 'out/report.html');
    expect(r.code, r.stderr).toBe(0);
    const html = fx.read('out/report.html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('<td class="n">3 (+2)</td>');
    expect(fx.gitml('report', '--json', '--md').stderr).toContain('choose one of --md, --html and --json');
  });
});

// A real browser: the page shows its charts and tables with no script and loads nothing but itself.
describe.skipIf(!browserTests)('the HTML report in headless Chromium', () => {
  it('shows the verdict, the tables and each chart, and fetches nothing', async () => {
    expect(fx.gitml('report', '--base', 'base', '--html', '-o', 'out/page.html').code).toBe(0);
    await withPage(async (page) => {
      await page.setJavaScriptEnabled(false);
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${join(fx.dir, 'out/page.html')}`, { waitUntil: 'load' });
      const seen = await page.evaluate(() => {
        // The page's own document; this file is compiled without the DOM library.
        const doc = (globalThis as unknown as { document: { body: { innerText: string }; querySelectorAll(q: string): ArrayLike<{ getBoundingClientRect(): { width: number; height: number } }> } }).document;
        const boxes = Array.from(doc.querySelectorAll('section svg')).map((svg) => svg.getBoundingClientRect());
        return { text: doc.body.innerText, charts: boxes.map((b) => [b.width, b.height]) };
      });
      expect(seen.text).toContain('Gates passed: 1 of 1.');
      expect(seen.text).toMatch(/train\.lr\s+0\.1\s+0\.2/);
      expect(seen.text).toContain('3 (+2)');
      expect(seen.charts.length).toBeGreaterThan(0);
      for (const [w, h] of seen.charts) {
        expect(w).toBeGreaterThan(100);
        expect(h).toBeGreaterThan(100);
      }
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    });
  });

  it('draws every Mermaid chart of the Markdown report with Mermaid itself, as GitHub does', async () => {
    const md = report();
    const charts = [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(charts.length).toBeGreaterThan(0);
    await withPage(async (page) => {
      await page.setContent('<!doctype html><html><body></body></html>');
      await page.addScriptTag({ path: createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js') });
      const drawn = await page.evaluate(async (texts: string[]) => {
        const mermaid = (globalThis as unknown as { mermaid: { initialize(o: object): void; render(id: string, text: string): Promise<{ svg: string }> } }).mermaid;
        mermaid.initialize({ startOnLoad: false });
        const out: { svg?: string; error?: string }[] = [];
        for (const [i, text] of texts.entries()) {
          try {
            out.push({ svg: (await mermaid.render(`chart${i}`, text)).svg });
          } catch (err) {
            out.push({ error: String(err) });
          }
        }
        return out;
      }, charts);
      for (const [i, d] of drawn.entries()) {
        expect(d.error, charts[i]).toBeUndefined();
        // One plotted line per revision, in the colours the caption names.
        expect(d.svg!.match(/class="line-plot-\d+"/g)?.length ?? 0, d.svg).toBeGreaterThanOrEqual(2);
        expect(d.svg).toContain('#1f77b4');
      }
    });
  });
});
