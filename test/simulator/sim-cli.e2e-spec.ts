/** `citadel-llm sim` run in-process: the ready line, a clean stop, faults from flags, usage errors. */
import { runSimCommand, SIM_USAGE } from '../../src/simulator/sim-cli';
import type { SimulatorModel } from '../../src/simulator/types';
import { get, post, testModel, waitFor } from './helpers';

const MODELS: Record<string, SimulatorModel> = {
  'test-model': testModel({}, { ttftBaseMs: 5, itlBaseMs: 1 }),
};

interface Captured {
  stdout: string[];
  stderr: string[];
  restore(): void;
}

function capture(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  return {
    stdout,
    stderr,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** Starts the command, waits for its ready line and returns it with a way to stop it. */
async function runUntilReady(argv: string[]) {
  const io = capture();
  const controller = new AbortController();
  const exit = runSimCommand(argv, MODELS, { signal: controller.signal });
  try {
    await waitFor(() => io.stdout.join('').includes('\n'), 'the ready line');
  } catch (err) {
    controller.abort();
    await exit;
    io.restore();
    throw err;
  }
  const ready = JSON.parse(io.stdout.join('')) as { event: string; url: string; port: number; model: string };
  return {
    io,
    ready,
    stop: async () => {
      controller.abort();
      const code = await exit;
      io.restore();
      return code;
    },
  };
}

describe('runSimCommand', () => {
  it('prints exactly one ready line, serves, and stops cleanly with exit code 0', async () => {
    const run = await runUntilReady(['--model', 'test-model', '--port', '0', '--output', 'echo', '--seed', '3']);
    try {
      expect(run.io.stdout).toHaveLength(1);
      expect(run.ready).toEqual({
        event: 'ready',
        url: `http://127.0.0.1:${run.ready.port}`,
        port: run.ready.port,
        model: 'org/test-model',
      });
      expect(run.ready.port).toBeGreaterThan(0);
      const r = await post(run.ready.url, '/v1/chat/completions', {
        messages: [{ role: 'user', content: 'echo this back' }],
      });
      expect(r.json.choices[0].message.content).toBe('echo this back');
    } finally {
      expect(await run.stop()).toBe(0);
    }
    expect(run.io.stderr.join('')).toBe('');
    await expect(get(run.ready.url, '/health')).rejects.toThrow();
  });

  it('applies --profile instant, --vllm-version and fault flags', async () => {
    const run = await runUntilReady([
      '--model=test-model',
      '--port=0',
      '--profile',
      'instant',
      '--vllm-version',
      '0.11.1',
      '--error-rate',
      '1',
      '--error-status',
      '429',
    ]);
    try {
      expect((await get(run.ready.url, '/version')).json).toEqual({ version: '0.11.1' });
      const r = await post(run.ready.url, '/v1/completions', { prompt: 'x' });
      expect(r.status).toBe(429);
      expect((await get(run.ready.url, '/admin/faults')).json).toMatchObject({ errorRate: 1, errorStatus: 429 });
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });

  it('--dead and --slow-start make /health answer 503', async () => {
    for (const flags of [['--dead'], ['--slow-start', '30']]) {
      const run = await runUntilReady(['--model', 'test-model', '--port', '0', ...flags]);
      try {
        expect((await get(run.ready.url, '/health')).status).toBe(503);
      } finally {
        expect(await run.stop()).toBe(0);
      }
    }
  });

  it('--hang, --hang-before-headers, --die-after, --fail-after and --stall-after reach the server', async () => {
    const run = await runUntilReady(['--model', 'test-model', '--port', '0', '--hang', '--hang-before-headers', '--die-after', '4', '--fail-after', '6', '--stall-after', '8', '--speed', '50']);
    try {
      expect((await get(run.ready.url, '/admin/faults')).json).toMatchObject({ hang: true, hangBeforeHeaders: true, dieAfterTokens: 4, failAfterTokens: 6, stallAfterTokens: 8 });
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const io = capture();
    try {
      expect(await runSimCommand(['--help'], {})).toBe(0);
    } finally {
      io.restore();
    }
    expect(io.stdout.join('')).toBe(SIM_USAGE);
    expect(SIM_USAGE).toMatch(/--model/);
  });

  it.each([
    [[], /--model is required/],
    [['--model', 'nope'], /unknown model 'nope' \(known: test-model\)/],
    [['--model', 'test-model', '--bogus'], /unknown option '--bogus'/],
    [['--model', 'test-model', '--port', 'eighty'], /--port: expected an integer/],
    [['--model', 'test-model', '--port', '70000'], /--port/],
    [['--model', 'test-model', '--speed', '0'], /--speed: expected a number > 0/],
    [['--model', 'test-model', '--profile', 'fast'], /--profile: expected instant or config/],
    [['--model', 'test-model', '--output', 'poetry'], /--output: expected random or echo/],
    [['--model', 'test-model', '--error-rate', '1.5'], /--error-rate/],
    [['--model', 'test-model', '--error-status', '404'], /--error-status: expected 429, 500 or 503/],
    [['--model', 'test-model', '--slow-start', '-1'], /--slow-start/],
    [['--model', 'test-model', '--die-after', '2.5'], /--die-after/],
    [['--model', 'test-model', '--seed', 'x'], /--seed/],
    [['--model'], /--model needs a value/],
    [['--model', 'test-model', '--hang=yes'], /--hang takes no value/],
  ])('%j is a usage error: message and usage on stderr, exit 2', async (argv, message) => {
    const io = capture();
    let code: number;
    try {
      code = await runSimCommand(argv as string[], MODELS);
    } finally {
      io.restore();
    }
    expect(code).toBe(2);
    expect(io.stdout).toEqual([]);
    const err = io.stderr.join('');
    expect(err).toMatch(message);
    expect(err).toContain(SIM_USAGE);
  });

  it('exits 1 when it cannot listen', async () => {
    const first = await runUntilReady(['--model', 'test-model', '--port', '0']);
    try {
      const io = capture();
      let code: number;
      try {
        code = await runSimCommand(['--model', 'test-model', '--port', String(first.ready.port)], MODELS);
      } finally {
        io.restore();
      }
      expect(code).toBe(1);
      expect(io.stderr.join('')).toMatch(/EADDRINUSE/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });
});
