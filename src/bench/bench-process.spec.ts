import { BenchProcess } from './bench-process';
import { processExists } from './process-tree';

const node = (script: string, ready?: (line: string) => string | undefined) =>
  new BenchProcess<string>({ name: 'child', command: process.execPath, args: ['-e', script], ready, readyTimeoutMs: 10_000 });

describe('BenchProcess', () => {
  it('is ready when a line of its output says so, then stops on SIGTERM', async () => {
    const p = node("console.error('warming'); console.log('READY 42'); setInterval(() => {}, 1000)", (line) => /^READY (\d+)$/.exec(line)?.[1]);
    expect(await p.start()).toBe('42');
    expect(p.running).toBe(true);
    expect(p.output).toContain('warming');
    const pid = p.pid!;
    await p.stop();
    expect(p.running).toBe(false);
    expect(processExists(pid)).toBe(false);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const p = node("process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)", (line) => (line === 'up' ? line : undefined));
    await p.start();
    await p.stop(200);
    expect(p.running).toBe(false);
  });

  it('says so when the process exits before it is ready, or cannot start', async () => {
    await expect(node("console.log('bye'); process.exit(3)", () => undefined).start()).rejects.toThrow(/exited \(3\) before it was ready:\nbye/);
    await expect(new BenchProcess({ name: 'missing', command: '/nonexistent/binary', args: [] }).start()).rejects.toThrow(/missing could not start/);
  });
});
