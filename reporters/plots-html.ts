import type { VegaLiteSpec } from '../core/plots/spec.js';

/** One chart of the page. */
export interface HtmlChart {
  path: string;
  spec: VegaLiteSpec;
  notes?: string[];
}

export interface RenderedSvg {
  svg: string;
  /** What Vega-Lite and Vega warned about while compiling and rendering. */
  warnings: string[];
}

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let engines: Promise<[VegaLite, Vega]> | undefined;

/** Vega and Vega-Lite load on first use only: they take a quarter of a second that other commands should not pay. */
function loadEngines(): Promise<[VegaLite, Vega]> {
  engines ??= Promise.all([import('vega-lite'), import('vega')]);
  return engines;
}

/** Compiles a Vega-Lite spec and renders it to an SVG document in Node (no browser, no canvas). */
export async function renderSvg(spec: VegaLiteSpec): Promise<RenderedSvg> {
  const [vl, vega] = await loadEngines();
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, args) => warnings.push(args.map(String).join(' ')));
  // Vega tags inline data rows in place; the caller's spec stays as it was.
  const compiled = vl.compile(structuredClone(spec), { logger });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

export interface PlotsPageOptions {
  /** The page's heading and <title>. */
  title: string;
  /** A line under the heading (which revisions, say). */
  subtitle?: string;
}

/**
 * A self-contained HTML page: every chart as inline SVG, rendered here, and each chart's Vega-Lite spec (data
 * inlined) in a collapsed <details> for reuse. No scripts, styles or fonts are fetched.
 */
export async function renderPlotsHtml(charts: readonly HtmlChart[], opts: PlotsPageOptions): Promise<string> {
  const sections: string[] = [];
  for (const [i, chart] of charts.entries()) {
    const svg = scopeIds((await renderSvg(chart.spec)).svg, `chart-${i + 1}-`);
    // The page names no schema URL: nothing in it points outside the file.
    const { $schema: _, ...embedded } = chart.spec as { $schema?: string };
    const notes = (chart.notes ?? []).map((n) => `    <p class="note">${escapeHtml(n)}</p>\n`).join('');
    sections.push(
      `  <section class="chart" id="chart-${i + 1}" data-path="${escapeHtml(chart.path)}">\n` +
        `    <h2>${escapeHtml(chart.path)}</h2>\n` +
        notes +
        `    <figure>${svg}</figure>\n` +
        `    <details><summary>Vega-Lite spec</summary><pre class="spec">${escapeHtml(JSON.stringify(embedded, null, 2))}</pre></details>\n` +
        `  </section>\n`,
    );
  }
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="generator" content="gitml plots">\n` +
    `<title>${escapeHtml(opts.title)}</title>\n<style>\n${STYLE}</style>\n</head>\n<body>\n` +
    `<header><h1>${escapeHtml(opts.title)}</h1>${opts.subtitle ? `<p>${escapeHtml(opts.subtitle)}</p>` : ''}</header>\n` +
    `<main>\n${sections.join('')}</main>\n</body>\n</html>\n`
  );
}

const STYLE = `body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; background: #fafafa; }
header p { color: #555; }
section.chart { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 1rem 1.5rem; margin: 0 0 1.5rem; }
section.chart h2 { font-size: 1rem; font-family: ui-monospace, monospace; margin: 0 0 0.5rem; }
figure { margin: 0; overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
p.note { color: #8a5a00; margin: 0.25rem 0; }
details summary { cursor: pointer; color: #555; margin-top: 0.5rem; }
pre.spec { max-height: 24rem; overflow: auto; background: #f4f4f4; padding: 0.5rem; font-size: 0.8rem; }
`;

/**
 * Prefixes every id in an SVG and the `url(#id)` / `href="#id"` pointing at it. Vega numbers clip paths and gradients
 * from 1 in each SVG, and ids are page-wide once SVGs are inlined: without this, every chart would clip to the first
 * chart's rectangle.
 */
export function scopeIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  if (!ids.size) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, head: string, id: string) => `${head}${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : m))
    .replace(/(href=")#([^"]+)"/g, (m, head: string, id: string) => (ids.has(id) ? `${head}#${prefix}${id}"` : m));
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
