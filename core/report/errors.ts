import { formatProblems, GitmlError, type Problem } from '../errors.js';

/** The file given to `gitml report --plan` is not what `gitml plan --json` prints; every problem is listed. */
export class InvalidPlanFileError extends GitmlError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_PLAN_FILE_INVALID', `${formatProblems(problems)}\nhint: --plan takes the JSON that \`gitml plan --json\` prints`, {
      data: { problems },
    });
    this.problems = problems;
  }
}

/** A report template does not parse or fails while rendering; `line`/`col` are set when Handlebars says where. */
export class ReportTemplateError extends GitmlError {
  constructor(file: string, message: string, at?: { line: number; col: number }, cause?: unknown) {
    super('E_REPORT_TEMPLATE', `${file}${at ? `:${at.line}:${at.col}` : ''}: ${message}`, { data: { file, ...(at ?? {}) }, cause });
  }
}
