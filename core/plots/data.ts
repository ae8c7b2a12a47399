import { parse as parseYaml } from 'yaml';

/** One row of a plots file: field name -> number, string, boolean or null. */
export type PlotRecord = Record<string, unknown>;

export type PlotFormat = 'json' | 'yaml' | 'csv' | 'tsv';

/** What a plots file holds, or why it cannot be drawn. */
export type ParsedPlotData = { records: PlotRecord[] } | { error: string };

/** The format a plots file is read as, from its extension; JSON or YAML (one parser reads both) otherwise. */
export function plotFormat(path: string): PlotFormat {
  const ext = /\.([^./]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'tsv') return 'tsv';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  return 'json';
}

/**
 * Reads the records of a plots file: a JSON or YAML list of records, a map holding exactly one such list
 * (`{"roc": [...]}`), or a CSV/TSV table with a header row. Table cells that read as numbers become numbers.
 */
export function parsePlotData(path: string, text: string): ParsedPlotData {
  const format = plotFormat(path);
  if (format === 'csv' || format === 'tsv') return parseTable(text, format === 'csv' ? ',' : '\t');
  let data: unknown;
  try {
    // JSON is YAML too, but JSON.parse is much faster on large curves.
    data = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    if (format === 'json') {
      try {
        data = parseYaml(text);
      } catch {
        return { error: `is not valid JSON (${(err as Error).message.split('\n')[0]})` };
      }
    } else return { error: `is not valid YAML (${(err as Error).message.split('\n')[0]})` };
  }
  return recordsOf(data);
}

function isRecord(v: unknown): v is PlotRecord {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function recordsOf(data: unknown): ParsedPlotData {
  if (Array.isArray(data)) {
    const bad = data.findIndex((r) => !isRecord(r));
    if (bad >= 0) return { error: `item ${bad} of the list is not a record ({field: value, ...})` };
    return { records: data as PlotRecord[] };
  }
  if (isRecord(data)) {
    const lists = Object.entries(data).filter(([, v]) => Array.isArray(v));
    if (lists.length === 1) {
      const inner = recordsOf(lists[0]![1]);
      return 'error' in inner ? { error: `\`${lists[0]![0]}\`: ${inner.error}` } : inner;
    }
    if (lists.length > 1) return { error: `holds several lists (${lists.map(([k]) => k).join(', ')}); a plots file holds one list of records` };
  }
  return { error: 'is not a list of records, nor a map holding one list of records' };
}

/** A CSV or TSV table with a header row; quoted cells may hold separators, quotes ("") and newlines. */
function parseTable(text: string, sep: string): ParsedPlotData {
  const rows = splitRows(text.replace(/^\uFEFF/, ''), sep).filter((r) => !(r.length === 1 && r[0] === ''));
  const header = rows.shift();
  if (!header) return { error: 'is empty; a table needs a header row' };
  const records: PlotRecord[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.length !== header.length)
      return { error: `row ${i + 2} has ${row.length} cells but the header has ${header.length}` };
    const rec: PlotRecord = {};
    header.forEach((name, j) => (rec[name] = cellValue(row[j]!)));
    records.push(rec);
  }
  return { records };
}

function splitRows(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

function cellValue(cell: string): unknown {
  const t = cell.trim();
  if (t === '') return null;
  // Decimal numbers only: `0x1F`, `Infinity` or `1_000` stay text.
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : cell;
}

/** Field names of `records`, in the order they first appear. */
export function fieldsOf(records: readonly PlotRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Fields whose values are all numbers (nulls aside), at least one of them present. */
export function numericFields(records: readonly PlotRecord[]): string[] {
  return fieldsOf(records).filter((f) => {
    let any = false;
    for (const r of records) {
      const v = r[f];
      if (v === null || v === undefined) continue;
      if (typeof v !== 'number') return false;
      any = true;
    }
    return any;
  });
}
