import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../helpers/fixture.js';
import { browserTests, withPage } from '../helpers/browser.js';
import { legendLabels } from '../plots/legend.js';

// Specs are plain JSON; tests read them as such.
type Any = any;

const PLOTS_V1 = `      - path: metrics/roc.json
        template: roc
        title: ROC on the held-out split
      - path: logs/train.csv
        x: epoch
        y: loss
        title: Training loss
        x_label: Epoch
      - {path: metrics/cm.json, template: confusion}
`;
const PLOTS_V2 = `${PLOTS_V1}      - {path: metrics/pr.json, template: precision_recall}
`;
const pipeline = (plots: string) => `stages:\n  evaluate:\n    cmd: echo evaluate\n    plots:\n${plots}`;

const roc = (tpr: number) => JSON.stringify({ roc: [{ fpr: 0, tpr: 0, threshold: 1 }, { fpr: 0.5, tpr, threshold: 0.5 }, { fpr: 1, tpr: 1, threshold: 0 }] });
const cm = (pairs: [string, string][]) => JSON.stringify(pairs.map(([actual, predicted]) => ({ actual, predicted })));

/**
 * main: v1 (roc tpr 0.6, 2 epochs) then v2 (roc tpr 0.8, 3 epochs, pr.json added); branch `experiment` off v1 with
 * roc tpr 0.7; an uncommitted roc with tpr 0.9 in the workspace.
 */
function historyFixture(): Fixture {
  const fx = makeFixture({
    'ml.yaml': pipeline(PLOTS_V1),
    'metrics/roc.json': roc(0.6),
    'logs/train.csv': 'epoch,loss\n1,0.9\n2,0.7\n',
    'metrics/cm.json': cm([['cat', 'cat'], ['cat', 'dog'], ['dog', 'dog']]),
  });
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'v1');
  fx.git('branch', 'experiment');
  fx.write('ml.yaml', pipeline(PLOTS_V2));
  fx.write('metrics/roc.json', roc(0.8));
  fx.write('logs/train.csv', 'epoch,loss\n1,0.8\n2,0.5\n3,0.4\n');
  fx.write('metrics/cm.json', cm([['cat', 'cat'], ['cat', 'cat'], ['dog', 'dog']]));
  fx.write('metrics/pr.json', JSON.stringify([{ recall: 0, precision: 1 }, { recall: 1, precision: 0.6 }]));
  fx.git('add', '-A');
  fx.git('commit', '-qm', 'v2');
  fx.git('checkout', '-q', 'experiment');
  fx.write('metrics/roc.json', roc(0.7));
  fx.git('commit', '-qam', 'experiment');
  fx.git('checkout', '-q', 'main');
  fx.write('metrics/roc.json', roc(0.9));
  return fx;
}

