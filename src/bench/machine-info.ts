/** The machine a benchmark ran on, for the report. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started. */
  loadAverage: number;
  /** ... and when it ended. */
  loadAverageEnd?: number;
  /** e.g. "KVM", from /sys when readable. */
  virtualization?: string;
}

/** The 1-minute load average now. */
export function loadAverageNow(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let virtualization: string | undefined;
  try {
    virtualization = readFileSync('/sys/class/dmi/id/sys_vendor', 'utf8').trim() || undefined;
  } catch {
    virtualization = undefined;
  }
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: loadAverageNow(),
    virtualization,
  };
}
