import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePortsEnv, REPO } from '../support/start-citadel';

/**
 * Ctrl-C in the terminal that runs `npm start`: the terminal sends SIGINT to the whole foreground
 * process group (npm, the server and, before, the simulators). Covered: a completion and a stream
 * in flight both finish with 200; npm exits 0; nothing is left running; the simulators are in
 * their own process group and still follow a server killed with SIGKILL; the start-up log has one
 * line per listener and none of Nest's route mapping.
 */
const built = existsSync(join(REPO, 'dist', 'main.js'));
/** A terminal's PATH: no node_modules/.bin (npm adds it for its scripts). */
const HOST_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

interface Started {
  child: ChildProcess;
  gateway: string;
  lines: string[];
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command in a process group of its own, as a shell does for a foreground job. */
async function startGroup(command: string, args: string[], ready: RegExp): Promise<Started> {
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, PATH: HOST_PATH, ...freePortsEnv(), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  let text = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const gateway = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      text += line + '\n';
      const m = ready.exec(line);
      if (m) resolve(m[1]);
    });
    void exit.then(({ code }) => reject(new Error(`${command} exited early with ${code}:\n${text}`)));
  });
  return { child, gateway, lines, output: () => text, exit };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

(built ? describe : describe.skip)('Ctrl-C in the terminal running npm start', () => {
  it('finishes a completion and a stream in flight with 200, stops everything, npm exits 0', async () => {
    // --ignore-scripts: dist/ is built, so prestart's build is skipped; "start" itself runs.
    const npm = await startGroup('npm', ['start', '--ignore-scripts', '--', '--host', '127.0.0.1'], /the gateway serves .* on (http:\/\/\S+)/);
    try {
      const startup = npm.lines.filter((l) => l.includes('[')).map((l) => l.replace(/^.*?\] /, ''));
      expect(startup.some((l) => /Mapped \{|RoutesResolver|RouterExplorer|InstanceLoader/.test(l))).toBe(false);
      expect(startup.filter((l) => / serves on http:\/\/127\.0\.0\.1:\d+ \(metrics on 127\.0\.0\.1:\d+, engine simulated/.test(l))).toHaveLength(4);
      expect(npm.lines.filter((l) => l.includes('the gateway serves'))).toHaveLength(1);
      const everything = descendantsOf(npm.child.pid!);

      // With the shipped latency model: ~2 s for Mixtral's 50 tokens, ~2 s for OpenChat's 80.
      const completion = fetch(`${npm.gateway}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mixtral-8x7b', prompt: 'Explain quantum computing', max_tokens: 50 }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { choices: { text: string; finish_reason: string }[]; usage: { completion_tokens: number } } }));
      const stream = await fetch(`${npm.gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openchat-3.5', messages: [{ role: 'user', content: 'Streaming test' }], max_tokens: 80, ignore_eos: true, stream: true }),
      });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      const first = await reader.read();
      let events = Buffer.from(first.value!).toString('utf8');

      process.kill(-npm.child.pid!, 'SIGINT');

      for (let r = await reader.read(); !r.done; r = await reader.read()) events += Buffer.from(r.value).toString('utf8');
      const data = events.split('\n').filter((l) => l.startsWith('data: '));
      expect(data.at(-1)).toBe('data: [DONE]');
      expect(events).not.toMatch(/"error"/);
      expect(data.length).toBeGreaterThan(10);
      const answer = await completion;
      expect(answer.status).toBe(200);
      expect(answer.body.choices[0].finish_reason).toBeTruthy();
      expect(answer.body.usage.completion_tokens).toBeGreaterThan(0);

      expect(await npm.exit).toEqual({ code: 0, signal: null });
      // What npm and the server printed on the way out.
      console.log(`npm start's output after Ctrl-C:\n${npm.output().split('\n').filter((l) => /SIGINT|stopp|npm/.test(l)).join('\n')}`);
      expect(npm.output()).not.toMatch(/npm error/);
      for (const pid of everything) expect(alive(pid)).toBe(false);
    } finally {
      killGroup(npm.child);
    }
  }, 90_000);

  it('simulators run in their own process group and still end when the server is killed with SIGKILL', async () => {
    const server = await startGroup(join(REPO, 'bin', 'citadel-llm'), ['serve', 'phi-3-mini', '--host', '127.0.0.1'], /phi-3-mini serves on (http:\/\/\S+)/);
    try {
      const [simulator] = descendantsOf(server.child.pid!);
      expect(simulator).toBeDefined();
      expect(processGroup(simulator)).toBe(simulator);
      expect(processGroup(server.child.pid!)).toBe(server.child.pid);
      server.child.kill('SIGKILL');
      expect((await server.exit).signal).toBe('SIGKILL');
      for (let i = 0; i < 100 && alive(simulator); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(simulator)).toBe(false);
    } finally {
      killGroup(server.child);
    }
  }, 60_000);
});

function stat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis: state, ppid, pgrp, ...
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function processGroup(pid: number): number | undefined {
  const fields = stat(pid);
  return fields ? Number(fields[2]) : undefined;
}

function alive(pid: number): boolean {
  const fields = stat(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

function descendantsOf(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((p) => Number(stat(p)?.[1]) === pid);
  return [...children, ...children.flatMap(descendantsOf)];
}
