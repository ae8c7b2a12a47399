import { compareLabels } from '../../util/canonical.js';
import type { DataKind } from '../expectations.js';
import type { Dataset, Task } from './types.js';

/** One column of a table as the model steps read it: its kind and its values (null where missing). */
export interface TableColumn {
  name: string;
  kind: DataKind;
  values: ArrayLike<number | string | boolean | bigint | null>;
}

/** A feature as the model knows it: every feature is numeric by the time it reaches a model. */
export interface FeatureInfo {
  name: string;
  /** What the column was: `bool` columns become 0 and 1. */
  type: 'int' | 'float' | 'bool';
}

/** Which `with:` key a problem is about, so the message can point at it. */
export type DatasetKey = 'label' | 'features';

/** The table does not fit the model settings: a missing or text column, a label that does not suit the task. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly key: DatasetKey,
    readonly column?: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface DatasetSpec {
  task: Task;
  /** The label column; required except for anomaly detection, where it is optional (used only for scoring). */
  label?: string;
  /** The feature columns, in order; by default every column but the label. */
  features?: readonly string[];
  /**
   * Classes in index order, when they are already known (scoring with a trained model). Unknown labels are then an
   * error naming them. Without it, classes are the label's distinct values in sorted order.
   */
  classes?: readonly string[];
}

export interface TableDataset {
  dataset: Dataset;
  features: FeatureInfo[];
  /** For classification: the class names, index i being class i. */
  classes?: string[];
  /** For anomaly detection with a label column: 1 where the row is labelled an anomaly. */
  anomalies?: Float64Array;
}

const NUMERIC: ReadonlySet<DataKind> = new Set(['int', 'float', 'bool']);

/**
 * Turns table columns into a dense dataset. Missing feature values become NaN (a model that cannot take them says so);
 * labels are class indices for classification and numbers for regression. Pure.
 */
export function toDataset(columns: readonly TableColumn[], spec: DatasetSpec): TableDataset {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const names = columns.map((c) => c.name);
  const labelCol = spec.label === undefined ? undefined : byName.get(spec.label);
  if (spec.label !== undefined && !labelCol) throw new DatasetError(`no column \`${spec.label}\` in the table (its columns: ${list(names)})`, 'label', spec.label);
  if (spec.label === undefined && spec.task !== 'anomaly') throw new DatasetError(`a ${spec.task} model needs a \`label\` column`, 'label');

  const featureNames = spec.features ? [...spec.features] : names.filter((n) => n !== spec.label);
  if (!featureNames.length) throw new DatasetError('no feature columns: the table holds only the label', 'features');
  const features: FeatureInfo[] = featureNames.map((name) => {
    const col = byName.get(name);
    if (!col) throw new DatasetError(`no column \`${name}\` in the table (its columns: ${list(names)})`, 'features', name);
    if (name === spec.label) throw new DatasetError(`\`${name}\` is the label; it cannot be a feature too`, 'features', name);
    if (!NUMERIC.has(col.kind)) {
      const how = col.kind === 'string' || col.kind === 'category' ? 'encode it first (one_hot or ordinal in gitml/data/features)' : 'convert or drop it first';
      throw new DatasetError(`column \`${name}\` is ${col.kind}, and models take numbers: ${how}, or leave it out of \`features\``, 'features', name);
    }
    return { name, type: col.kind as FeatureInfo['type'] };
  });

  const rows = columns[0]?.values.length ?? 0;
  const data = new Float64Array(rows * features.length);
  features.forEach((f, j) => {
    const values = byName.get(f.name)!.values;
    for (let r = 0; r < rows; r++) data[r * features.length + j] = toNumber(values[r] ?? null);
  });
  const out: TableDataset = { dataset: { x: { rows, cols: features.length, data } }, features };
  if (!labelCol) return out;

  if (spec.task === 'regression') {
    if (labelCol.kind !== 'int' && labelCol.kind !== 'float')
      throw new DatasetError(`label \`${labelCol.name}\` is ${labelCol.kind}; a regression label must be numeric`, 'label', labelCol.name);
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      y[r] = toNumber(labelCol.values[r] ?? null);
      if (!Number.isFinite(y[r]!)) throw new DatasetError(`label \`${labelCol.name}\` is missing or not finite in row ${r + 1}`, 'label', labelCol.name);
    }
    out.dataset.y = y;
    return out;
  }

  const texts: string[] = [];
  for (let r = 0; r < rows; r++) {
    const v = labelCol.values[r] ?? null;
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) throw new DatasetError(`label \`${labelCol.name}\` is missing in row ${r + 1}`, 'label', labelCol.name);
    texts.push(String(v));
  }
  if (spec.task === 'anomaly') {
    // A label here only says which rows are anomalies, for scoring: 1/true/yes mark one.
    out.anomalies = Float64Array.from(texts, (t) => (/^(1|true|yes|anomaly)$/i.test(t) ? 1 : 0));
    return out;
  }
  const classes = spec.classes ? [...spec.classes] : [...new Set(texts)].sort(compareLabels);
  if (!spec.classes) {
    if (spec.task === 'binary' && classes.length !== 2)
      throw new DatasetError(`label \`${labelCol.name}\` has ${classes.length} distinct value${classes.length === 1 ? '' : 's'} (${list(classes)}); a binary task needs exactly 2 (use task: multiclass for more)`, 'label', labelCol.name);
    if (spec.task === 'multiclass' && classes.length < 2)
      throw new DatasetError(`label \`${labelCol.name}\` has only ${list(classes)}; a classifier needs at least 2 classes`, 'label', labelCol.name);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const unknown = [...new Set(texts.filter((t) => !index.has(t)))].sort(compareLabels);
  if (unknown.length)
    throw new DatasetError(`label \`${labelCol.name}\` has ${list(unknown)}, which the model was not trained on (its classes: ${list(classes)})`, 'label', labelCol.name);
  out.dataset.y = Float64Array.from(texts, (t) => index.get(t)!);
  out.classes = classes;
  return out;
}

function toNumber(v: number | string | boolean | bigint | null): number {
  if (v === null) return Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' ? v : Number(v);
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, 12).map((s) => `\`${s}\``);
  return items.length > 12 ? `${shown.join(', ')} and ${items.length - 12} more` : shown.join(', ');
}
