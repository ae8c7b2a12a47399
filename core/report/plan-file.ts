import { LineCounter, parseDocument } from 'yaml';
import type { Problem } from '../errors.js';
import { formatKeyPath, makeLocator, type KeyPath } from '../pipeline/locate.js';
import { findJsonError, lineCol } from '../util/json-position.js';
import { InvalidPlanFileError } from './errors.js';

/** What `gitml plan` decided for one stage. */
export type PlanAction = 'run' | 'restore' | 'up-to-date' | 'frozen';

export const PLAN_ACTIONS: readonly PlanAction[] = ['run', 'restore', 'up-to-date', 'frozen'];

/** The part of a `gitml plan --json` stage the report reads. */
export interface PlanStage {
  name: string;
  action: PlanAction;
  reasons: string[];
}

/**
 * Reads the stages of the JSON `gitml plan --json` prints (`{"stages": [{"name", "action", "reasons"}], ...}`); the
 * other keys are not read. A file that is not such JSON is an `E_PLAN_FILE_INVALID` error listing every problem with
 * its line and column. Pure.
 */
export function parsePlanFile(text: string, file: string): PlanStage[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const found = findJsonError(text);
    throw new InvalidPlanFileError([{ file, ...lineCol(text, found.offset), path: '', message: `not valid JSON (${found.message})` }]);
  }
  const problems: { path: KeyPath; message: string }[] = [];
  const stages: PlanStage[] = [];
  const root = value as Record<string, unknown> | null;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) problems.push({ path: [], message: 'expected an object with `stages`' });
  else if (!Array.isArray(root.stages)) problems.push({ path: ['stages'], message: 'expected a list of stages' });
  else {
    const seen = new Set<string>();
    root.stages.forEach((s: unknown, i: number) => {
      const at = ['stages', i];
      if (s === null || typeof s !== 'object' || Array.isArray(s)) return problems.push({ path: at, message: 'expected an object with `name` and `action`' });
      const st = s as Record<string, unknown>;
      const before = problems.length;
      if (typeof st.name !== 'string' || !st.name) problems.push({ path: [...at, 'name'], message: 'expected a stage name' });
      else if (seen.has(st.name)) problems.push({ path: [...at, 'name'], message: `stage \`${st.name}\` is listed twice` });
      if (!PLAN_ACTIONS.includes(st.action as PlanAction))
        problems.push({ path: [...at, 'action'], message: `expected one of ${PLAN_ACTIONS.join(', ')}, found ${JSON.stringify(st.action ?? null)}` });
      const reasons = st.reasons ?? [];
      if (!Array.isArray(reasons) || reasons.some((r) => typeof r !== 'string'))
        problems.push({ path: [...at, 'reasons'], message: 'expected a list of strings' });
      if (problems.length > before) return;
      seen.add(st.name as string);
      stages.push({ name: st.name as string, action: st.action as PlanAction, reasons: reasons as string[] });
    });
  }
  if (!problems.length) return stages;
  // Only for an error: JSON is YAML, and the YAML parser knows where each node is.
  const lines = new LineCounter();
  const locate = makeLocator(parseDocument(text, { lineCounter: lines, logLevel: 'silent', uniqueKeys: false }), lines);
  throw new InvalidPlanFileError(
    problems.map((p): Problem => ({ file, ...locate(p.path), path: formatKeyPath(p.path), message: p.message })),
  );
}
