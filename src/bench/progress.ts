/** Progress lines while a harness runs, on stderr (stdout carries the result). */

export interface Progress {
  (message: string): void;
}

export function stderrProgress(prefix: string, enabled = true): Progress {
  const t0 = performance.now();
  return (message: string) => {
    if (!enabled) return;
    const t = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`${prefix} ${t}s  ${message}\n`);
  };
}

export const silentProgress: Progress = () => undefined;
