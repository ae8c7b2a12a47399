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

  const refs = scanRefs(text);
  const only = refs.length === 1 && refs[0]!.start === 0 && refs[0]!.end === text.length && !refs[0]!.escaped;
  if (only && opts.keepType) return { value: resolve(refs[0]!.expr), paramRefs };

  // One left-to-right pass: the pieces between references, and each reference's value.
  const parts: string[] = [];
  let at = 0;
  for (const ref of refs) {
    parts.push(text.slice(at, ref.start));
    at = ref.end;
    if (ref.escaped) {
      parts.push(text.slice(ref.start + 1, ref.end));
      continue;
    }
    const v = resolve(ref.expr);
    if (v === null || typeof v === 'object') {
      throw new InterpolationError(
        `\${${ref.expr}} is a ${Array.isArray(v) ? 'list' : v === null ? 'null' : 'map'}, but only strings, numbers and booleans can be placed in text`,
      );
    }
    parts.push(String(v));
  }
  parts.push(text.slice(at));
  return { value: parts.join(''), paramRefs };
}

interface Ref {
  /** Offset of `${` (of the backslash when escaped; then the ref is that `\${` alone). */
  start: number;
  /** Offset just past the closing `}`. */
  end: number;
  /** The name inside the braces, spaces trimmed. */
  expr: string;
  escaped: boolean;
}

/**
 * Every `${...}` in `text`, in one pass. A `${` with no `}` after it is an error (a typo would otherwise run a
 * command with the `${` in it); `\${` is a literal `${` and may stand alone.
 */
function scanRefs(text: string): Ref[] {
  const refs: Ref[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('${', from);
    if (open === -1) return refs;
    if (open > 0 && text[open - 1] === '\\') {
      // The escape covers the `${` alone: what follows is read as usual.
      refs.push({ start: open - 1, end: open + 2, expr: '', escaped: true });
      from = open + 2;
      continue;
    }
    const close = text.indexOf('}', open + 2);
    if (close === -1) {
      const shown = text.length - open > 40 ? `${text.slice(open, open + 40)}...` : text.slice(open);
      throw new InterpolationError(`\`${shown}\` has no closing \`}\` (write \`\\\${\` for a literal \`\${\`)`);
    }
    refs.push({ start: open, end: close + 1, expr: text.slice(open + 2, close).trim(), escaped: false });
    from = close + 1;
  }
}
