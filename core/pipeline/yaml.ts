import { isAlias, isNode, Lexer, LineCounter, parseDocument, visit, type Document, type YAMLParseError } from 'yaml';
import type { Problem } from '../errors.js';
import { lineCol } from '../util/json-position.js';

/**
 * Deepest `[`/`{` nesting accepted. The YAML composer recurses once per level and overflows the stack near a thousand;
 * no real pipeline, params or config file comes close to this.
 */
export const MAX_YAML_DEPTH = 100;

/** Aliases a document may expand while being read; more is a "billion laughs" file, not a config. */
const MAX_ALIAS_COUNT = 100;

export type YamlRead = { ok: true; value: unknown; doc: Document; lines: LineCounter } | { ok: false; problems: Problem[] };

/**
 * Reads one YAML (or JSON) file as data, or says what is wrong with it, each problem with file, line and column. It
 * never throws on hostile text: too deep nesting is one problem found before parsing, aliases that name no anchor
 * (or expand too much) are problems, and integers beyond 2^53 come back as `bigint` so their digits survive (every
 * other integer is a plain number).
 */
export function readYaml(text: string, file: string, opts: { mapAsMap?: boolean } = {}): YamlRead {
  const deep = tooDeep(text);
  if (deep !== undefined) {
    const { line, col } = lineCol(text, deep);
    return {
      ok: false,
      problems: [{ file, line, col, path: '', message: `invalid YAML: more than ${MAX_YAML_DEPTH} levels of nested \`[\` or \`{\`` }],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, intAsBigInt: true, logLevel: 'error' });
  if (doc.errors.length) {
    // A stack overflow in the composer repeats once per open level; the first says it all.
    const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION');
    // In file order: the first is the one to fix, the rest often follow from it.
    const errors = exhausted ? [exhausted] : [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
    return { ok: false, problems: errors.map((err) => yamlProblem(file, text, err, lines)) };
  }

  const problems: Problem[] = [];
  const at = (offset: number) => lines.linePos(offset);
  const anchors = new Set<string>();
  let firstAlias: number | undefined;
  // Document order: an alias may only name an anchor set before it.
  visit(doc, (_key, node) => {
    if (!isNode(node)) return;
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      firstAlias ??= offset;
      if (!anchors.has(node.source)) {
        problems.push({
          file,
          ...at(offset),
          path: '',
          message: `invalid YAML: alias \`*${node.source}\` names no anchor \`&${node.source}\` set before it`,
        });
      }
    } else if (node.anchor) anchors.add(node.anchor);
  });
  if (problems.length) return { ok: false, problems };

  try {
    const value = doc.toJS({
      mapAsMap: opts.mapAsMap ?? false,
      maxAliasCount: MAX_ALIAS_COUNT,
      reviver: (_k, v) => (typeof v === 'bigint' && isSafe(v) ? Number(v) : v),
    });
    return { ok: true, value, doc, lines };
  } catch (err) {
    const where = at(firstAlias ?? 0);
    const message = /alias count/i.test((err as Error).message)
      ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies; write the values out or use fewer aliases`
      : (err as Error).message.split('\n')[0];
    return { ok: false, problems: [{ file, ...where, path: '', message: `invalid YAML: ${message}` }] };
  }
}

function isSafe(v: bigint): boolean {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
}

/** Offset of the first `[` or `{` that opens level `MAX_YAML_DEPTH + 1`, from YAML's own (iterative) lexer. */
function tooDeep(text: string): number | undefined {
  // Cheap exit: a file with few brackets cannot be too deep.
  let brackets = 0;
  for (let i = 0; i < text.length && brackets <= MAX_YAML_DEPTH; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) brackets++;
  }
  if (brackets <= MAX_YAML_DEPTH) return undefined;
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_DEPTH) return offset;
    } else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    else if (token === '\x02' || token === '\x18' || token === '\x1f') continue; // markers, not source text
    offset += token.length;
  }
  return undefined;
}

/** One YAML syntax error as a problem, with the hint for the usual trap. */
function yamlProblem(file: string, text: string, err: YAMLParseError, lines: LineCounter): Problem {
  const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
  if (err.code === 'DUPLICATE_KEY') {
    const key = /^["']?([^"':\n]+)/.exec(text.slice(err.pos[0], err.pos[0] + 200))?.[1]?.trim() ?? '';
    return { file, line: pos.line, col: pos.col, path: '', message: `duplicate key \`${key}\` (a stage or key may appear only once)` };
  }
  if (err.code === 'RESOURCE_EXHAUSTION') {
    return { file, line: pos.line, col: pos.col, path: '', message: 'invalid YAML: the file nests too deeply to be read' };
  }
  const start = text.lastIndexOf('\n', err.pos[0] - 1) + 1;
  const end = text.indexOf('\n', err.pos[0]);
  const lineText = text.slice(start, end === -1 ? undefined : end);
  // `${...}` inside a flow list is a YAML syntax error of its own (`{` opens a map there): the usual trap.
  const bracket = lineText.indexOf('[');
  const hint =
    bracket !== -1 && lineText.includes('${', bracket)
      ? '; a `${...}` inside `[...]` must be quoted or written as a block list (`- item`)'
      : '';
  return { file, line: pos.line, col: pos.col, path: '', message: `invalid YAML: ${err.message.split('\n')[0]}${hint}` };
}
