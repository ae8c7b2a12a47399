// Generates core/generated/*.ts from the JSON Schemas in schemas/, the one source of truth for both.
// `--check` exits 1 when the committed files differ from what the schemas produce (used by the drift test).
import { compile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const targets = [
  { schema: 'schemas/ml.schema.json', out: 'core/generated/ml-yaml.ts' },
  { schema: 'schemas/lock.schema.json', out: 'core/generated/lockfile.ts' },
  { schema: 'schemas/config.schema.json', out: 'core/generated/config.ts' },
];

export async function generate(schemaPath) {
  const schema = JSON.parse(readFileSync(`${root}/${schemaPath}`, 'utf8'));
  return compile(schema, schema.title, {
    bannerComment: `/* Generated from ${schemaPath} by scripts/gen-types.mjs; do not edit by hand. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true, printWidth: 120 },
  });
}

const check = process.argv.includes('--check');
let drift = false;
for (const { schema, out } of targets) {
  const text = await generate(schema);
  if (check) {
    let current = '';
    try {
      current = readFileSync(`${root}/${out}`, 'utf8');
    } catch {}
    if (current !== text) {
      console.error(`${out} is out of date with ${schema}; run \`npm run gen:types\``);
      drift = true;
    }
  } else {
    writeFileSync(`${root}/${out}`, text);
  }
}
process.exit(drift ? 1 : 0);
