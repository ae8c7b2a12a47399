// The operations of GitHub's REST API description (the committed subset) as compiled checks: route matching,
// path and query parameter coercion and validation, request body and response body validation.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';

const SUBSET_ID = 'https://api.github.com/openapi-subset.json';

interface SchemaObject {
  [keyword: string]: unknown;
}
interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: SchemaObject;
}
interface MediaType {
  schema?: SchemaObject;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface OperationObject {
  operationId: string;
  externalDocs?: { url: string };
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseObject | { $ref: string }>;
}
export interface OpenApiSubset {
  openapi: string;
  'x-source': { package: string; version: string };
  paths: Record<string, Record<string, OperationObject>>;
  components: Record<string, Record<string, unknown>>;
}

export function loadSubset(): OpenApiSubset {
  return JSON.parse(readFileSync(new URL('./openapi-subset.json', import.meta.url), 'utf8')) as OpenApiSubset;
}

/** A problem in a request, in the words GitHub's "Invalid request" messages use. */
export interface RequestProblem {
  /** `"body" wasn't supplied.`, `For 'per_page', 1000 is greater than the maximum of 100.` */
  message: string;
}

interface CompiledParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  type: string | undefined;
  validate: ValidateFunction;
}

export interface Operation {
  operationId: string;
  method: string;
  /** The path template, `/repos/{owner}/{repo}/check-runs`. */
  path: string;
  documentationUrl: string;
  parameters: CompiledParameter[];
  body: { required: boolean; validate: ValidateFunction } | undefined;
  /** Response body validators by status code (`"200"`), for JSON responses. */
  responses: Map<string, ValidateFunction | null>;
  pattern: RegExp;
  pathNames: string[];
}

export interface OperationMatch {
  operation: Operation;
  /** Path parameters as sent (decoded, not yet coerced). */
  pathValues: Record<string, string>;
}

export interface CompiledApi {
  version: string;
  operations: Operation[];
  /** The operation for a method and path; when none, whether the path exists with another method. */
  match(method: string, path: string): { found: OperationMatch } | { found: undefined; pathExists: boolean };
  /**
   * What is wrong with a response (status and JSON body, undefined for none) to the operation, or to a request that
   * matched none (then only GitHub's error shapes fit); empty when it fits.
   */
  responseProblems(operation: Operation | undefined, status: number, body: unknown): string[];
}

