// Gradient-boosted trees against scikit-learn's HistGradientBoostingClassifier/Regressor: the same generated
// 1,000,000 x 20 data (written as .npy for the Python side), the same settings, fit seconds and held-out
// accuracy/RMSE side by side. scikit-learn is the baseline; it is skipped, saying so, when Python or it is absent.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const GBDT_FEATURES = 20;

/**
 * `rows` rows of 20 standard-normal features (features 5-7 missing 5% of the time), with a binary label and a
 * regression target from a nonlinear function of the first 8 features plus noise. A fixed xorshift generator:
 * the same data every run.
 */
export function generateGbdtData(rows, seed = 2463534242) {
  let s = seed >>> 0;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const p = GBDT_FEATURES;
  const x = new Float64Array(rows * p);
  const binary = new Float64Array(rows);
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * p;
    for (let f = 0; f < p; f++) x[o + f] = f >= 5 && f <= 7 && rand() < 0.05 ? NaN : normal();
    const v = (f) => (Number.isNaN(x[o + f]) ? 1 : x[o + f]);
    const z = x[o] + 0.5 * x[o + 1] * x[o + 2] - x[o + 3] ** 2 + Math.sin(2 * x[o + 4]) + 0.8 * v(5) + 0.5 * v(6) * (v(7) > 0) + 0.6 * normal();
    binary[i] = z > -0.9 ? 1 : 0;
    target[i] = 3 * z + 10;
  }
  return { x, binary, target, rows, cols: p };
}

/** A little-endian float64 .npy file of `shape`. */
export function writeNpy(path, data, shape) {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  writeSync(fd, Buffer.from(header, 'latin1'));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < bytes.length; at += 1 << 24) writeSync(fd, bytes, at, Math.min(1 << 24, bytes.length - at));
  closeSync(fd);
}
