import { resolve } from 'node:path';
import type pl from 'nodejs-polars';
import type { SynthWith } from '../generated/steps.js';
import { readTextOrNull } from '../util/fs.js';
import type { Profile } from './profile.js';
import type { StepContext } from './registry.js';
import { StepError } from './step-error.js';
import { generateTable, type GeneratedColumn } from './synth-generate.js';
import { planSynth, profileProblems, SynthPlanError } from './synth-plan.js';
import { loadPolars, writeTable, type DataFrame, type Polars } from './table.js';

const STEP = 'synth';

/**
 * `gitml/data/synth`: a synthetic table from a profile or from declared columns. The values are drawn in memory,
 * then written at once (atomically), so a failure leaves no file.
 */
export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  const w = withMap as unknown as SynthWith;
  const profile = w.profile !== undefined ? readProfile(ctx.cwd, w.profile) : undefined;
  let plan;
  try {
    plan = planSynth(w, profile);
  } catch (err) {
    if (err instanceof SynthPlanError) throw new StepError(STEP, `${w.profile ? `${w.profile}: ` : ''}${err.message}`);
    throw err;
  }
  const table = generateTable(plan, w.rows, w.seed ?? 0);
  for (const warning of table.warnings) ctx.log(`synth: warning: ${warning}`);
  const p = await loadPolars();
  writeTable(toFrame(p, table.columns), resolve(ctx.cwd, w.output));
  const tied = plan.copula ? `, ${plan.copula.columns.length} correlated` : '';
  ctx.log(
    `synth: ${w.rows} ${w.rows === 1 ? 'row' : 'rows'}, ${table.columns.length} columns${tied}${plan.label ? `, label \`${plan.label.column}\` (${plan.label.rule})` : ''} from ${w.profile ?? 'the declared schema'} -> ${w.output}`,
  );
}

function readProfile(cwd: string, file: string): Profile {
  const text = readTextOrNull(resolve(cwd, file));
  if (text === null) throw new StepError(STEP, `profile ${file} does not exist; write it with a \`uses: gitml/data/profile\` stage`, { path: file });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StepError(STEP, `profile ${file} is not JSON: ${(err as Error).message}`, { path: file });
  }
  const problems = profileProblems(value);
  if (problems.length)
    throw new StepError(
      STEP,
      `${file} is not a profile written by gitml/data/profile:\n${problems
        .slice(0, 20)
        .map((m) => `  ${m}`)
        .join('\n')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`,
      { path: file, problems },
    );
  return value as Profile;
}

/** The generated columns as a table with the types they were planned with. */
export function toFrame(p: Polars, columns: GeneratedColumn[]): DataFrame {
  const series = columns.map((c): pl.Series => {
    switch (c.type) {
      case 'int':
        return p.Series(c.name, c.values as (number | null)[], p.Float64).cast(p.Int64);
      case 'float':
        return p.Series(c.name, c.values as (number | null)[], p.Float64);
      case 'bool':
        return p.Series(c.name, c.values as (boolean | null)[], p.Bool);
      case 'string':
        return p.Series(c.name, c.values as (string | null)[], p.Utf8);
      case 'category':
        return p.Series(c.name, c.values as (string | null)[], p.Utf8).cast(p.Categorical);
      case 'date':
        return p.Series(c.name, c.values as (number | null)[], p.Float64).cast(p.Int32).cast(p.Date);
      case 'datetime':
        return p.Series(c.name, c.values as (number | null)[], p.Float64).cast(p.Int64).cast(p.Datetime('ms'));
      case 'null':
        return p.Series(c.name, c.values as null[], p.Float64);
    }
  });
  return p.DataFrame(series);
}
