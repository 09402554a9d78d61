import { ConsoleLogger } from '@nestjs/common';
import { BatchedConsoleLogger } from './batched-console-logger';

/** Fake timers: the test moves the clock past the batch's wait, it never sleeps. */
const flushTime = () => jest.advanceTimersByTime(BatchedConsoleLogger.FLUSH_MS);

describe('BatchedConsoleLogger', () => {
  let out: { stream: 'stdout' | 'stderr'; text: string }[];
  let restore: () => void;
  beforeEach(() => {
    jest.useFakeTimers();
    out = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push({ stream: 'stdout', text: String(chunk) }), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push({ stream: 'stderr', text: String(chunk) }), true));
    restore = () => (stdout.mockRestore(), stderr.mockRestore());
  });
  afterEach(() => {
    BatchedConsoleLogger.flush();
    restore();
    jest.useRealTimers();
  });

  it("writes the log lines of a batch's wait in one write, each line as Nest's console logger formats it", () => {
    const logger = new BatchedConsoleLogger({ colors: false });
    logger.setLogLevels(['log', 'warn', 'error']);
    logger.log('first', 'Access');
    logger.log('second', 'Access');
    expect(out).toEqual([]);
    jest.advanceTimersByTime(BatchedConsoleLogger.FLUSH_MS - 1);
    expect(out).toEqual([]);
    flushTime();
    expect(out).toHaveLength(1);
    const lines = out[0].text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\[Nest\\] ${process.pid}  - .+ +LOG \\[Access\\] first`));
    expect(lines[1]).toMatch(/LOG \[Access\] second/);
    // The same text as the console logger it batches.
    const plain: string[] = [];
    restore();
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (plain.push(String(chunk)), true));
    new ConsoleLogger({ colors: false }).log('first', 'Access');
    spy.mockRestore();
    expect(plain[0].replace(/\d{1,2}\/\d{1,2}\/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M/, 'T')).toBe(lines[0].replace(/\d{1,2}\/\d{1,2}\/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M/, 'T') + '\n');
  });

  it('keeps the order: a warning or an error first writes the log lines still waiting', () => {
    const logger = new BatchedConsoleLogger({ colors: false });
    logger.log('before', 'Ctx');
    logger.warn('careful', 'Ctx');
    logger.error('broken', 'Ctx');
    expect(out.map((o) => o.stream)).toEqual(['stdout', 'stdout', 'stderr']);
    expect(out[0].text).toMatch(/LOG \[Ctx\] before/);
    expect(out[1].text).toMatch(/WARN \[Ctx\] careful/);
    expect(out[2].text).toMatch(/ERROR \[Ctx\] broken/);
  });

  it('writes a batch at once when it reaches its size cap, and nothing when there is nothing to write', () => {
    const logger = new BatchedConsoleLogger({ colors: false });
    const big = 'x'.repeat(BatchedConsoleLogger.MAX_BATCH_BYTES);
    logger.log('small', 'Ctx');
    logger.log(big, 'Ctx');
    expect(out).toHaveLength(1);
    expect(out[0].text).toContain('small');
    expect(out[0].text).toContain(big);
    BatchedConsoleLogger.flush();
    expect(out).toHaveLength(1);
  });

  it('leaves levels that are off silent', () => {
    const logger = new BatchedConsoleLogger({ colors: false });
    logger.setLogLevels(['error']);
    logger.log('hidden', 'Ctx');
    flushTime();
    expect(out).toEqual([]);
  });
});