function specs(fx: Fixture, ...args: string[]): Record<string, Any> {
  const r = fx.gitml('plots', ...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** [x, y] of one revision's rows. */
const points = (spec: Any, rev: string, x: string, y: string) =>
  spec.data.values.filter((v: Any) => v.rev === rev).map((v: Any) => [v[x], v[y]]);
/** The spec holding the encodings (a ROC chart layers its curves over the diagonal). */
const curves = (spec: Any) => spec.layer?.[1] ?? spec;

describe('gitml plots', () => {
  let fx: Fixture;
  beforeAll(() => {
    fx = historyFixture();
  });

  it('show --json: every declared plot at the workspace, one series, no legend, data from the files', () => {
    const s = specs(fx, 'show');
    expect(Object.keys(s)).toEqual(['metrics/roc.json', 'logs/train.csv', 'metrics/cm.json', 'metrics/pr.json']);
    const rocSpec = s['metrics/roc.json'];
    expect(rocSpec.title).toBe('ROC on the held-out split');
    expect(points(rocSpec, 'workspace', 'fpr', 'tpr')).toEqual([[0, 0], [0.5, 0.9], [1, 1]]);
    expect(curves(rocSpec).encoding.color).toBeUndefined();
    // CSV: numbers read as numbers, x and axis label from ml.yaml.
    const train = s['logs/train.csv'];
    expect(points(train, 'workspace', 'epoch', 'loss')).toEqual([[1, 0.8], [2, 0.5], [3, 0.4]]);
    expect(train.encoding.x).toMatchObject({ field: 'epoch', title: 'Epoch' });
    expect(train.title).toBe('Training loss');
  });

  it('show PATH draws only that file', () => {
    expect(Object.keys(specs(fx, 'show', 'logs/train.csv'))).toEqual(['logs/train.csv']);
  });

  it('diff HEAD~1: one series per revision, and a file missing at HEAD~1 is drawn from the workspace with a note', () => {
    const r = fx.gitml('plots', 'diff', 'HEAD~1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const rocSpec = s['metrics/roc.json'];
    expect(curves(rocSpec).encoding.color.scale.domain).toEqual(['HEAD~1', 'workspace']);
    expect(points(rocSpec, 'HEAD~1', 'fpr', 'tpr')).toEqual([[0, 0], [0.5, 0.6], [1, 1]]);
    expect(points(rocSpec, 'workspace', 'fpr', 'tpr')).toEqual([[0, 0], [0.5, 0.9], [1, 1]]);
    expect(points(s['logs/train.csv'], 'HEAD~1', 'epoch', 'loss')).toEqual([[1, 0.9], [2, 0.7]]);

    const cmCells = (rev: string) =>
      Object.fromEntries(s['metrics/cm.json'].data.values.filter((v: Any) => v.rev === rev).map((v: Any) => [`${v.actual}->${v.predicted}`, v.count]));
    expect(cmCells('HEAD~1')).toEqual({ 'cat->cat': 1, 'cat->dog': 1, 'dog->cat': 0, 'dog->dog': 1 });
    expect(cmCells('workspace')).toEqual({ 'cat->cat': 2, 'cat->dog': 0, 'dog->cat': 0, 'dog->dog': 1 });
    expect(s['metrics/cm.json'].facet.column.sort).toEqual(['HEAD~1', 'workspace']);

    const pr = s['metrics/pr.json'];
    expect(pr.title).toEqual({ text: 'metrics/pr.json', subtitle: ['not in HEAD~1'] });
    expect(pr.data.values.map((v: Any) => v.rev)).toEqual(['workspace', 'workspace']);
    expect(r.stderr).toContain('metrics/pr.json: not in HEAD~1');
  });

  it('diff with no revision compares HEAD with the workspace', () => {
    const s = specs(fx, 'diff');
    expect(curves(s['metrics/roc.json']).encoding.color.scale.domain).toEqual(['HEAD', 'workspace']);
    expect(points(s['metrics/roc.json'], 'HEAD', 'fpr', 'tpr')[1]).toEqual([0.5, 0.8]);
  });

  it('diff of a branch, a commit range and the workspace, narrowed with -t', () => {
    const s = specs(fx, 'diff', 'experiment', 'main~1', 'main', 'workspace', '-t', 'metrics/roc.json');
    expect(Object.keys(s)).toEqual(['metrics/roc.json']);
    const rocSpec = s['metrics/roc.json'];
    expect(curves(rocSpec).encoding.color.scale.domain).toEqual(['experiment', 'main~1', 'main', 'workspace']);
    expect(['experiment', 'main~1', 'main', 'workspace'].map((rev) => points(rocSpec, rev, 'fpr', 'tpr')[1]![1])).toEqual([0.7, 0.6, 0.8, 0.9]);
  });

  it('writes one self-contained HTML page with one SVG per chart, the revisions in each legend', () => {
    const r = fx.gitml('plots', 'diff', 'HEAD~1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('.ml/plots/index.html');
    const html = fx.read('.ml/plots/index.html');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(4);
    expect(legendLabels(svgs[0]!)).toEqual(['HEAD~1', 'workspace']);
    expect(legendLabels(svgs[1]!)).toEqual(['HEAD~1', 'workspace']);
    expect(html).toContain('>ROC on the held-out split</text>');
    expect(html).not.toMatch(/<script|\bsrc=|\bhref=/);
    // The rendered page stays out of git.
    expect(fx.git('status', '--porcelain', '--', '.ml')).toBe('');
  });

  it('-o writes the page where asked, relative to the current directory', () => {
    const r = fx.gitml('plots', 'show', '-o', 'report/plots.html');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('report/plots.html');
    expect(fx.read('report/plots.html').match(/<svg[\s>]/g)).toHaveLength(4);
    fx.remove('report');
  });

  it('draws a file named on the command line that no stage declares, with the line template', () => {
    fx.write('extra/scores.tsv', 'model\tscore\na\t0.5\nb\t0.25\n');
    const s = specs(fx, 'show', 'extra/scores.tsv');
    expect(s['extra/scores.tsv'].encoding.y.field).toBe('score');
    expect(points(s['extra/scores.tsv'], 'workspace', 'step', 'score')).toEqual([[0, 0.5], [1, 0.25]]);
    fx.remove('extra');
  });

  it('an unknown plots file is an error that suggests the declared one', () => {
    const r = fx.gitml('plots', 'show', 'metrics/rocc.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean `metrics/roc.json`?');
  });

  it('a file given where a revision goes says to use -t', () => {
    const r = fx.gitml('plots', 'diff', 'metrics/roc.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`metrics/roc.json` is a file, not a revision; choose plots files with `-t metrics/roc.json`');
  });

  it('--help documents the subcommands and -t', () => {
    const top = fx.gitml('plots', '--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/show \[options\] \[paths\.\.\.\]/);
    expect(top.stdout).toMatch(/diff \[options\] \[revisions\.\.\.\]/);
    const diff = fx.gitml('plots', 'diff', '--help');
    expect(diff.stdout).toContain('-t, --target <path>');
    expect(diff.stdout).toContain('-o, --out <file>');
  });
});

describe('gitml plots errors', () => {
  it('a field named in ml.yaml that the file lacks names the file, the revision and its fields (exit 2)', () => {
    const fx = historyFixture();
    fx.write('ml.yaml', pipeline(PLOTS_V2.replace('y: loss', 'y: los')));
    const r = fx.gitml('plots', 'diff', 'HEAD~1', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: logs/train.csv at HEAD~1 has no field `los` (named by `y` in ml.yaml); its fields are `epoch`, `loss`; did you mean `loss`?');
  });

  it('a file missing from the workspace is left out with a note naming the stage to run; the others are drawn', () => {
    const fx = historyFixture();
    fx.remove('metrics/cm.json');
    const r = fx.gitml('plots', 'diff', 'HEAD', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s['metrics/cm.json'].facet.column.sort).toEqual(['HEAD']);
    expect(r.stderr).toContain('metrics/cm.json: not in the workspace; run `gitml repro evaluate`');

    const show = fx.gitml('plots', 'show', '--json');
    expect(show.code, show.stderr).toBe(0);
    expect(Object.keys(JSON.parse(show.stdout))).toEqual(['metrics/roc.json', 'logs/train.csv', 'metrics/pr.json']);
    expect(show.stderr).toContain('warning: metrics/cm.json: not in the workspace');
  });

  it('a plots file kept in the cache (cache: true), not in git, is read at a commit from the object its lockfile names', () => {
    const fx = makeFixture({
      'ml.yaml': `stages:\n  train:\n    cmd: printf 'loss\\n1\\n0.5\\n' > loss.csv\n    plots:\n      - loss.csv: {cache: true}\n`,
    });
    const run = fx.gitml('repro');
    expect(run.code, run.stderr).toBe(0);
    fx.git('add', '-A');
    fx.git('commit', '-qm', 'trained');
    expect(fx.git('ls-files')).not.toContain('loss.csv');
    fx.write('loss.csv', 'loss\n0.8\n0.2\n');
    const s = specs(fx, 'diff', 'HEAD');
    expect(points(s['loss.csv'], 'HEAD', 'step', 'loss')).toEqual([[0, 1], [1, 0.5]]);
    expect(points(s['loss.csv'], 'workspace', 'step', 'loss')).toEqual([[0, 0.8], [1, 0.2]]);
  });

  it('nothing to draw at all is an error; no plots declared is a message', () => {
    const none = makeFixture({ 'ml.yaml': pipeline('      - metrics/roc.json\n') });
    const r = none.gitml('plots', 'show');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to draw: metrics/roc.json: not in the workspace; run `gitml repro evaluate`');

    const empty = makeFixture({ 'ml.yaml': 'stages:\n  a:\n    cmd: echo a\n' });
    const e = empty.gitml('plots', 'show');
    expect(e.code).toBe(0);
    expect(e.stderr).toContain('No plots declared in ml.yaml');
    expect(existsSync(join(empty.dir, '.ml/plots/index.html'))).toBe(false);
  });
});

// A real browser: the page must show every chart with no script of its own. CI always has one (.ci/run installs it).
describe.skipIf(!browserTests)('the HTML page in headless Chromium', () => {
  it('displays every chart as an SVG of non-zero size', async () => {
    const fx = historyFixture();
    const r = fx.gitml('plots', 'diff', 'HEAD~1');
    expect(r.code, r.stderr).toBe(0);
    await withPage(async (page) => {
      await page.setJavaScriptEnabled(false);
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${join(fx.dir, '.ml/plots/index.html')}`, { waitUntil: 'load' });
      const charts = await page.$$eval('section.chart', (sections) =>
        sections.map((s) => {
          const svg = s.querySelector('figure > svg');
          const box = svg?.getBoundingClientRect();
          // The page's own window; this file is compiled without the DOM library.
          const style = svg ? (globalThis as Any).getComputedStyle(svg) : undefined;
          return {
            path: s.getAttribute('data-path'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            visible: !!style && style.display !== 'none' && style.visibility !== 'hidden',
            marks: svg?.querySelectorAll('.role-mark').length ?? 0,
          };
        }),
      );
      expect(charts.map((c) => c.path)).toEqual(['metrics/roc.json', 'logs/train.csv', 'metrics/cm.json', 'metrics/pr.json']);
      for (const c of charts) {
        expect(c.visible, c.path!).toBe(true);
        expect(c.width, c.path!).toBeGreaterThan(100);
        expect(c.height, c.path!).toBeGreaterThan(100);
        expect(c.marks, c.path!).toBeGreaterThan(0);
      }
      // The page loads nothing but itself.
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(readFileSync(join(fx.dir, '.ml/plots/index.html'), 'utf8')).not.toContain('<script');
    });
  });
});
