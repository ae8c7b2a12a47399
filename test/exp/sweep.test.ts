import { describe, expect, it } from 'vitest';
import { combinations, describeSet, parseSweep } from '../../core/exp/sweep.js';

describe('parseSweep', () => {
  it('reads YAML scalars, other params files and lists that hold commas', () => {
    expect(parseSweep('train.lr=0.1,0.01')).toEqual({ file: 'params.yaml', key: 'train.lr', values: [0.1, 0.01] });
    expect(parseSweep('conf/model.yaml:opt.name=adam,sgd')).toEqual({ file: 'conf/model.yaml', key: 'opt.name', values: ['adam', 'sgd'] });
    expect(parseSweep('layers=[64,32],[8]').values).toEqual([[64, 32], [8]]);
    expect(parseSweep('flag=true,"a,b"').values).toEqual([true, 'a,b']);
  });

  it('keeps every digit of an integer beyond 2^53 and tells NaN, infinity and null apart', () => {
    const big = parseSweep('seed=12345678901234567891,.nan,.inf,null');
    expect(big.values).toEqual([12345678901234567891n, NaN, Infinity, null]);
    expect(combinations([big]).map(describeSet)).toEqual(['seed=12345678901234567891', 'seed=NaN', 'seed=Infinity', 'seed=null']);
  });

  it('says what is wrong with a malformed option', () => {
    expect(() => parseSweep('train.lr')).toThrow('-S train.lr: expected [file:]key=value[,value...]');
    expect(() => parseSweep('train.=1')).toThrow('is not a params key');
    expect(() => parseSweep('lr=1,,2')).toThrow('empty value');
  });
});

describe('combinations', () => {
  it('makes every combination, the first option varying slowest', () => {
    const sets = combinations([parseSweep('a=1,2'), parseSweep('b=x,y')]);
    expect(sets.map(describeSet)).toEqual(['a=1 b="x"', 'a=1 b="y"', 'a=2 b="x"', 'a=2 b="y"']);
    expect(combinations([])).toEqual([[]]);
  });

  it('rejects the same key given twice', () => {
    expect(() => combinations([parseSweep('a=1'), parseSweep('a=2')])).toThrow('-S names a in params.yaml twice');
  });
});
