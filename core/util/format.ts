import { jsonReplacer } from './canonical.js';

/** `1234567` -> `1.23 MB`: three significant digits, decimal units. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}

/**
 * A parameter or metric value as a person reads it: strings bare (quoted with `quote`), numbers as JavaScript writes
 * them (`NaN`, `Infinity`, all digits of a big integer), the rest as JSON.
 */
export function formatValue(v: unknown, quote = false): string {
  if (typeof v === 'string') return quote ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'bigint' || v === undefined) return String(v);
  return JSON.stringify(v, jsonReplacer);
}

/** Whether an old/new pair must quote its strings to show a change of type (`"5" -> 5`, not `5 -> 5`). */
export function typeChanged(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && (typeof a === 'string') !== (typeof b === 'string');
}

/** `0.042` -> `0.04 s`, `83.5` -> `1 min 24 s`: durations as every command prints them. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
