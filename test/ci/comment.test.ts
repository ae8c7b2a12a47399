import { describe, expect, it } from 'vitest';
import { markedBody, planComment, reportMarker } from '../../core/ci/comment.js';

const M = reportMarker();

describe('reportMarker', () => {
  it('is an HTML comment GitHub hides, keyed by the working directory', () => {
    expect(M).toBe('<!-- gitml report: . -->');
    expect(reportMarker('ml/churn')).toBe('<!-- gitml report: ml/churn -->');
  });

  it('cannot be closed early by the key', () => {
    expect(reportMarker('a-->b<c')).toBe('<!-- gitml report: a-bc -->');
  });
});

describe('planComment', () => {
  const ours = (id: number, body = markedBody(M, 'report')) => ({ id, body, author: 'github-actions[bot]' });

  it('creates a comment when none carries the marker', () => {
    const comments = [{ id: 1, body: 'LGTM', author: 'alice' }];
    expect(planComment(comments, M, 'github-actions[bot]')).toEqual({ decision: { action: 'create' }, foreign: [] });
  });

  it('updates our own marked comment, wherever it is', () => {
    const comments = [...Array.from({ length: 140 }, (_, i) => ({ id: i + 1, body: `comment ${i}`, author: 'alice' })), ours(141)];
    expect(planComment(comments, M, 'github-actions[bot]').decision).toEqual({ action: 'update', id: 141 });
  });

  it('updates the oldest of several of ours', () => {
    expect(planComment([ours(9), ours(4)], M, 'github-actions[bot]').decision).toEqual({ action: 'update', id: 4 });
  });

  it('leaves a marked comment by another account alone and creates its own', () => {
    const planted = { id: 2, body: markedBody(M, 'not ours'), author: 'mallory' };
    expect(planComment([planted], M, 'github-actions[bot]')).toEqual({ decision: { action: 'create' }, foreign: [2] });
  });

  it('compares logins without case, and ignores a deleted account', () => {
    expect(planComment([ours(3)], M, 'GitHub-Actions[bot]').decision).toEqual({ action: 'update', id: 3 });
    expect(planComment([{ id: 5, body: markedBody(M, 'x') }], M, 'github-actions[bot]')).toEqual({ decision: { action: 'create' }, foreign: [5] });
  });

  it('only counts the marker on the first line, and another pipeline’s marker is not ours', () => {
    const quoted = { id: 6, body: `> quoting\n${M}`, author: 'github-actions[bot]' };
    const other = { id: 7, body: markedBody(reportMarker('other'), 'x'), author: 'github-actions[bot]' };
    expect(planComment([quoted, other], M, 'github-actions[bot]').decision).toEqual({ action: 'create' });
  });
});
