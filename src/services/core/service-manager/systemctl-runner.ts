import { execFile } from 'node:child_process';

export interface SystemctlResult {
  /** The argv after `systemctl`. */
  args: string[];
  /** systemctl's exit code (0 ok; `status` answers 3 for an inactive unit). */
  code: number;
  stdout: string;
  stderr: string;
}

/** The only place that runs `systemctl`. Tests inject a subclass that records the argv. */
export class SystemctlRunner {
  constructor(
    private readonly executable = 'systemctl',
    private readonly timeoutMs = 120_000,
  ) {}

  run(args: string[]): Promise<SystemctlResult> {
    return new Promise((resolve, reject) => {
      execFile(this.executable, args, { timeout: this.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: systemctl is missing, timed out or was killed.
          const reason = error.code === 'ENOENT' ? `${this.executable} not found` : error.message;
          reject(new Error(`systemctl ${args.join(' ')}: ${reason}`));
          return;
        }
        resolve({ args, code: error ? (error.code as number) : 0, stdout, stderr });
      });
    });
  }
}

/** `--dry-run`: prints each command instead of running it and reports success. */
export class DryRunSystemctlRunner extends SystemctlRunner {
  constructor(private readonly print: (line: string) => void) {
    super();
  }

  override run(args: string[]): Promise<SystemctlResult> {
    this.print(['systemctl', ...args].map(shellWord).join(' '));
    return Promise.resolve({ args, code: 0, stdout: '', stderr: '' });
  }
}

/** Quotes a word for display the way a shell would read it back. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
