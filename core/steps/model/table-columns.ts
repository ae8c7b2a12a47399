import { kindOfDtype } from '../expectations.js';
import type { DataFrame } from '../table.js';
import type { TableColumn } from './dataset.js';

/** The columns of a table as the model steps read them (`toDataset`): kind from the dtype, values as JS values. */
export function tableColumns(df: DataFrame, names: readonly string[] = df.columns): TableColumn[] {
  return names.map((name) => {
    const s = df.getColumn(name);
    return { name, kind: kindOfDtype(s.dtype.variant), values: s.toArray() as TableColumn['values'] };
  });
}
