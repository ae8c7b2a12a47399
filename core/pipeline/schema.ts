import type { ErrorObject } from 'ajv';
import { suggest } from '../util/suggest.js';
import validateMlYaml from '../generated/validate-ml-yaml.js';
import type { KeyPath } from './locate.js';

/** A schema violation, already phrased for a user; `key` means the location is a map key rather than a value. */
export interface SchemaIssue {
  path: KeyPath;
  key?: boolean;
  message: string;
}

/** A validator compiled ahead of time from a schema in schemas/ (see scripts/gen-types.mjs). */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** Wraps a compiled validator so that it returns every problem, phrased for a user (empty when valid). */
export function schemaChecker(validator: unknown): (value: unknown) => SchemaIssue[] {
  const validate = validator as CompiledValidator;
  return (value) => (validate(value) ? [] : describeErrors(validate.errors ?? [], value));
}

/** Validates a parsed ml.yaml against schemas/ml.schema.json. */
export const checkMlSchema = schemaChecker(validateMlYaml);

function describeErrors(errors: ErrorObject[], value: unknown): SchemaIssue[] {
  // An anyOf that fails reports each branch too. When the value has the type of one branch, that branch's own
  // errors say what is wrong (`must not be empty`); otherwise the anyOf's summary (`expected a string or a list`) does.
  const anyOfAt = errors
    .filter((e) => e.keyword === 'anyOf')
    .map((e) => ({ error: e, branch: matchingBranch(e.schema as unknown[], valueAt(value, toPath(e.instancePath))) }));
  const shadowed = (e: ErrorObject) =>
    anyOfAt.some(
      (a) =>
        a.error !== e &&
        e.schemaPath.startsWith(`${a.error.schemaPath}/`) &&
        e.instancePath.startsWith(a.error.instancePath) &&
        (a.branch === undefined || !e.schemaPath.startsWith(`${a.error.schemaPath}/${a.branch}/`)),
    );
  const summarized = (e: ErrorObject) => e.keyword === 'anyOf' && anyOfAt.some((a) => a.error === e && a.branch !== undefined);

  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || shadowed(e) || summarized(e)) continue;
    const path = toPath(e.instancePath);
    const issue = describe(e, path, value);
    if (!issue) continue;
    const id = `${issue.path.join('\0')}\0${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

function describe(e: ErrorObject, path: KeyPath, root: unknown): SchemaIssue | undefined {
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const guess = suggest(name, allowed);
      const hint = guess ? `; did you mean \`${guess}\`?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      return { path: [...path, name], key: true, message: `unknown key \`${name}\`${hint}` };
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      if (missing === 'do') return { path, message: 'a `foreach` stage needs a `do:` block holding the stage to repeat' };
      return { path, message: `missing \`${missing}\`` };
    }
    case 'propertyNames':
      return undefined; // reported by the nested `pattern` error with the offending name
    case 'pattern':
      if (e.propertyName !== undefined || (e.params as { propertyName?: string }).propertyName !== undefined) {
        const name = e.propertyName ?? String((e.params as { propertyName?: string }).propertyName);
        return { path: [...path, name], key: true, message: `invalid stage name \`${name}\`: use letters, digits, \`_\`, \`.\` and \`-\`` };
      }
      {
        // A schema can say in words what its pattern means (`end in .json`); a raw regex is the last resort.
        const words = (e.parentSchema as { patternMessage?: unknown } | undefined)?.patternMessage;
        if (typeof words === 'string') return { path, message: `must ${words}; got \`${String(e.data)}\`` };
        return { path, message: `must match ${String(e.params.pattern)}` };
      }
    case 'type':
      return { path, message: `expected ${article(String(e.params.type))}, got ${kindOf(valueAt(root, path))}` };
    case 'anyOf':
      return { path, message: `expected ${expectation(e.schema as unknown[])}, got ${kindOf(valueAt(root, path))}` };
    case 'minItems':
      return { path, message: `must not be empty` };
    case 'minProperties':
      return { path, message: `must not be empty` };
    case 'maxProperties':
      return { path, message: `must name exactly one path` };
    case 'minLength':
      return { path, message: `must not be an empty string` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}, got ${kindOf(valueAt(root, path))}`,
      };
    case 'minimum':
      return { path, message: `must be >= ${String(e.params.limit)}` };
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

/** Index of the anyOf branch whose `type` fits the value, if exactly one does. */
function matchingBranch(branches: unknown[], v: unknown): number | undefined {
  const type = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
  const hits = branches.flatMap((b, i) => ((b as { type?: string }).type === type ? [i] : []));
  return hits.length === 1 ? hits[0] : undefined;
}

function toPath(pointer: string): KeyPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string "${v}"`;
  return `${article(typeof v)} (${String(v)})`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a map',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    integer: 'an integer',
    boolean: 'true or false',
    null: 'nothing',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

function expectation(branches: unknown[]): string {
  const parts = branches.map((b) => {
    const s = b as { type?: string; items?: { type?: string; $ref?: string }; $ref?: string };
    if (s.type === 'array') return s.items?.type === 'string' ? 'a list of strings' : 'a list';
    if (s.type === 'object') return 'a map';
    return article(String(s.type ?? 'value'));
  });
  return [...new Set(parts)].join(' or ');
}
