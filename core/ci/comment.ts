/**
 * The sticky pull-request comment: one comment per pipeline, found again by a hidden marker and edited in place. Pure:
 * the caller lists the comments (every page of them) and carries out the decision.
 */

/** GitHub rejects a comment body longer than this many characters. */
export const COMMENT_LIMIT = 65_536;

/** A comment as far as the decision needs it. */
export interface CommentRef {
  id: number;
  body?: string | null;
  /** The login of the account that wrote it; absent for a deleted account. */
  author?: string;
}

export type CommentDecision =
  | { action: 'create' }
  | { action: 'update'; id: number };

export interface CommentPlan {
  decision: CommentDecision;
  /** Comments that carry our marker but were written by another account: left alone. */
  foreign: number[];
}

/**
 * The hidden line that identifies our comment. `key` tells pipelines of one repository apart (the working directory
 * of each), so two of them never overwrite each other's report.
 */
export function reportMarker(key = '.'): string {
  const safe = key.replace(/--+/g, '-').replace(/[<>\r\n]/g, '');
  return `<!-- gitml report: ${safe} -->`;
}

/** The comment body: the marker on its own first line, then the report. */
export function markedBody(marker: string, report: string): string {
  return `${marker}\n${report}`;
}

/**
 * Which comment to write. The oldest comment by `self` whose first line is the marker is updated; a marked comment by
 * anyone else is never edited (another account could otherwise plant a marker to have us overwrite, or be overwritten
 * by, its text), so without one of our own a new comment is created.
 */
export function planComment(comments: readonly CommentRef[], marker: string, self: string): CommentPlan {
  const marked = comments.filter((c) => (c.body ?? '').split('\n', 1)[0]!.trim() === marker);
  const ours = marked.filter((c) => c.author !== undefined && sameLogin(c.author, self)).sort((a, b) => a.id - b.id);
  const foreign = marked.filter((c) => !ours.includes(c)).map((c) => c.id);
  return { decision: ours.length ? { action: 'update', id: ours[0]!.id } : { action: 'create' }, foreign };
}

/** GitHub logins are case-insensitive. */
function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
