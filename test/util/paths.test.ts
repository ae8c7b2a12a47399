import { describe, expect, it } from 'vitest';
import { reservedReason, unsafeFileReason, unsafePathReason } from '../../core/util/paths.js';

describe('reservedReason', () => {
  it.each(['.', '.git', '.git/hooks/pre-commit', '.GIT', '.Git/config', '.ml', '.ml/cache/x', 'ml.yaml', 'ML.LOCK.JSON', '.gitignore', 'a/.gitignore', 'vendor/.git/HEAD'])(
    '%s is reserved',
    (p) => expect(reservedReason(p)).toBeDefined(),
  );
  it.each(['data', 'data/ml.yaml', 'sub/.ml/x', 'models/ml.lock.json', '.github/workflows/x.yml', '.gitattributes-data', 'a.git', '.mlx'])(
    '%s is not',
    (p) => expect(reservedReason(p)).toBeUndefined(),
  );
});

describe('unsafePathReason', () => {
  it.each([
    ['../x', 'climbs out'],
    ['a/../../x', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['C:/x', 'absolute'],
    ['a\\b', 'backslash'],
    ['a//b', 'normal form'],
    ['./a', 'normal form'],
    ['a/', 'normal form'],
    ['', 'empty'],
    ['a\0b', 'NUL'],
    ['.git/hooks/pre-commit', 'reserved'],
  ])('%j: %s', (p, why) => expect(unsafePathReason(p)).toContain(why));

  it('accepts plain workspace paths', () => {
    for (const p of ['model.bin', 'data/train.csv', 'a/b/c.d']) expect(unsafePathReason(p)).toBeUndefined();
  });
});

describe('unsafeFileReason (a file listed in a directory manifest)', () => {
  it('keeps a .gitignore or ml.yaml the stage wrote inside its directory, refuses .git and escapes', () => {
    expect(unsafeFileReason('out', '.gitignore')).toBeUndefined();
    expect(unsafeFileReason('out', 'ml.yaml')).toBeUndefined();
    expect(unsafeFileReason('out', 'sub/.git/config')).toContain('reserved for git');
    expect(unsafeFileReason('out', '../x')).toContain('climbs out');
  });
});
