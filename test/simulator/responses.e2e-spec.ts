/**
 * The Responses API as vLLM 0.11 serves it for a model that is not gpt-oss. Shapes and errors from
 * vllm/entrypoints/openai/serving_responses.py (responses_full_generator, _process_simple_streaming_events,
 * responses_stream_generator, retrieve/cancel, the store switch), protocol.py (ResponsesRequest,
 * ResponsesResponse.from_request, ResponseUsage) and api_server.py (routes, SSE framing
 * `event: <type>\ndata: <json>\n\n`). The pooling endpoints' errors: api_server.py's handlers for a
 * generative model ("The model does not support … API").
 */
import OpenAI from 'openai';
import { startSimulator } from '../../src/simulator/sim-server';
import type { RunningSimulator } from '../../src/simulator/types';
import { get, post, SERVED, testModel } from './helpers';
import { libraryChatCount } from './library-counts';

function sseEvents(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim().length > 0)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      expect(eventLine.startsWith('event: ')).toBe(true);
      expect(dataLine.startsWith('data: ')).toBe(true);
      return { event: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
    });
}

describe('POST /v1/responses (store off, vLLM default)', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ models: [testModel()], instant: true }, { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => sim.close());

  it('answers a string input with a response object, an output message and usage counted by the tokenizer', async () => {
    const r = await post(sim.url, '/v1/responses', { model: SERVED, input: 'Say hello', instructions: 'Be brief.', max_output_tokens: 12 });
    expect(r.status).toBe(200);
    const b = r.json;
    expect(b).toMatchObject({
      object: 'response',
      model: SERVED,
      status: 'completed',
      instructions: 'Be brief.',
      max_output_tokens: 12,
      temperature: 1,
      top_p: 1,
      tool_choice: 'auto',
      tools: [],
      background: false,
      previous_response_id: null,
      incomplete_details: null,
      service_tier: 'auto',
      truncation: 'disabled',
    });
    expect(b.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(b.output).toHaveLength(1);
    expect(b.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(b.output[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(b.output[0].content[0]).toMatchObject({ type: 'output_text', annotations: [], logprobs: null });
    const input = libraryChatCount('default', [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ]);
    expect(b.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0, input_tokens_per_turn: [], cached_tokens_per_turn: [] },
      output_tokens: b.usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0, tool_output_tokens: 0, output_tokens_per_turn: [], tool_output_tokens_per_turn: [] },
      total_tokens: input + b.usage.output_tokens,
    });
    expect(b.usage.output_tokens).toBeGreaterThan(0);
    expect(b.usage.output_tokens).toBeLessThanOrEqual(12);
  });

  it('takes message items (string or input_text parts) as chat messages', async () => {
    const r = await post(sim.url, '/v1/responses', {
      input: [
        { role: 'user', content: 'first' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
      ],
      max_output_tokens: 3,
    });
    expect(r.status).toBe(200);
    expect(r.json.usage.input_tokens).toBe(
      libraryChatCount('default', [
        { role: 'user', content: 'first' },
        { role: 'user', content: 'second' },
      ]),
    );
  });

  it("streams vLLM's event sequence with sequence numbers, deltas that join to the final text", async () => {
    const r = await post(sim.url, '/v1/responses', { input: 'Stream please', max_output_tokens: 8, stream: true });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = sseEvents(r.text);
    events.forEach((e, i) => {
      expect(e.data.type).toBe(e.event);
      expect(e.data.sequence_number).toBe(i);
    });
    const types = events.map((e) => e.event);
    const deltas = events.filter((e) => e.event === 'response.output_text.delta');
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(4, 4 + deltas.length).every((t) => t === 'response.output_text.delta')).toBe(true);
    expect(types.slice(4 + deltas.length)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[0].data.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const itemId = events[2].data.item.id;
    expect(events[2].data.item).toEqual({ id: itemId, content: [], role: 'assistant', status: 'in_progress', type: 'message' });
    // vLLM counts content_index up per event of the part (its own quirk): 0 for the part, then 1, 2, …
    expect(events[3].data.content_index).toBe(0);
    expect(deltas.map((d) => d.data.content_index)).toEqual(deltas.map((_, i) => i + 1));
    const text = deltas.map((d) => d.data.delta).join('');
    const done = events[events.length - 4].data;
    expect(done).toMatchObject({ item_id: itemId, text, logprobs: [] });
    const completed = events[events.length - 1].data.response;
    expect(completed.status).toBe('completed');
    expect(completed.output[0].content[0].text).toBe(text);
    expect(completed.usage.output_tokens).toBe(deltas.length);
  });

  it('store off: store=true is dropped silently, GET and cancel are 404, previous_response_id is 404, background is 400', async () => {
    const r = await post(sim.url, '/v1/responses', { input: 'x', max_output_tokens: 2, store: true });
    expect(r.status).toBe(200);
    const notFound = (id: string) => ({
      error: { message: `Response with id '${id}' not found.`, type: 'invalid_request_error', param: null, code: 404 },
    });
    const g = await get(sim.url, `/v1/responses/${r.json.id}`);
    expect(g.status).toBe(404);
    expect(g.json).toEqual(notFound(r.json.id));
    const c = await post(sim.url, `/v1/responses/${r.json.id}/cancel`, {});
    expect(c.status).toBe(404);
    const p = await post(sim.url, '/v1/responses', { input: 'y', previous_response_id: r.json.id });
    expect(p.status).toBe(404);
    expect(p.json).toEqual(notFound(r.json.id));
    const bg = await post(sim.url, '/v1/responses', { input: 'z', background: true });
    expect(bg.status).toBe(400);
    expect(bg.json.error.type).toBe('invalid_request_error');
    expect(bg.json.error.message).toContain('VLLM_ENABLE_RESPONSES_API_STORE=1');
  });

  it("an id that does not begin with resp_ is vLLM's 400 before any lookup (_make_invalid_id_error): retrieve, cancel, previous_response_id", async () => {
    const invalid = { error: { message: "Invalid 'response_id': 'abc'. Expected an ID that begins with 'resp'.", type: 'invalid_request_error', param: null, code: 400 } };
    for (const r of [
      await get(sim.url, '/v1/responses/abc'),
      await post(sim.url, '/v1/responses/abc/cancel', {}),
      await post(sim.url, '/v1/responses', { input: 'y', previous_response_id: 'abc' }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.json).toEqual(invalid);
    }
  });

  it("include: values outside ResponsesRequest's literals are pydantic's 400 (protocol.py)", async () => {
    const r = await post(sim.url, '/v1/responses', { input: 'y', include: ['reasoning.encrypted_content', 'web_search_call.results'] });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("('body', 'include', 1)");
  });

  it("errors as vLLM 0.11 gives them: function tools without Harmony, background without store, json_object, bad sampling", async () => {
    const tools = await post(sim.url, '/v1/responses', {
      input: 'weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
    });
    expect(tools.status).toBe(400);
    expect(tools.json.error).toEqual({
      message: 'Tool use is not supported in Responses API without Harmony None',
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
    const bgNoStore = await post(sim.url, '/v1/responses', { input: 'x', background: true, store: false });
    expect(bgNoStore.status).toBe(400);
    expect(bgNoStore.json.error.message).toContain('background can only be used when `store` is true');
    const jsonObject = await post(sim.url, '/v1/responses', { input: 'x', text: { format: { type: 'json_object' } } });
    expect(jsonObject.status).toBe(500);
    expect(jsonObject.json.error.message).toBe('json_object is not supported');
    const temp = await post(sim.url, '/v1/responses', { input: 'x', temperature: -1 });
    expect(temp.status).toBe(400);
    expect(temp.json.error.message).toBe('temperature must be non-negative, got -1.0.');
    const missing = await post(sim.url, '/v1/responses', {});
    expect(missing.status).toBe(400);
    expect(missing.json.error.type).toBe('Bad Request');
    const unknownModel = await post(sim.url, '/v1/responses', { model: 'nope', input: 'x' });
    expect(unknownModel.status).toBe(404);
  });

  it('text.format json_schema: the output text is JSON valid against the schema (StructuredOutputsParams(json=schema))', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'integer' } }, required: ['city', 'temp'], additionalProperties: false };
    const r = await post(sim.url, '/v1/responses', { input: 'x', text: { format: { type: 'json_schema', name: 'w', schema, strict: true } } });
    expect(r.status).toBe(200);
    const value = JSON.parse(r.json.output[0].content[0].text);
    expect(Object.keys(value).sort()).toEqual(['city', 'temp']);
    expect(typeof value.city).toBe('string');
    expect(Number.isInteger(value.temp)).toBe(true);
    expect(r.json.text).toEqual({ format: { type: 'json_schema', name: 'w', schema, strict: true } });
  });

  it('a prompt longer than max_model_len: the engine prompt length error', async () => {
    const r = await post(sim.url, '/v1/responses', { input: 'word '.repeat(5000) });
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(r.json.error.message).toMatch(/^The engine prompt length \d+ exceeds the max_model_len 4096\. Please reduce prompt\.$/);
  });

  it('the openai SDK: create works; a raw stream works; the stream helper trips on vLLM 0.11\'s content_index, as it does against vLLM', async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const resp = await client.responses.create({ model: SERVED, input: 'Hello', max_output_tokens: 10 });
    expect(resp.object).toBe('response');
    expect(resp.output_text.length).toBeGreaterThan(0);

    const raw = await client.responses.create({ model: SERVED, input: 'Hello', max_output_tokens: 10, stream: true });
    let streamed = '';
    let completed = '';
    for await (const e of raw) {
      if (e.type === 'response.output_text.delta') streamed += e.delta;
      if (e.type === 'response.completed') completed = e.response.output_text ?? e.response.output.map((o: any) => o.content?.[0]?.text ?? '').join('');
    }
    expect(streamed.length).toBeGreaterThan(0);
    expect(completed).toBe(streamed);

    // vLLM 0.11 numbers the first delta content_index 1 although the message has one part (index 0);
    // openai's ResponseStream accumulator looks the part up by that index and throws.
    const helper = client.responses.stream({ model: SERVED, input: 'Hello', max_output_tokens: 10 });
    await expect(helper.finalResponse()).rejects.toThrow('missing content at index 1');
  });
});

