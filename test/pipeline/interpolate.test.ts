import { describe, expect, it } from 'vitest';
import { interpolate, InterpolationError, lookup, parseRef, type Scopes } from '../../core/pipeline/interpolate.js';

/** Scopes with the given parts filled in and the rest empty. */
function scopes(s: Partial<Scopes> = {}): Scopes {
  return { local: {}, vars: {}, params: {}, ...s };
}

/** The message of the InterpolationError that `fn` throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InterpolationError);
    return (err as Error).message;
  }
  throw new Error('expected an InterpolationError, but nothing was thrown');
}

describe('interpolate', () => {
  it('formats scalars into text', () => {
    const r = interpolate('train --lr ${lr} --epochs ${n} --amp ${amp} --name ${name}', scopes({ vars: { lr: 0.01, n: 3, amp: false, name: 'cnn' } }));
    expect(r.value).toBe('train --lr 0.01 --epochs 3 --amp false --name cnn');
  });

  it('leaves text without references unchanged', () => {
    expect(interpolate('echo $HOME {x} $', scopes()).value).toBe('echo $HOME {x} $');
  });

  it('allows spaces inside the braces', () => {
    expect(interpolate('${ a.b }', scopes({ vars: { a: { b: 'x' } } })).value).toBe('x');
  });

  it('follows dotted keys and list indexes', () => {
    const s = scopes({ vars: { models: [{ name: 'cnn' }, { name: 'rnn' }], opt: { sgd: { lr: 0.1 } } } });
    expect(interpolate('${models[1].name} ${opt.sgd.lr}', s).value).toBe('rnn 0.1');
  });

  it('prefers the loop item over vars, and vars over params', () => {
    const s = scopes({ local: { x: 'local' }, vars: { x: 'vars', y: 'vars' }, params: { x: 'params', y: 'params', z: 'params' } });
    expect(interpolate('${x} ${y} ${z}', s).value).toBe('local vars params');
  });

  it('lets a nearer scope shadow a name completely, without falling back for missing subkeys', () => {
    const s = scopes({ vars: { train: { lr: 5 } }, params: { train: { lr: 0.1, epochs: 3 } } });
    expect(lookup(s, 'train.lr')).toEqual({ found: true, value: 5, scope: 'vars' });
    expect(lookup(s, 'train.epochs')).toEqual({ found: false, value: undefined });
  });

  it('reports params-scope names as paramRefs, and only those', () => {
    const s = scopes({ local: { item: 'a' }, vars: { seed: 1 }, params: { train: { lr: 0.1 }, seed: 2 } });
    const r = interpolate('${item} ${seed} ${train.lr}', s);
    expect(r.value).toBe('a 1 0.1');
    expect(r.paramRefs).toEqual(['train.lr']);
  });

  it('returns no paramRefs when nothing comes from params', () => {
    expect(interpolate('${x}', scopes({ vars: { x: 1 } })).paramRefs).toEqual([]);
  });

  it('keeps a literal \\${...} without resolving it', () => {
    const r = interpolate('echo \\${HOME} ${x}', scopes({ vars: { x: 1 } }));
    expect(r.value).toBe('echo ${HOME} 1');
  });

  describe('keepType', () => {
    const s = scopes({ vars: { list: ['a', 'b'], map: { k: 1 }, n: 3 } });

    it('returns the named list or map itself when the text is exactly one reference', () => {
      expect(interpolate('${list}', s, { keepType: true }).value).toEqual(['a', 'b']);
      expect(interpolate('${ map }', s, { keepType: true }).value).toEqual({ k: 1 });
    });

    it('keeps a number a number', () => {
      expect(interpolate('${n}', s, { keepType: true }).value).toBe(3);
      expect(interpolate('${n}', s).value).toBe('3');
    });

    it('still formats text around a reference into a string', () => {
      expect(interpolate('n=${n}', s, { keepType: true }).value).toBe('n=3');
    });

    it('reports a params-scope list as a paramRef', () => {
      expect(interpolate('${models}', scopes({ params: { models: ['a'] } }), { keepType: true }).paramRefs).toEqual(['models']);
    });
  });

  describe('errors', () => {
    it('rejects a list placed into text', () => {
      expect(errorOf(() => interpolate('train ${list}', scopes({ vars: { list: [1] } })))).toBe(
        '${list} is a list, but only strings, numbers and booleans can be placed in text',
      );
    });

    it('rejects a map placed into text, even as the whole string without keepType', () => {
      expect(errorOf(() => interpolate('${m}', scopes({ vars: { m: { a: 1 } } })))).toBe('${m} is a map, but only strings, numbers and booleans can be placed in text');
    });

    it('rejects null placed into text', () => {
      const message = errorOf(() => interpolate('x${n}', scopes({ vars: { n: null } })));
      expect(message).toMatch(/^\$\{n\} is a null/);
      expect(message).toContain('only strings, numbers and booleans can be placed in text');
    });

    it('names an undefined reference', () => {
      expect(errorOf(() => interpolate('train ${train.lr}', scopes({ params: { train: {} } })))).toBe('${train.lr} is not defined in vars, params or the loop item');
    });

    it('rejects a reference that is not a name', () => {
      const expected = (e: string) => `\${${e}} is not a valid reference (expected a name like \`train.lr\` or \`item[0]\`)`;
      for (const expr of ['a b', '1abc', 'a..b', 'a.', 'a[x]', 'a + b']) {
        expect(errorOf(() => interpolate(`\${${expr}}`, scopes({ vars: { a: 1, b: 2 } })))).toBe(expected(expr));
      }
      expect(errorOf(() => interpolate('${}', scopes()))).toBe(expected(''));
    });
  });
});

describe('interpolate: unclosed and escaped references', () => {
  it('rejects a `${` with no closing `}`, showing where it starts', () => {
    expect(errorOf(() => interpolate('python train.py --lr ${train.lr', scopes({ vars: { train: { lr: 1 } } })))).toBe(
      '`${train.lr` has no closing `}` (write `\\${` for a literal `${`)',
    );
    // Even when an earlier reference is closed.
    expect(errorOf(() => interpolate('${a} ${b', scopes({ vars: { a: 1, b: 2 } })))).toMatch(/^`\$\{b` has no closing/);
  });

  it('keeps a lone `\\${` literal, closed or not', () => {
    expect(interpolate('echo \\${ and ${a}', scopes({ vars: { a: 1 } })).value).toBe('echo ${ and 1');
    expect(interpolate('echo ${a} \\${', scopes({ vars: { a: 1 } })).value).toBe('echo 1 ${');
  });

  it('formats NaN, infinities and integers beyond 2^53 with every digit', () => {
    const s = scopes({ params: { n: NaN, i: -Infinity, big: 12345678901234567890123n } });
    expect(interpolate('${n} ${i} ${big}', s).value).toBe('NaN -Infinity 12345678901234567890123');
    expect(interpolate('${big}', s, { keepType: true }).value).toBe(12345678901234567890123n);
  });

  it('takes time linear in the length of the text', () => {
    const s = scopes({ vars: { x: 1 } });
    const time = (n: number) => {
      const text = '${x}'.repeat(n);
      const start = performance.now();
      expect(interpolate(text, s).value).toBe('1'.repeat(n));
      return performance.now() - start;
    };
    time(1000); // warm up
    const t10 = time(10_000);
    const t20 = time(20_000);
    expect(t20).toBeLessThan(1000);
    // Twice the text, about twice the time; quadratic would be four times (with slack for a busy machine).
    expect(t20).toBeLessThan(Math.max(4 * t10, 50));
    // Hostile text that made the old pattern backtrack: a `${` then many spaces, never closed.
    const start = performance.now();
    errorOf(() => interpolate(`\${${' '.repeat(20_000)}x`, s, { keepType: true }));
    errorOf(() => interpolate('${'.repeat(20_000), s));
    expect(interpolate('\\${'.repeat(20_000), s).value).toBe('${'.repeat(20_000));
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('parseRef', () => {
  it('splits dotted names and indexes into parts', () => {
    expect(parseRef('a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
    expect(parseRef('item')).toEqual(['item']);
    expect(parseRef('my-var_2.x-y')).toEqual(['my-var_2', 'x-y']);
  });
});
