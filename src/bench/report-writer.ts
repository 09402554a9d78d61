/** Writes a harness's JSON report under a name that sorts by time and never overwrites another. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** 2025-01-18T12:03:04.567Z → 20250118T120304Z (UTC). */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** Keeps letters, digits, '.', '_' and '-' (a model id stays as it is). */
export function safeNamePart(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** `<dir>/<base>_<timestamp>.json` (then -2, -3, ... if taken); returns the path written. */
export function writeJsonReport(dir: string, base: string, report: unknown, date = new Date()): string {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const stem = `${base}_${fileTimestamp(date)}`;
  let file = join(folder, `${stem}.json`);
  for (let n = 2; existsSync(file); n++) file = join(folder, `${stem}-${n}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
