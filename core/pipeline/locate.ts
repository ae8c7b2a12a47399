import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { Origin } from './types.js';

export type KeyPath = readonly (string | number)[];

/** `['stages', 'train', 'deps', 1]` -> `stages.train.deps[1]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Finds line and column of a key path in a parsed YAML document. With `key: true` it points at the map key rather
 * than its value (used for unknown keys). Falls back to the nearest ancestor that exists.
 */
export function makeLocator(doc: Document, lines: LineCounter) {
  const at = (offset: number): Origin => {
    const { line, col } = lines.linePos(offset);
    return { line, col };
  };
  return (path: KeyPath, opts: { key?: boolean } = {}): Origin => {
    let node: unknown = doc.contents;
    let best: Origin = { line: 1, col: 1 };
    if (isNodeWithRange(node)) best = at(node.range[0]);
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        const last = i === path.length - 1;
        if (last && opts.key && isNodeWithRange(pair.key)) return at(pair.key.range[0]);
        node = pair.value;
        if (isNodeWithRange(node)) best = at(node.range[0]);
        else if (isNodeWithRange(pair.key)) best = at(pair.key.range[0]);
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        if (isNodeWithRange(node)) best = at(node.range[0]);
        else break;
      } else break;
    }
    return best;
  };
}

export type Locator = ReturnType<typeof makeLocator>;

function isNodeWithRange(n: unknown): n is Node & { range: [number, number, number] } {
  return typeof n === 'object' && n !== null && Array.isArray((n as Node).range);
}
