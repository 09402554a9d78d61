import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';
import { BatchedConsoleLogger } from '../../src/api/batched-console-logger';

/** A `model` is only ever looked up among the configured names: never a URL, header or log line. */
describe('hostile model names', () => {
  let server: ServiceOrchestrator;
  const output: string[] = [];
  let restore: (() => void) | undefined;

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (output.push(String(chunk)), write(chunk, ...rest))) as typeof process.stdout.write;
    restore = () => (process.stdout.write = write);
    server = await startCitadel({ only: ['mixtral-8x7b'], logLevels: ['error', 'warn', 'log', 'debug', 'verbose'] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    restore?.();
  });

  it.each([
    ['a path', '../../../etc/passwd'],
    ['a URL', 'http://169.254.169.254/latest/meta-data'],
    ['CRLF and a header', 'mixtral-8x7b\r\nSet-Cookie: stolen=1'],
    ['a unit name', 'mixtral-8x7b.service; systemctl stop citadel-llm.target'],
    ['very long unicode', '模型'.repeat(20_000)],
  ])('%s is a 404 naming only configured models, echoed clipped and printable', async (_kind, model) => {
    const res = await fetch(`${server.models[0].url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('set-cookie')).toBeNull();
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('model_not_found');
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toMatch(/Available models: mixtral-8x7b.$/);
  });

  it('never writes the name to the logs, and the metrics gain no series', async () => {
    const metrics = await (await fetch(`${server.models[0].url}/metrics`)).text();
    // Log lines still waiting in their batch are part of what is checked.
    BatchedConsoleLogger.flush();
    const everything = output.join('') + metrics;
    for (const fragment of ['etc/passwd', '169.254.169.254', 'stolen=1', 'systemctl stop', '模型']) expect(everything).not.toContain(fragment);
  });
});
