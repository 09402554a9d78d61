/**
 * Memory and CPU of a process from Linux's /proc: the one reader of /proc/<pid>/stat and
 * /proc/<pid>/status, for the engine's resource figures and the benchmarks' process trees.
 * (pidusage reads the same files, but only asynchronously and without the parent pid.)
 */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessStat {
  ppid: number;
  /** CPU time (user + system) used, seconds. */
  cpuSeconds: number;
}

/** The parent and the CPU time of a process, from /proc/<pid>/stat (undefined when it cannot be read). */
export function readProcessStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** Resident memory of a process, from /proc (undefined when it cannot be read). */
export function processRssBytes(pid: number): number | undefined {
  if (pid === process.pid) return process.memoryUsage.rss();
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, in seconds. */
export function processCpuSeconds(pid: number): number | undefined {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  return readProcessStat(pid)?.cpuSeconds;
}
