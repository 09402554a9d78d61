/**
 * Memory and CPU of a process and its descendants, from Linux's /proc. A service is usually more
 * than one process (the server and its simulator child; nginx's master and workers).
 */
import { readdirSync } from 'node:fs';
import { processRssBytes, readProcessStat as readStat } from '../monitoring/process-stats';

export interface ProcSample {
  /** Resident memory of the whole tree, bytes. */
  rssBytes: number;
  /** CPU time (user + system) of the tree's live processes, seconds. */
  cpuSeconds: number;
  /** The processes counted. */
  pids: number[];
}

/** True when /proc/<pid> exists (the process lives, or is a zombie). */
export function processExists(pid: number): boolean {
  return readStat(pid) !== undefined;
}

/** The pid and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift() as number;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** Memory and CPU of `pids` and, with `withChildren`, of all their descendants. Undefined when none can be read. */
export function sampleProcesses(pids: readonly number[], withChildren = true): ProcSample | undefined {
  const all = withChildren ? [...new Set(pids.flatMap((p) => processTree(p)))] : [...pids];
  let rssBytes = 0;
  let cpuSeconds = 0;
  const seen: number[] = [];
  for (const pid of all) {
    const rss = processRssBytes(pid);
    const stat = readStat(pid);
    if (rss === undefined || stat === undefined) continue;
    rssBytes += rss;
    cpuSeconds += stat.cpuSeconds;
    seen.push(pid);
  }
  return seen.length ? { rssBytes, cpuSeconds, pids: seen } : undefined;
}
