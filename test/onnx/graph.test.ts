import { describe, expect, it } from 'vitest';
import { attr, ML_DOMAIN, OnnxGraph } from '../../core/onnx/graph.js';
import { createSession, runColumns } from '../../core/onnx/runtime.js';

describe('OnnxGraph', () => {
  it('encodes a graph onnxruntime-node runs: columns in, a standardized matrix, a string lookup and metadata out', async () => {
    const g = new OnnxGraph();
    const a = g.input('a', 'double', ['N']);
    const color = g.input('color', 'string', ['N']);
    const axes = g.constant('axes', { type: 'int64', values: [1] }, [1]);
    const col = g.op('Unsqueeze', [a, axes]);
    const scaled = g.op('Div', [g.op('Sub', [col, g.constant('mean', { type: 'double', values: [2] }, [1])]), g.constant('std', { type: 'double', values: [4] }, [1])]);
    g.output(g.rename(scaled, 'scaled'), 'double', ['N', 1]);
    const onehot = g.op('OneHotEncoder', [color], { cats_strings: attr.strings(['red', 'blue']), zeros: attr.i(1) }, ML_DOMAIN);
    g.output(g.rename(onehot, 'color_onehot'), 'float', ['N', 2]);
    const bytes = g.encode({ graphName: 'test', producerVersion: '0.0.0', metadata: { b: '2', a: '1' } });

    const session = await createSession(bytes);
    expect(session.inputNames).toEqual(['a', 'color']);
    const out = await runColumns(session, { a: Float64Array.of(2, 6, -2), color: ['blue', 'red', 'green'] }, 3);
    expect(Array.from(out.scaled!.data as Float64Array)).toEqual([0, 1, -1]);
    // An unseen category is all zeros.
    expect(Array.from(out.color_onehot!.data as Float32Array)).toEqual([0, 1, 1, 0, 0, 0]);
    await session.release();
  });

  it('makes unique value names apart from the column names, and refuses two inputs or an output of one name', () => {
    const g = new OnnxGraph();
    g.input('x', 'double', ['N']);
    expect(g.fresh('x')).toBe('gitml::x');
    expect(g.fresh('y')).toBe('gitml::y');
    expect(g.fresh('y')).toBe('gitml::y_1');
    // A column named like a value the graph made is still a column of its own.
    expect(g.input('gitml', 'double', ['N'])).toBe('gitml');
    expect(() => g.input('x', 'double', ['N'])).toThrow(/two inputs are named `x`/);
    expect(() => g.rename('gitml::y', 'x')).toThrow(/the output `x` has the name of an input column/);
  });
});
