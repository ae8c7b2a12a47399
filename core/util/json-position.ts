/**
 * Where JSON text first goes wrong. `JSON.parse` on Node 20 often names no position ("Unexpected token 'x', ... is
 * not valid JSON"), so this scanner, run only after `JSON.parse` failed, finds the offset. It is iterative: nesting
 * depth costs no stack.
 */
export function findJsonError(text: string): { offset: number; message: string } {
  const n = text.length;
  const stack: string[] = [];
  let i = 0;
  const fail = (message: string) => ({ offset: Math.min(i, n), message: i >= n ? 'unexpected end of file' : message });
  const unexpected = (what: string) => fail(`expected ${what}, found \`${text[i]}\``);
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  /** At a `"`: moves past the string, or returns the problem. */
  const string = (): string | undefined => {
    const start = i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return 'invalid escape in a string';
        continue;
      }
      if (c === 0x0a) {
        i = start;
        return 'a string must end on the line it starts';
      }
      if (c < 0x20) return 'control character in a string';
      i++;
    }
    i = start;
    return 'unterminated string';
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  let wantValue = true;
  for (;;) {
    skipSpace();
    if (wantValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          wantValue = false;
          continue;
        }
        if (c === '[') continue;
        // An object's first key.
        if (text[i] !== '"') return unexpected('a "quoted" key or `}`');
        const bad = string();
        if (bad) return fail(bad);
        skipSpace();
        if (text[i] !== ':') return unexpected('`:` after the key');
        i++;
        continue;
      }
      if (c === '"') {
        const bad = string();
        if (bad) return fail(bad);
      } else if (c === 't' || c === 'f' || c === 'n') {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
        if (text.slice(i, i + word.length) !== word) return unexpected('a value');
        i += word.length;
      } else {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(text);
        if (!m) return unexpected('a value');
        i += m[0].length;
      }
      wantValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? unexpected('the end of the file') : { offset: n, message: 'no error found' };
    const close = top === '{' ? '}' : ']';
    if (text[i] === close) {
      stack.pop();
      i++;
      continue;
    }
    if (text[i] !== ',') return unexpected(`\`,\` or \`${close}\``);
    i++;
    wantValue = true;
    if (top === '{') {
      skipSpace();
      if (text[i] !== '"') return unexpected('a "quoted" key');
      const bad = string();
      if (bad) return fail(bad);
      skipSpace();
      if (text[i] !== ':') return unexpected('`:` after the key');
      i++;
    }
  }
}

/** 1-based line and column of an offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
