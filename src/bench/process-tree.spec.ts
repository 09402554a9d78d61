import { spawn } from 'node:child_process';
import { processExists, processTree, sampleProcesses } from './process-tree';

describe('process tree from /proc', () => {
  it('counts a child with its parent', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(processTree(process.pid)).toContain(child.pid);
      const alone = sampleProcesses([process.pid], false)!;
      const withChild = sampleProcesses([process.pid], true)!;
      expect(alone.pids).toEqual([process.pid]);
      expect(withChild.pids).toEqual(expect.arrayContaining([process.pid, child.pid]));
      expect(withChild.rssBytes).toBeGreaterThan(alone.rssBytes);
      expect(processExists(child.pid!)).toBe(true);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('reads nothing for a process that does not exist', () => {
    expect(sampleProcesses([2 ** 22 + 12345])).toBeUndefined();
    expect(processExists(2 ** 22 + 12345)).toBe(false);
  });
});
