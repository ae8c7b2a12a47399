// Extracts from the pinned @octokit/openapi package (GitHub's official REST API description) only the operations the
// test GitHub server serves, with every component they reference, into test/helpers/github/openapi-subset.json.
// The output is deterministic (sorted keys, two-space indent) so that a regenerated file diffs cleanly.
// `--check` writes nothing and exits 1 when the committed file differs from what the installed package produces, or
// when the installed package is not the version package.json pins (used by test/helpers/github/openapi-subset.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE = '@octokit/openapi';
const SOURCE = 'generated/api.github.com.json';
const OUT = 'test/helpers/github/openapi-subset.json';

/** [method, path] of every operation the server serves. */
export const OPERATIONS = [
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['get', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['get', '/user'],
  ['post', '/repos/{owner}/{repo}/check-runs'],
  ['patch', '/repos/{owner}/{repo}/check-runs/{check_run_id}'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
];

// Error bodies the server sends for status codes an operation does not declare (GitHub answers 401 on any endpoint).
const EXTRA_COMPONENTS = ['#/components/schemas/basic-error', '#/components/schemas/validation-error'];

// Operation fields kept: what the server checks requests and responses against, and the documentation URL that
// GitHub's error bodies carry. Examples are left out: they are large and nothing validates against them.
const OPERATION_FIELDS = ['operationId', 'summary', 'externalDocs', 'parameters', 'requestBody', 'responses'];

function withoutExamples(value) {
  if (Array.isArray(value)) return value.map(withoutExamples);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, child] of Object.entries(value)) {
    // `examples` beside a `schema` (in a media type or a parameter) is a map of example objects; no schema in the
    // description uses the JSON Schema keyword of that name.
    if (key === 'examples' && 'schema' in value) continue;
    out[key] = withoutExamples(child);
  }
  return out;
}

function refsIn(value, found = []) {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (value !== null && typeof value === 'object') {
    if (typeof value.$ref === 'string') found.push(value.$ref);
    for (const v of Object.values(value)) refsIn(v, found);
  }
  return found;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

/** The subset of `spec` (the parsed api.github.com.json) for OPERATIONS, as the JSON text to commit. */
export function buildSubset(spec) {
  const paths = {};
  for (const [method, path] of OPERATIONS) {
    const operation = spec.paths[path]?.[method];
    if (!operation) throw new Error(`${PACKAGE} ${spec.info.version} has no ${method.toUpperCase()} ${path}`);
    const kept = {};
    for (const field of OPERATION_FIELDS) if (field in operation) kept[field] = withoutExamples(operation[field]);
    (paths[path] ??= {})[method] = kept;
  }
  const components = {};
  const pending = [...refsIn(paths), ...EXTRA_COMPONENTS];
  const seen = new Set();
  while (pending.length > 0) {
    const ref = pending.pop();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
    if (!match) throw new Error(`unsupported $ref ${ref}: only #/components/<kind>/<name> is handled`);
    const [, kind, name] = match;
    const target = spec.components[kind]?.[name];
    if (target === undefined) throw new Error(`${ref} does not resolve in ${PACKAGE} ${spec.info.version}`);
    const copy = withoutExamples(target);
    (components[kind] ??= {})[name] = copy;
    pending.push(...refsIn(copy));
  }
  const subset = {
    openapi: spec.openapi,
    info: { title: spec.info.title, version: spec.info.version },
    'x-source': { package: PACKAGE, version: spec.info.version, file: SOURCE, generator: 'scripts/gen-github-openapi.mjs' },
    paths,
    components,
  };
  return `${JSON.stringify(sortKeys(subset), null, 2)}\n`;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function main() {
  const check = process.argv.includes('--check');
  const pinned = readJson(`${root}/package.json`).devDependencies?.[PACKAGE];
  const installed = readJson(`${root}/node_modules/${PACKAGE}/package.json`).version;
  if (installed !== pinned) {
    console.error(
      `${PACKAGE} ${installed} is installed but package.json pins ${pinned}; run \`npm ci\` (or pin the new version ` +
        'exactly in package.json), then `node scripts/gen-github-openapi.mjs`',
    );
    return 1;
  }
  const text = buildSubset(readJson(`${root}/node_modules/${PACKAGE}/${SOURCE}`));
  if (!check) {
    writeFileSync(`${root}/${OUT}`, text);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(`${root}/${OUT}`, 'utf8');
  } catch {}
  if (current !== text) {
    console.error(`${OUT} is out of date with ${PACKAGE} ${installed}; run \`node scripts/gen-github-openapi.mjs\``);
    return 1;
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());