function pointer(...segments: string[]): string {
  return `${SUBSET_ID}#/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function refTarget<T>(subset: OpenApiSubset, value: T | { $ref: string }): T {
  if (value && typeof value === 'object' && '$ref' in value) {
    const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(value.$ref) ?? [];
    const target = kind && name ? subset.components[kind]?.[name] : undefined;
    if (target === undefined) throw new Error(`openapi-subset.json: ${value.$ref} does not resolve`);
    return target as T;
  }
  return value;
}

// RFC 3339 date-time, as GitHub writes and accepts timestamps (`2011-04-14T16:00:49Z`).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * ajv with the formats the subset uses. ajv-formats is not installed, and leaving formats unchecked would let the fake
 * answer relative URLs or malformed timestamps that a client parsing them would trip on; these four are small enough
 * to check here. ajv's strict mode throws on any other format, so a regenerated subset that uses a new one fails
 * loudly instead of silently skipping the check.
 */
function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, logger: false });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addFormat('uri', (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s) && URL.canParse(s));
  ajv.addFormat('email', (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s));
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  // OpenAPI annotation keywords (ajv handles `nullable` itself). `discriminator` stays an annotation: ajv's own
  // support rejects the `mapping` GitHub uses, and `oneOf` already decides between the variants.
  ajv.addVocabulary(['example', 'discriminator', 'externalDocs', 'xml', 'x-github-breaking-changes']);
  // The document's top level is not a schema; these keywords only hold what the $refs point into.
  ajv.addVocabulary(['openapi', 'info', 'x-source', 'paths', 'components']);
  return ajv;
}

/**
 * Limits the parameters' descriptions state in words only ("The number of results per page (max 100)"). GitHub quietly
 * clamps a larger `per_page`; the server rejects it instead, so that a client counting on more is caught.
 */
const STATED_LIMITS: Record<string, { minimum: number; maximum?: number }> = {
  per_page: { minimum: 1, maximum: 100 },
  page: { minimum: 1 },
};

let compiled: CompiledApi | undefined;

/** The subset, compiled once per process (compiling the pull request schema takes a moment). */
export function compiledApi(): CompiledApi {
  compiled ??= compile(loadSubset());
  return compiled;
}

/**
 * ajv reads `nullable: true` as adding null to `type`, but still checks `enum`, which GitHub's description never lists
 * null in (check-run `conclusion` is `{ type: string, nullable: true, enum: [...] }` and is null until the run
 * completes). OpenAPI 3.0 means null to be allowed there, so it is added to such enums before compiling.
 */
function nullableEnums(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableEnums);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = nullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

function compile(subset: OpenApiSubset): CompiledApi {
  const ajv = makeAjv();
  ajv.addSchema(nullableEnums(subset) as SchemaObject, SUBSET_ID);
  const at = (...segments: string[]): ValidateFunction => ajv.compile({ $ref: pointer(...segments) });
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(subset.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []).map((p, i) => {
        const param = refTarget(subset, p);
        if (param.in !== 'path' && param.in !== 'query') throw new Error(`${op.operationId}: ${param.in} parameters are not served`);
        const ref = '$ref' in p ? p.$ref.slice(2).split('/') : ['paths', path, method, 'parameters', String(i)];
        return {
          name: param.name,
          in: param.in,
          required: param.required === true,
          type: typeof param.schema.type === 'string' ? param.schema.type : undefined,
          validate: STATED_LIMITS[param.name]
            ? ajv.compile({ allOf: [{ $ref: pointer(...ref, 'schema') }, STATED_LIMITS[param.name]] })
            : at(...ref, 'schema'),
        };
      });
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const body = bodySchema
        ? { required: op.requestBody?.required === true, validate: at('paths', path, method, 'requestBody', 'content', 'application/json', 'schema') }
        : undefined;
      const responses = new Map<string, ValidateFunction | null>();
      for (const [status, r] of Object.entries(op.responses)) {
        const ref = '$ref' in r ? r.$ref.slice(2).split('/') : ['paths', path, method, 'responses', status];
        const json = refTarget(subset, r).content?.['application/json'];
        responses.set(status, json?.schema ? at(...ref, 'content', 'application/json', 'schema') : null);
      }
      const pathNames: string[] = [];
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
        pathNames.push(name);
        return '([^/]+)';
      });
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        documentationUrl: op.externalDocs?.url ?? 'https://docs.github.com/rest',
        parameters,
        body,
        responses,
        pattern: new RegExp(`^${source}$`),
        pathNames,
      });
    }
  }
  const basicError = at('components', 'schemas', 'basic-error');
  const validationError = at('components', 'schemas', 'validation-error');
  return {
    version: subset['x-source'].version,
    operations,
    match(method, path) {
      let pathExists = false;
      for (const operation of operations) {
        const m = operation.pattern.exec(path);
        if (!m) continue;
        pathExists = true;
        if (operation.method !== method) continue;
        const pathValues: Record<string, string> = {};
        operation.pathNames.forEach((name, i) => (pathValues[name] = decodeURIComponent(m[i + 1] ?? '')));
        return { found: { operation, pathValues } };
      }
      return { found: undefined, pathExists };
    },
    responseProblems(operation, status, body) {
      let validate = operation?.responses.get(String(status));
      if (validate === undefined) {
        // GitHub sends 401, 403, 404 and 422 on operations whose description does not list them; those bodies still
        // have to be GitHub's error shapes. A success status the description does not list is a mistake.
        if (status < 400) return [`${status} is not a status ${operation ? 'the operation declares' : 'for an unknown operation'}`];
        validate = status === 422 ? validationError : basicError;
      }
      if (validate === null) return body === undefined ? [] : [`${status} has a body the operation does not declare`];
      if (validate(body)) return [];
      return (validate.errors ?? []).map((e) => `${status}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    },
  };
}

/**
 * ajv errors in the words of GitHub's "Invalid request." messages: `"body" wasn't supplied.`,
 * `For 'properties/body', 1 is not a string.`, `Only 65535 characters are allowed; 70000 were supplied.`
 */
export function describeErrors(errors: ErrorObject[] | null | undefined, rootName: string, root: unknown): RequestProblem[] {
  return (errors ?? []).map((e) => {
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let value: unknown = root;
    for (const s of segments) value = (value as Record<string, unknown> | undefined)?.[s];
    if (e.keyword === 'required') return { message: `"${String(e.params.missingProperty)}" wasn't supplied.` };
    if (e.keyword === 'maxLength' && typeof value === 'string') {
      return { message: `Only ${String(e.params.limit)} characters are allowed; ${value.length} were supplied.` };
    }
    const field = segments.length === 0 ? rootName : segments.map((s) => (/^\d+$/.test(s) ? `items/${s}` : `properties/${s}`)).join('/');
    let what = e.message ?? 'is invalid';
    if (e.keyword === 'type') {
      const type = String(e.params.type);
      what = `is not ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
    } else if (e.keyword === 'enum') what = `is not a member of ${JSON.stringify(e.params.allowedValues)}`;
    return { message: `For '${field}', ${JSON.stringify(value) ?? String(value)} ${what}.` };
  });
}

/**
 * Coerces a path or query string to the parameter's schema type. Returns the string itself when it is not a number
 * or boolean as the type wants, so that the schema check reports the type mismatch.
 */
export function coerce(raw: string, type: string | undefined): unknown {
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}
