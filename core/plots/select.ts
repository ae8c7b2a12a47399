import { GitmlError } from '../errors.js';
import type { Pipeline, PlotOptions } from '../pipeline/types.js';
import { isWithin } from '../util/paths.js';
import { suggest } from '../util/suggest.js';

/** A plots file to draw, with the options it was declared with. */
export interface PlotTarget {
  path: string;
  options: PlotOptions;
  /** The stage declaring it; absent for a file named on the command line that no stage declares. */
  stage?: string;
}

/** The options a file no stage declares is drawn with. */
export const UNDECLARED_OPTIONS: PlotOptions = { template: 'line' };

/**
 * Every plots file declared in `pipelines` (oldest revision first). A file takes the options of the newest revision
 * declaring it; files come in the newest revision's order, then those only older revisions declare.
 */
export function declaredPlots(pipelines: readonly (Pipeline | undefined)[]): PlotTarget[] {
  const out = new Map<string, PlotTarget>();
  for (const pipeline of [...pipelines].reverse())
    for (const stage of pipeline?.stages ?? [])
      for (const o of stage.outs)
        if (o.kind === 'plot' && !out.has(o.path)) out.set(o.path, { path: o.path, options: o.plot ?? UNDECLARED_OPTIONS, stage: stage.name });
  return [...out.values()];
}

/**
 * Narrows `declared` to `wanted` (workspace-relative paths; a directory selects the plots under it). A wanted file
 * no stage declares is drawn with the line template when `exists` says some revision has it; otherwise it is an
 * error naming the closest declared plot.
 */
export function selectPlots(declared: readonly PlotTarget[], wanted: readonly string[], exists: (path: string) => boolean): PlotTarget[] {
  if (!wanted.length) return [...declared];
  const picked = new Map<string, PlotTarget>();
  for (const w of wanted) {
    const hits = declared.filter((d) => isWithin(d.path, w));
    if (hits.length) for (const h of hits) picked.set(h.path, h);
    else if (exists(w)) picked.set(w, { path: w, options: UNDECLARED_OPTIONS });
    else {
      const guess = suggest(w, declared.map((d) => d.path));
      const hint = guess
        ? `; did you mean \`${guess}\`?`
        : declared.length
          ? `; the plots are ${declared.map((d) => d.path).join(', ')}`
          : '; ml.yaml declares no plots';
      throw new GitmlError('E_UNKNOWN_PLOT', `\`${w}\` is not a plots file in ml.yaml nor a file at the revisions given${hint}`, {
        data: { path: w },
      });
    }
  }
  return [...picked.values()];
}
