/**
 * Input checks shared by the metrics: each throws a `MetricsInputError` naming the input and the first bad row, so a
 * caller's mistake (a wrong column, a model with other classes) surfaces as such instead of as a NaN in a report.
 */
import { MetricsInputError } from './errors.js';

/** At least one row. */
export function checkRows(rows: number, what: string): void {
  if (rows === 0) throw new MetricsInputError(`${what}: there are no rows to score; give a non-empty table`, { rows });
}

/** `values` has `rows` entries (`perRow` each), all finite. */
export function checkValues(values: Float64Array, rows: number, name: string, perRow = 1): void {
  if (values.length !== rows * perRow) {
    const shape = perRow === 1 ? `${rows}` : `${rows} x ${perRow} = ${rows * perRow}`;
    throw new MetricsInputError(
      `${name} has ${values.length} values where ${shape} are expected (one${perRow === 1 ? '' : ' row'} per label)`,
      {
        name,
        length: values.length,
        expected: rows * perRow,
      },
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const row = Math.floor(i / perRow);
      throw new MetricsInputError(`${name} at row ${row} is ${values[i]}; every value must be a finite number`, { name, row });
    }
  }
}

/** Class indices: integers in `[0, classes)`. */
export function checkClasses(y: Float64Array, classes: number, name = 'y'): void {
  if (classes < 2) throw new MetricsInputError(`a classification needs at least 2 classes, got ${classes}`, { classes });
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new MetricsInputError(
        `${name} at row ${i} is ${v}, not a class index in 0..${classes - 1}; labels must be encoded as the model's class indices`,
        {
          name,
          row: i,
          value: v,
          classes,
        },
      );
    }
  }
}

/** Binary labels: 0 or 1. */
export function checkBinary(y: Float64Array, name = 'y'): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v !== 0 && v !== 1)
      throw new MetricsInputError(`${name} at row ${i} is ${v}; binary labels must be 0 or 1`, { name, row: i, value: v });
  }
}

/** The inputs of everything ranked by score against 0/1 labels: rows, labels, one finite score a row, weights. */
export function checkScored(y01: Float64Array, scores: Float64Array, weights: Float64Array | undefined, what: string): void {
  checkRows(y01.length, what);
  checkBinary(y01);
  checkValues(scores, y01.length, 'scores');
  checkWeights(weights, y01.length);
}

/** Sample weights: one per row, finite, non-negative, not all zero. */
export function checkWeights(weights: Float64Array | undefined, rows: number): void {
  if (!weights) return;
  checkValues(weights, rows, 'weights');
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i]!;
    if (w < 0) throw new MetricsInputError(`weights at row ${i} is ${w}; sample weights must not be negative`, { row: i, value: w });
    sum += w;
  }
  if (sum === 0) throw new MetricsInputError('every sample weight is 0; at least one row must count', {});
}

/** The weight of row `i`: 1 without weights. */
export function weightOf(weights: Float64Array | undefined, i: number): number {
  return weights ? weights[i]! : 1;
}
