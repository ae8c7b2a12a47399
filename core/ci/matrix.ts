import type { CiPlan, RunsOn } from './plan.js';

/** The GitHub Actions matrix for `strategy.matrix`: one entry per group of stages that must run. */
export interface CiMatrix {
  include: { name: string; stages: string[]; runs_on: RunsOn }[];
}

/** A plan's groups as a matrix (its own module, so the plan action bundles it without the planner). */
export function toMatrix(plan: Pick<CiPlan, 'groups'>): CiMatrix {
  return { include: plan.groups.map((g) => ({ name: g.name, stages: g.stages, runs_on: g.runs_on })) };
}
