/**
 * Starts of the service itself, not only of its engine: systemd restarts a unit's process (after a
 * crash, `systemctl restart`, a reboot) and a process cannot see its own past, so each start adds
 * one to a count kept in the unit's state directory (StateDirectory=, which systemd passes as
 * $STATE_DIRECTORY and keeps across restarts). systemd's own NRestarts is not readable from inside
 * the sandboxed unit, and counts automatic restarts only; this counts every start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_STARTS_FILE = 'service-starts';

/**
 * Adds this start to the count in `stateDirectory` and returns the new count. The file holds
 * one integer; a missing or unreadable one counts as 0 starts before. Written to a temporary
 * file and renamed, so a crash mid-write never leaves a torn count.
 */
export function recordServiceStart(stateDirectory: string): number {
  const file = join(stateDirectory, SERVICE_STARTS_FILE);
  let before = 0;
  try {
    const parsed = Number(readFileSync(file, 'utf8').trim());
    if (Number.isSafeInteger(parsed) && parsed >= 0) before = parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(stateDirectory, { recursive: true });
  const starts = before + 1;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${starts}\n`);
  renameSync(temporary, file);
  return starts;
}

/** The first folder of $STATE_DIRECTORY (systemd joins several StateDirectory= entries with ':'). */
export function stateDirectoryFrom(value: string | undefined): string | undefined {
  const first = value?.split(':')[0];
  return first ? first : undefined;
}
