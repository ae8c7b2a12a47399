import { GitmlError } from '../errors.js';
import { suggest } from '../util/suggest.js';

/** A field the plot options (or the template's defaults) name is not in the file at one revision. */
export class PlotFieldError extends GitmlError {
  constructor(opts: { path: string; rev: string; field: string; role: string; available: string[] }) {
    const { path, rev, field, role, available } = opts;
    const guess = suggest(field, available);
    const fields = available.length ? `its fields are ${available.map((f) => `\`${f}\``).join(', ')}` : 'it has no fields';
    super(
      'E_PLOT_FIELD',
      `${path} at ${rev} has no field \`${field}\` (${role}); ${fields}${guess ? `; did you mean \`${guess}\`?` : ''}. Set \`x\`/\`y\` of this plot in ml.yaml`,
      { data: opts },
    );
  }
}

/** A plots file holds nothing the template can draw (no numeric field for a line chart, say). */
export class PlotDataError extends GitmlError {
  constructor(path: string, rev: string, message: string) {
    super('E_PLOT_DATA', `${path} at ${rev}: ${message}`, { data: { path, rev } });
  }
}
