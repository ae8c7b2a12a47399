/** The JSON `gitml plan --json` prints, as far as the actions read it. */
export interface PlanJson {
  has_work: boolean;
  stages: { name: string; action: string; reasons: string[] }[];
  groups: { name: string; stages: string[]; runs_on: string | string[] }[];
}

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

/** The matrix for `strategy.matrix`: one entry per group. */
export function toMatrix(plan: PlanJson): { include: { name: string; stages: string[]; runs_on: string | string[] }[] } {
  return { include: plan.groups.map((g) => ({ name: g.name, stages: g.stages, runs_on: g.runs_on })) };
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
