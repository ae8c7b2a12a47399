/**
 * File globs as shells expand them: `*`, `?`, `[abc]`, `[!abc]`, `{a,b}` within a segment, `**` across directories; a
 * wildcard does not match a leading dot.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Whether a path is a glob. */
export const WILDCARD = /[*?[\]{}]/;

/** One path segment of a glob as a regular expression: `*`, `?`, `[abc]`, `[!abc]` and `{a,b}`. */
function segmentRegex(segment: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = segment.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces) {
      braces--;
      re += ')';
    } else if (c === ',' && braces) re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files (not directories) a glob matches, relative paths as the pattern writes them, sorted. */
export function globFiles(cwd: string, pattern: string): string[] {
  const parts = pattern.split('/');
  const first = parts.findIndex((s) => WILDCARD.test(s));
  const base = parts.slice(0, first).join('/') || (isAbsolute(pattern) ? '/' : '');
  const found: string[] = [];
  const join2 = (a: string, b: string) => (a === '' ? b : a.endsWith('/') ? `${a}${b}` : `${a}/${b}`);
  const kind = (rel: string): 'file' | 'dir' | undefined => {
    try {
      const st = statSync(resolve(cwd, rel || '.'));
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
    } catch {
      return undefined;
    }
  };
  const entries = (rel: string): string[] => {
    try {
      return readdirSync(resolve(cwd, rel || '.')).sort();
    } catch {
      return [];
    }
  };
  const walk = (rel: string, rest: string[]): void => {
    if (!rest.length) {
      if (kind(rel) === 'file') found.push(rel);
      return;
    }
    const [seg, ...tail] = rest as [string, ...string[]];
    if (seg === '**') {
      walk(rel, tail);
      for (const name of entries(rel)) if (!name.startsWith('.') && kind(join2(rel, name)) === 'dir') walk(join2(rel, name), rest);
      return;
    }
    if (!WILDCARD.test(seg)) return walk(join2(rel, seg), tail);
    const re = segmentRegex(seg);
    // As in shells, a wildcard does not match a leading dot.
    for (const name of entries(rel)) if (re.test(name) && (!name.startsWith('.') || seg.startsWith('.'))) walk(join2(rel, name), tail);
  };
  walk(base, parts.slice(first));
  return [...new Set(found)].sort();
}
