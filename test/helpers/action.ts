import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLI, REPO_ROOT } from './fixture.js';

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  /** What the action wrote to GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** What it wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The `::error::` and `::warning::` lines of its log. */
  errors: string[];
  warnings: string[];
}

export interface ActionEnv {
  /** The checkout: GITHUB_WORKSPACE, and the directory the action runs in. */
  workspace: string;
  inputs?: Record<string, string>;
  /** The event payload GITHUB_EVENT_PATH points at. */
  event: unknown;
  eventName?: string;
  repository?: string;
  sha?: string;
  apiUrl?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `actions/<verb>/dist/index.mjs`, the committed bundle, in a child process with the environment a runner gives
 * it. Asynchronous, so that a GitHub server in the test's own process keeps answering.
 */
export async function runAction(verb: string, opts: ActionEnv): Promise<ActionRun> {
  const temp = mkdtempSync(join(tmpdir(), 'gitml-runner-'));
  try {
    const eventPath = join(temp, 'event.json');
    const outputPath = join(temp, 'output');
    const summaryPath = join(temp, 'summary');
    writeFileSync(eventPath, JSON.stringify(opts.event));
    writeFileSync(outputPath, '');
    writeFileSync(summaryPath, '');
    const inputs = { ...defaultInputs(verb), cli: `${process.execPath} ${CLI}`, ...opts.inputs };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: opts.workspace,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_EVENT_NAME: opts.eventName ?? 'pull_request',
      GITHUB_REPOSITORY: opts.repository ?? 'acme/churn',
      GITHUB_SHA: opts.sha ?? '0'.repeat(40),
      GITHUB_API_URL: opts.apiUrl ?? 'http://127.0.0.1:9',
      GITHUB_OUTPUT: outputPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      RUNNER_TEMP: temp,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
      ...opts.env,
    };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'actions', verb, 'dist', 'index.mjs')], { cwd: opts.workspace, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c ?? -1, stdout: out, stderr: err }));
    });
    const lines = stdout.split('\n');
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputPath, 'utf8')),
      summary: readFileSync(summaryPath, 'utf8'),
      errors: lines.filter((l) => l.startsWith('::error')).map(unescapeCommand),
      warnings: lines.filter((l) => l.startsWith('::warning')).map(unescapeCommand),
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * The `default:` of each input in the action's `action.yml`, as the runner passes them when the workflow leaves an
 * input out. Expression defaults (`${{ github.token }}`) are left to the test.
 */
function defaultInputs(verb: string): Record<string, string> {
  const action = parse(readFileSync(join(REPO_ROOT, 'actions', verb, 'action.yml'), 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
  return Object.fromEntries(
    Object.entries(action.inputs ?? {})
      .filter(([, i]) => i.default !== undefined && !String(i.default).includes('${{'))
      .map(([name, i]) => [name, String(i.default)]),
  );
}

/** GITHUB_OUTPUT holds `name<<DELIMITER`, the value's lines, then `DELIMITER`, for each output. */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    out[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return out;
}

/** A workflow command's message, with `%0A`, `%0D` and `%25` decoded. */
function unescapeCommand(line: string): string {
  return line.replace(/^::\w+[^:]*::/, '').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
}
