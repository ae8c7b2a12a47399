// Reads a Parquet table written by the data steps into plain row objects (the demo's model code is plain JS).
import pl from 'nodejs-polars';

export function readRows(path) {
  return pl.readParquet(path).toRecords();
}
