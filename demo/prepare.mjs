// Split the raw customer table into train/test and standardize the features.
import fs from 'node:fs';
import YAML from 'yaml';

const LABEL = 'churned';
const params = YAML.parse(fs.readFileSync('params.yaml', 'utf8')).prepare;
const testRatio = Number(params.test_ratio);
const seed = Number(params.seed);
if (!(testRatio > 0 && testRatio < 1)) throw new Error(`prepare.test_ratio must be in (0, 1), got ${params.test_ratio}`);
if (!Number.isInteger(seed)) throw new Error(`prepare.seed must be an integer, got ${params.seed}`);

// mulberry32: tiny seeded PRNG, so the shuffle is reproducible across runs and machines.
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const [header, ...lines] = fs.readFileSync('data/raw/customers.csv', 'utf8').trim().split(/\r?\n/);
const columns = header.split(',');
const features = columns.filter((c) => c !== LABEL);
// Drop rows with a missing or non-numeric cell rather than guessing a value.
const rows = lines
  .map((line) => line.split(','))
  .filter((cells) => cells.length === columns.length && cells.every((c) => c.trim() !== '' && Number.isFinite(Number(c))))
  .map((cells) => Object.fromEntries(columns.map((c, i) => [c, Number(cells[i])])));

// Fisher-Yates shuffle with the seeded PRNG.
const rand = mulberry32(seed);
for (let i = rows.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [rows[i], rows[j]] = [rows[j], rows[i]];
}
const nTest = Math.round(rows.length * testRatio);
const test = rows.slice(0, nTest);
const train = rows.slice(nTest);

// Standardization statistics come from the train split only, to avoid leaking test information.
const stats = Object.fromEntries(features.map((f) => {
  const xs = train.map((r) => r[f]);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) || 1;
  return [f, { mean, std }];
}));

// Fixed 6-decimal output keeps the files stable and readable.
const fmt = (x) => String(Number(x.toFixed(6)));
const toCsv = (split) => [
  columns.join(','),
  ...split.map((r) => columns.map((c) => (c === LABEL ? String(r[c]) : fmt((r[c] - stats[c].mean) / stats[c].std))).join(',')),
].join('\n') + '\n';

fs.mkdirSync('data/prepared', { recursive: true });
fs.writeFileSync('data/prepared/train.csv', toCsv(train));
fs.writeFileSync('data/prepared/test.csv', toCsv(test));
console.log(`prepare: ${rows.length} rows (${lines.length - rows.length} dropped) -> train ${train.length}, test ${test.length}`);
