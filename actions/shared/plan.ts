import type { CiPlan } from '../../core/ci/plan.js';

/** What `gitml plan --json` prints, as far as the actions read it. */
export type PlanJson = CiPlan;

/** Reads `gitml plan --json` output; `what` names the command in errors. */
export function parsePlan(text: string, what: string): PlanJson {
  let plan: PlanJson;
  try {
    plan = JSON.parse(text) as PlanJson;
  } catch (err) {
    throw new Error(`${what} did not print JSON (${(err as Error).message})`);
  }
  if (typeof plan?.has_work !== 'boolean' || !Array.isArray(plan.stages) || !Array.isArray(plan.groups))
    throw new Error(`${what} printed JSON without has_work, stages and groups; is the installed gitml too old?`);
  return plan;
}

/** The `stages` input: a JSON array (as `toJSON(matrix.stages)` gives) or names separated by spaces or commas. */
export function parseStages(input: string): string[] {
  const text = input.trim();
  let names: unknown = text.split(/[\s,]+/).filter(Boolean);
  if (text.startsWith('[')) {
    try {
      names = JSON.parse(text);
    } catch (err) {
      throw new Error(`the \`stages\` input is not a JSON array: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(names) || !names.length || !names.every((n) => typeof n === 'string' && n))
    throw new Error('the `stages` input names no stages; pass `${{ toJSON(matrix.stages) }}` from the plan matrix');
  return names as string[];
}