describe('POST /v1/responses with the store on (VLLM_ENABLE_RESPONSES_API_STORE=1)', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator(
      { models: [testModel({}, { itlBaseMs: 20 })], enableResponsesStore: true },
      { port: 0, host: '127.0.0.1' },
    );
  });
  afterAll(() => sim.close());

  it('keeps responses: GET returns it, previous_response_id continues the conversation', async () => {
    const first = await post(sim.url, '/v1/responses', { input: 'My name is Ada.', max_output_tokens: 4 });
    const g = await get(sim.url, `/v1/responses/${first.json.id}`);
    expect(g.status).toBe(200);
    expect(g.json).toEqual(first.json);
    const second = await post(sim.url, '/v1/responses', { input: 'What is my name?', previous_response_id: first.json.id, max_output_tokens: 4 });
    expect(second.status).toBe(200);
    expect(second.json.previous_response_id).toBe(first.json.id);
    expect(second.json.usage.input_tokens).toBe(
      libraryChatCount('default', [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: first.json.output[0].content[0].text },
        { role: 'user', content: 'What is my name?' },
      ]),
    );
    // A finished synchronous response cannot be cancelled.
    const c = await post(sim.url, `/v1/responses/${first.json.id}/cancel`, {});
    expect(c.status).toBe(400);
    expect(c.json.error).toEqual({ message: 'Cannot cancel a synchronous response.', type: 'invalid_request_error', param: null, code: 400 });
  });

  it('background: answers queued at once, completes later, and can be cancelled while running', async () => {
    const bg = await post(sim.url, '/v1/responses', { input: 'long one', background: true, max_output_tokens: 200 });
    expect(bg.status).toBe(200);
    expect(bg.json).toMatchObject({ status: 'queued', output: [], usage: null, background: true });
    const cancelled = await post(sim.url, `/v1/responses/${bg.json.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await get(sim.url, `/v1/responses/${bg.json.id}`)).json.status).toBe('cancelled');

    const quick = await post(sim.url, '/v1/responses', { input: 'short', background: true, max_output_tokens: 2 });
    for (let i = 0; i < 200; i++) {
      const s = await get(sim.url, `/v1/responses/${quick.json.id}`);
      if (s.json.status === 'completed') {
        expect(s.json.usage.output_tokens).toBeGreaterThan(0);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('background response never completed');
  });
});

describe("endpoints a generative vLLM answers with an error", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ models: [testModel()], instant: true }, { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => sim.close());

  it.each([
    ['/v1/embeddings', 'Embeddings'],
    ['/pooling', 'Pooling'],
    ['/classify', 'Classification'],
    ['/score', 'Score'],
    ['/v1/score', 'Score'],
    ['/rerank', 'Rerank (Score)'],
    ['/v1/rerank', 'Rerank (Score)'],
    ['/v2/rerank', 'Rerank (Score)'],
  ])('%s: 400 "The model does not support %s API"', async (path, api) => {
    const r = await post(sim.url, path, { model: SERVED, input: 'x' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { message: `The model does not support ${api} API`, type: 'BadRequestError', param: null, code: 400 } });
    const wrongType = await post(sim.url, path, 'x', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
  });
});
