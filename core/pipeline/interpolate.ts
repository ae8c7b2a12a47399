/**
 * `${...}` interpolation. Pure: the caller supplies the scopes, and learns which names came from the params file
 * so that those keys become parameter dependencies of the stage.
 */

/** Where a value was found; `params` means the default params file, which makes it a tracked parameter. */
export type ScopeName = 'local' | 'vars' | 'params';

export interface Scopes {
  local: Record<string, unknown>;
  vars: Record<string, unknown>;
  params: Record<string, unknown>;
}

export interface Interpolated {
  value: unknown;
  /** Dotted keys read from the params scope. */
  paramRefs: string[];
}

export class InterpolationError extends Error {}

const REF = /(\\)?\$\{\s*([^}]*?)\s*\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+|\[\d+\])*$/;

/** Splits `a.b[2].c` into `['a', 'b', 2, 'c']`. */
export function parseRef(expr: string): (string | number)[] {
  if (!NAME.test(expr)) throw new InterpolationError(`\${${expr}} is not a valid reference (expected a name like \`train.lr\` or \`item[0]\`)`);
  const parts: (string | number)[] = [];
  for (const m of expr.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return parts;
}

export function lookup(scopes: Scopes, expr: string): { found: boolean; value: unknown; scope?: ScopeName } {
  const parts = parseRef(expr);
  for (const scope of ['local', 'vars', 'params'] as const) {
    const root = scopes[scope];
    if (!Object.hasOwn(root, parts[0] as string)) continue;
    let value: unknown = root;
    for (const part of parts) {
      if (value !== null && typeof value === 'object' && Object.hasOwn(value, part)) value = (value as Record<string, unknown>)[part as string];
      else return { found: false, value: undefined };
    }
    return { found: true, value, scope };
  }
  return { found: false, value: undefined };
}

/**
 * Interpolates one string. A string that is exactly one `${ref}` keeps the type of what it names when `keepType` is
 * set (so `foreach: ${models}` yields a list); otherwise the value must be a scalar and is formatted into the text.
 * `\${` stays literal.
 */
export function interpolate(text: string, scopes: Scopes, opts: { keepType?: boolean } = {}): Interpolated {
  const paramRefs: string[] = [];
  const resolve = (expr: string): unknown => {
    const hit = lookup(scopes, expr);
    if (!hit.found) throw new InterpolationError(`\${${expr}} is not defined in vars, params or the loop item`);
    // A list element (`models[0]`) depends on the params key holding the list.
    if (hit.scope === 'params') paramRefs.push(expr.replace(/\[.*$/, ''));
    return hit.value;
  };

  const whole = /^\$\{\s*([^}]*?)\s*\}$/.exec(text);
  if (whole && opts.keepType) return { value: resolve(whole[1]!), paramRefs };

  const value = text.replace(REF, (match, escaped: string | undefined, expr: string) => {
    if (escaped) return match.slice(1);
    const v = resolve(expr);
    if (v === null || typeof v === 'object') {
      throw new InterpolationError(`\${${expr}} is a ${Array.isArray(v) ? 'list' : v === null ? 'null' : 'map'}, but only strings, numbers and booleans can be placed in text`);
    }
    return String(v);
  });
  return { value, paramRefs };
}
