import { ApiError } from '../common/api-error';
import { isResponsesFinalEvent } from '../services/streaming/sse-event-splitter';
import { FORWARDED, checkForwardedBody, enginePath } from './forwarded-endpoints';

describe('forwarded endpoints', () => {
  it('fills path parameters encoded: an id never changes which engine path is asked (../, /, ?, #)', () => {
    expect(enginePath(FORWARDED.retrieveResponse, { id: 'resp_1' })).toBe('/v1/responses/resp_1');
    expect(enginePath(FORWARDED.cancelResponse, { id: '../../sleep' })).toBe('/v1/responses/..%2F..%2Fsleep/cancel');
    expect(enginePath(FORWARDED.retrieveResponse, { id: 'a?b#c' })).toBe('/v1/responses/a%3Fb%23c');
    expect(enginePath(FORWARDED.tokenize)).toBe('/tokenize');
  });

  it('checks only model, stream and the required input', () => {
    const problem = (body: Record<string, unknown>) => {
      try {
        checkForwardedBody(FORWARDED.embeddings, body);
        return undefined;
      } catch (error) {
        return (error as ApiError).param;
      }
    };
    expect(problem({ input: 'x' })).toBeUndefined();
    expect(problem({ messages: [] })).toBeUndefined();
    expect(problem({ input: 'x', model: 'm', stream: false, dimensions: -5, encoding_format: 'weird' })).toBeUndefined();
    expect(problem({})).toBe('input');
    expect(problem({ input: null })).toBe('input');
    expect(problem({ input: 'x', model: 1 })).toBe('model');
    expect(problem({ input: 'x', stream: 1 })).toBe('stream');
  });

  it('knows the events that end a Responses stream', () => {
    for (const type of ['response.completed', 'response.incomplete', 'response.failed']) expect(isResponsesFinalEvent(Buffer.from(`event: ${type}\ndata: {}\n\n`))).toBe(true);
    for (const text of ['event: response.created\ndata: {}\n\n', 'event: response.output_text.delta\ndata: {"delta":"event: response.completed\\n"}\n\n', 'data: [DONE]\n\n']) {
      expect(isResponsesFinalEvent(Buffer.from(text))).toBe(false);
    }
  });
});
