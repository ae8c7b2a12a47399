// Generates core/generated/*.ts from the JSON Schemas in schemas/, the one source of truth for both: TypeScript
// types, and validators compiled ahead of time (so that no run of the CLI pays for compiling a schema).
// `--check` exits 1 when the committed files differ from what the schemas produce (used by the drift test).
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { compile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const targets = [
  { schema: 'schemas/ml.schema.json', out: 'core/generated/ml-yaml.ts', validator: 'core/generated/validate-ml-yaml.ts' },
  { schema: 'schemas/lock.schema.json', out: 'core/generated/lockfile.ts', validator: 'core/generated/validate-lockfile.ts' },
  { schema: 'schemas/config.schema.json', out: 'core/generated/config.ts', validator: 'core/generated/validate-config.ts' },
  { schema: 'schemas/serve.schema.json', out: 'core/generated/serve.ts', validator: 'core/generated/validate-serve.ts' },
  // One validator per built-in step's `with:` map, as named exports.
  {
    schema: 'schemas/steps.schema.json',
    out: 'core/generated/steps.ts',
    validator: 'core/generated/validate-steps.ts',
    exports: ['ingest', 'profile', 'validate', 'clean', 'features', 'split', 'synth', 'train', 'evaluate', 'accept', 'tune', 'packageModel', 'predict'],
  },
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

/** A standalone ajv validator (allErrors and verbose, as the error messages need) as a TypeScript module. */
export function generateValidator(schemaPath, exports) {
  const schema = JSON.parse(readFileSync(`${root}/${schemaPath}`, 'utf8'));
  // unicode: false keeps the code free of ajv runtime imports; string lengths here only guard against empty strings.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, unicode: false, logger: false, code: { source: true, esm: true } });
  let code;
  if (exports) {
    ajv.addSchema(schema);
    code = standaloneCode(ajv, Object.fromEntries(exports.map((name) => [name, `${schema.$id}#/definitions/${name}`])));
  } else code = standaloneCode(ajv, ajv.compile(schema));
  if (/require\(/.test(code)) throw new Error(`${schemaPath}: the generated validator needs the ajv runtime`);
  return `/* Generated from ${schemaPath} by scripts/gen-types.mjs; do not edit by hand. */\n// @ts-nocheck\n${code}\n`;
}

const check = process.argv.includes('--check');
let drift = false;
const outputs = targets.flatMap(({ schema, out, validator, exports }) => [
  { schema, out, make: () => generate(schema) },
  { schema, out: validator, make: async () => generateValidator(schema, exports) },
]);
for (const { schema, out, make } of outputs) {
  const text = await make();
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
