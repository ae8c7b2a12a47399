import type { ColumnProfile, Histogram, LabelProfile, Profile } from '../core/steps/profile.js';
import { escapeHtml } from './plots-html.js';

export interface ProfilePageOptions {
  /** The page's heading and <title>. */
  title: string;
}

/**
 * A standalone page for a dataset profile: a table of every column, then a section per column with its histogram
 * (inline SVG, drawn here as plain rectangles) or its most frequent values, and the label's class balance. The page
 * runs no scripts and names nothing outside itself.
 */
export function renderProfileHtml(profile: Profile, opts: ProfilePageOptions): string {
  const names = Object.keys(profile.columns);
  const sections = names.map((name, i) => columnSection(name, profile.columns[name]!, i)).join('');
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="generator" content="gitml profile">\n` +
    `<title>${escapeHtml(opts.title)}</title>\n<style>\n${STYLE}</style>\n</head>\n<body>\n` +
    `<header><h1>${escapeHtml(opts.title)}</h1><p>${fmt(profile.rows)} rows, ${fmt(names.length)} columns</p></header>\n<main>\n` +
    summaryTable(profile) +
    (profile.label ? labelSection(profile.label) : '') +
    sections +
    `</main>\n</body>\n</html>\n`
  );
}

/** Numbers as people read them: integers whole, others to six significant digits; missing values as a dash. */
function fmt(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

function pct(part: number, whole: number): string {
  return whole ? `${String(Number(((100 * part) / whole).toPrecision(3)))}%` : '–';
}

function summaryTable(profile: Profile): string {
  const head = ['column', 'type', 'count', 'nulls', 'distinct', 'min', 'max', 'mean', 'std', 'median'];
  const rows = Object.entries(profile.columns).map(([name, c], i) => {
    const cells = [
      `<a href="#col-${i + 1}">${escapeHtml(name)}</a>`,
      escapeHtml(c.type),
      fmt(c.count),
      `${fmt(c.nulls)} <span class="dim">(${pct(c.nulls, profile.rows)})</span>`,
      fmt(c.distinct),
      escapeHtml(fmt(c.min)),
      escapeHtml(fmt(c.max)),
      fmt(c.mean),
      fmt(c.std),
      fmt(c.quantiles?.['0.5']),
    ];
    return `<tr>${cells.map((x, k) => `<td${k >= 2 ? ' class="num"' : ''}>${x}</td>`).join('')}</tr>\n`;
  });
  return (
    `<section><h2>Columns</h2>\n<table class="summary">\n<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>\n` +
    `<tbody>\n${rows.join('')}</tbody>\n</table>\n</section>\n`
  );
}

function labelSection(label: LabelProfile): string {
  const entries = Object.entries(label.classes);
  const most = Math.max(1, ...entries.map(([, v]) => v.count));
  const rows = entries.map(
    ([k, v]) =>
      `<tr><td>${escapeHtml(k)}</td><td class="num">${fmt(v.count)}</td><td class="num">${pct(v.share, 1)}</td>` +
      `<td>${bar(v.count / most)}</td></tr>\n`,
  );
  return (
    `<section id="label"><h2>Class balance: ${escapeHtml(label.column)}</h2>\n` +
    (label.nulls ? `<p class="dim">${fmt(label.nulls)} ${label.nulls === 1 ? 'row' : 'rows'} without a label left out.</p>\n` : '') +
    `<table class="values">\n<thead><tr><th>class</th><th>count</th><th>share</th><th></th></tr></thead>\n<tbody>\n${rows.join('')}</tbody>\n</table>\n</section>\n`
  );
}

/** A horizontal bar as inline SVG, `fraction` of its full width. */
function bar(fraction: number): string {
  const w = Math.max(0, Math.min(1, fraction)) * 200;
  return `<svg class="bar" width="200" height="12" viewBox="0 0 200 12" role="img"><rect x="0" y="1" width="${w.toFixed(1)}" height="10"/></svg>`;
}

function columnSection(name: string, c: ColumnProfile, i: number): string {
  const facts = [
    `${escapeHtml(c.type)}`,
    `${fmt(c.count)} values`,
    `${fmt(c.nulls)} nulls`,
    c.distinct === null ? '' : `${fmt(c.distinct)} distinct`,
  ].filter(Boolean);
  let body = '';
  if (c.histogram) {
    body += c.histogram.counts.length ? histogramSvg(c.histogram, name) : `<p class="dim">No finite values to draw.</p>\n`;
    const q = Object.entries(c.quantiles ?? {})
      .map(([k, v]) => `<tr><th>q${escapeHtml(k)}</th><td class="num">${fmt(v)}</td></tr>`)
      .join('');
    body +=
      `<table class="stats"><tbody><tr><th>min</th><td class="num">${fmt(c.min)}</td></tr><tr><th>max</th><td class="num">${fmt(c.max)}</td></tr>` +
      `<tr><th>mean</th><td class="num">${fmt(c.mean)}</td></tr><tr><th>std</th><td class="num">${fmt(c.std)}</td></tr>${q}</tbody></table>\n`;
  } else if (c.top) {
    if (!c.top.length) body += `<p class="dim">No values.</p>\n`;
    else {
      const most = Math.max(1, ...c.top.map((t) => t.count));
      const rows = c.top.map(
        (t) => `<tr><td>${escapeHtml(String(t.value))}</td><td class="num">${fmt(t.count)}</td><td>${bar(t.count / most)}</td></tr>\n`,
      );
      const rest = c.distinct !== null && c.distinct > c.top.length ? `<p class="dim">and ${fmt(c.distinct - c.top.length)} more distinct ${c.distinct - c.top.length === 1 ? 'value' : 'values'}</p>\n` : '';
      body += `<table class="values">\n<thead><tr><th>value</th><th>count</th><th></th></tr></thead>\n<tbody>\n${rows.join('')}</tbody>\n</table>\n${rest}`;
    }
  } else if (c.min !== undefined) {
    body += `<p>from ${escapeHtml(fmt(c.min))} to ${escapeHtml(fmt(c.max))}</p>\n`;
  }
  return `<section class="column" id="col-${i + 1}">\n<h3>${escapeHtml(name)}</h3>\n<p class="facts">${facts.join(' · ')}</p>\n${body}</section>\n`;
}

const W = 480;
const H = 160;
const PAD = { left: 48, right: 12, top: 8, bottom: 28 };

/** One rectangle per bin, scaled to the fullest bin, with the range and the largest count as labels. */
function histogramSvg(h: Histogram, name: string): string {
  const most = Math.max(1, ...h.counts);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / h.counts.length;
  const rects = h.counts
    .map((n, k) => {
      const bh = (n / most) * plotH;
      const x = PAD.left + k * bw;
      const y = PAD.top + plotH - bh;
      const tip = `${fmt(h.edges[k])} – ${fmt(h.edges[k + 1])}: ${fmt(n)}`;
      return `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(bw - 1, 0.5).toFixed(2)}" height="${bh.toFixed(2)}"><title>${escapeHtml(tip)}</title></rect>`;
    })
    .join('');
  const base = PAD.top + plotH;
  return (
    `<svg class="hist" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="histogram of ${escapeHtml(name)}">` +
    `<line x1="${PAD.left}" y1="${base}" x2="${W - PAD.right}" y2="${base}" class="axis"/>` +
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${base}" class="axis"/>` +
    rects +
    `<text x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end">${fmt(most)}</text>` +
    `<text x="${PAD.left - 4}" y="${base}" text-anchor="end">0</text>` +
    `<text x="${PAD.left}" y="${H - 8}" text-anchor="start">${escapeHtml(fmt(h.edges[0]))}</text>` +
    `<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${escapeHtml(fmt(h.edges[h.edges.length - 1]))}</text>` +
    `</svg>\n`
  );
}

const STYLE = `body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; background: #fafafa; }
header p, .dim { color: #666; }
section { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 1rem 1.5rem; margin: 0 0 1.5rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: middle; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.stats { display: inline-table; vertical-align: top; margin-left: 1rem; }
.facts { color: #555; margin-top: 0; }
svg.hist { vertical-align: top; }
svg.hist rect { fill: #4c78a8; }
svg.hist rect:hover { fill: #f58518; }
svg.hist text { font-size: 10px; fill: #555; }
svg.hist .axis { stroke: #999; stroke-width: 1; }
svg.bar rect { fill: #4c78a8; }
`;
