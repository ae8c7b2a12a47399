/**
 * MLflow's scoring protocol (`POST /invocations`), pure: the four payload shapes MLflow's own server takes, each turned
 * into records or columns for the model, and the `{"predictions": ...}` answer. Problems are 400s, which server.ts
 * wraps in MLflow's `{"error_code": "BAD_REQUEST", "message": ...}`.
 */
import type { BatchPrediction, Row, Signature } from './model.js';
import { badRequest } from './errors.js';

export const MLFLOW_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rows of an `/invocations` body: a list of records, or a map of columns. */
export function parseInvocation(body: unknown): Row[] | Record<string, unknown[]> {
  if (!isObject(body)) throw badRequest(`the body must be a JSON object with one of ${MLFLOW_KEYS.join(', ')}`);
  const given = MLFLOW_KEYS.filter((k) => k in body);
  if (given.length !== 1)
    throw badRequest(
      given.length === 0 ? `the body needs one of ${MLFLOW_KEYS.join(', ')}` : `the body has ${given.join(' and ')}; give exactly one of ${MLFLOW_KEYS.join(', ')}`,
    );
  const key = given[0]!;
  const value = body[key];
  if (key === 'dataframe_split') {
    if (!isObject(value) || !Array.isArray(value.columns) || !Array.isArray(value.data))
      throw badRequest('dataframe_split needs `columns` (names) and `data` (a list of rows)');
    const columns = value.columns;
    if (!columns.every((c) => typeof c === 'string')) throw badRequest('dataframe_split.columns must be names');
    return value.data.map((row, i) => {
      if (!Array.isArray(row) || row.length !== columns.length) throw badRequest(`dataframe_split.data[${i}] must be a list of ${columns.length} values, one per column`);
      return Object.fromEntries(columns.map((c, j) => [c as string, row[j]]));
    });
  }
  if (key === 'dataframe_records') {
    if (!Array.isArray(value) || !value.every(isObject)) throw badRequest('dataframe_records must be a list of records (objects)');
    return value as Row[];
  }
  // instances and inputs: a list of records, or a map of columns (TensorFlow Serving's row and column formats).
  if (Array.isArray(value)) {
    if (!value.every(isObject)) throw badRequest(`${key} must be a list of records (objects) or a map of column -> values`);
    return value as Row[];
  }
  if (isObject(value) && Object.values(value).every(Array.isArray)) return value as Record<string, unknown[]>;
  throw badRequest(`${key} must be a list of records (objects) or a map of column -> values`);
}

/**
 * `{"predictions": [...]}`: a record per row for classifiers (`label`, then `probability_<class>`, as `gitml predict`
 * writes), the value or score per row otherwise.
 */
export function invocationResponse(p: BatchPrediction, s: Signature): { predictions: unknown[] } {
  const classes = s.classes ?? [];
  if (p.label) {
    const k = classes.length;
    return {
      predictions: p.label.map((label, i) => ({ label, ...Object.fromEntries(classes.map((c, j) => [`probability_${c}`, p.probabilities![i * k + j]])) })),
    };
  }
  return { predictions: Array.from(p.value ?? p.score ?? []) };
}
