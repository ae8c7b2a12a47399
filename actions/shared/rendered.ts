import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMENT_LIMIT } from '../../core/ci/comment.js';

/** What `gitml gate --json` prints, as far as the report reads it. */
export interface GatesJson {
  verdict: 'pass' | 'fail';
  failed: number;
  gates: { metric: string; verdict: 'pass' | 'fail' }[];
}

/** A report ready to publish. */
export interface Rendered {
  gates: GatesJson;
  /** The gates as Markdown, for the check run. */
  gatesMd: string;
  /** The report cut to fit a comment (with room for the marker). */
  comment: string;
  /** The full report, for the job summary. */
  summary: string;
}

export interface RenderedTarget {
  number: number;
  head_sha: string;
}

const FILES = { comment: 'comment.md', summary: 'summary.md', gatesMd: 'gates.md', gates: 'gates.json', pr: 'pull-request.json' } as const;
/** Larger files are refused: the job summary's own limit, with room to spare. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Writes a rendered report as files (the artifact the `workflow_run` pattern passes between workflows). */
export function writeRendered(dir: string, r: Rendered, target: RenderedTarget | undefined): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, FILES.comment), r.comment);
  writeFileSync(join(dir, FILES.summary), r.summary);
  writeFileSync(join(dir, FILES.gatesMd), r.gatesMd);
  writeFileSync(join(dir, FILES.gates), `${JSON.stringify(r.gates, null, 2)}\n`);
  if (target) writeFileSync(join(dir, FILES.pr), `${JSON.stringify(target)}\n`);
}

/**
 * Reads what `writeRendered` wrote. The files may come from an untrusted run, so each is size-checked, the JSON
 * shapes are validated, and the comment is cut to GitHub's limit.
 */
export function readRendered(dir: string): { rendered: Rendered; pr?: RenderedTarget } {
  const text = (name: string, optional = false): string | undefined => {
    const file = join(dir, name);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      if (optional) return undefined;
      throw new Error(`${file} is missing: \`from\` must be the directory the report action wrote (its \`report-dir\` output)`);
    }
    if (size > MAX_FILE_BYTES) throw new Error(`${file} is ${size} bytes, more than a report can be`);
    return readFileSync(file, 'utf8');
  };
  const gates = JSON.parse(text(FILES.gates)!) as GatesJson;
  if ((gates.verdict !== 'pass' && gates.verdict !== 'fail') || !Array.isArray(gates.gates) || typeof gates.failed !== 'number')
    throw new Error(`${join(dir, FILES.gates)} is not what \`gitml gate --json\` prints`);
  const prText = text(FILES.pr, true);
  let pr: RenderedTarget | undefined;
  if (prText !== undefined) {
    const parsed = JSON.parse(prText) as RenderedTarget;
    if (!Number.isInteger(parsed.number) || parsed.number < 1 || typeof parsed.head_sha !== 'string' || !/^[0-9a-f]{40,64}$/.test(parsed.head_sha))
      throw new Error(`${join(dir, FILES.pr)} does not name a pull request and its head commit`);
    pr = { number: parsed.number, head_sha: parsed.head_sha };
  }
  const comment = text(FILES.comment)!;
  return {
    rendered: {
      gates: { verdict: gates.verdict, failed: gates.failed, gates: gates.gates.map((g) => ({ metric: String(g.metric), verdict: g.verdict === 'fail' ? 'fail' : 'pass' })) },
      gatesMd: text(FILES.gatesMd)!,
      comment: comment.length > COMMENT_LIMIT - 200 ? `${comment.slice(0, COMMENT_LIMIT - 400)}\n\n_(cut to fit a comment)_\n` : comment,
      summary: text(FILES.summary)!,
    },
    ...(pr ? { pr } : {}),
  };
}

/** The check run's title. */
export function verdictLine(g: GatesJson): string {
  if (!g.gates.length) return 'No metric gates declared';
  if (g.verdict === 'pass') return `All ${g.gates.length} metric gate${g.gates.length === 1 ? '' : 's'} passed`;
  const failed = g.gates.filter((x) => x.verdict === 'fail').map((x) => x.metric);
  return `${g.failed} of ${g.gates.length} metric gates failed: ${failed.join(', ')}`;
}
