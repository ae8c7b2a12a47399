/**
 * `settings:` of `gitml/model/train`: more model settings from a YAML or JSON file, read when the stage runs. The file
 * is a dependency of the stage, so the best settings a tune stage writes are trained in the same `gitml repro`, and
 * the stage reruns whenever they change (`vars:` files, by contrast, are read when ml.yaml is loaded).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import * as validators from '../../generated/validate-steps.js';
import { makeLocator } from '../../pipeline/locate.js';
import { schemaChecker } from '../../pipeline/schema.js';
import { StepError } from '../step-error.js';

const checkTrain = schemaChecker(validators.train);

/** Keys that say what is trained on and what is written, not how: they stay in ml.yaml. */
const NOT_SETTINGS = new Set(['input', 'output', 'validation', 'transform', 'metrics', 'history', 'monitor', 'record', 'settings', 'label', 'features', 'task', 'model', 'backend']);

/**
 * The `with:` map of a train stage with the settings of its `settings` file (relative to `cwd`) added. Every problem
 * in the file is named at its line: a key that is not a model setting, one also set in `with:`, a value the step
 * refuses.
 */
export function withSettingsFile(step: string, withMap: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const file = withMap.settings;
  if (typeof file !== 'string') return withMap;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new StepError(step, `cannot read the settings file ${file}: ${(err as Error).message}`, { key: 'settings' });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locate = makeLocator(doc, lines);
  const where = (path: readonly (string | number)[], key = false): string => {
    const { line, col } = locate(path, { key });
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new StepError(step, `${file}:${line}:${col}: not valid YAML or JSON: ${e.message.split('\n')[0]}`, { key: 'settings' });
  }
  const value: unknown = doc.toJS();
  if (!isMap(doc.contents) || typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StepError(step, `${where([])}: expected a map of train settings (setting: value), as gitml/model/tune writes`, { key: 'settings' });

  const settings = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(settings)) {
    if (NOT_SETTINGS.has(key)) problems.push(`${where([key], true)}: \`${key}\` is not a model setting; set it in ml.yaml \`with:\``);
    else if (key in withMap) problems.push(`${where([key], true)}: \`${key}\` is also set in ml.yaml \`with:\`; keep one`);
  }
  const merged = { ...withMap, ...settings };
  if (!problems.length) {
    for (const issue of checkTrain(merged)) {
      const key = issue.path[0];
      if (typeof key === 'string' && key in settings) problems.push(`${where(issue.path, issue.key === true)}: \`${key}\`: ${issue.message}`);
    }
  }
  if (problems.length) throw new StepError(step, `settings file ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`, { key: 'settings' });
  return merged;
}
