/**
 * The endpoints a vLLM 0.11 server registers for every model but answers only for pooling or speech
 * models. For a generative model its api_server.py finds no handler (app.state.openai_serving_embedding
 * and the others are None) and answers base(raw_request).create_error_response("The model does not
 * support … API"): 400, type BadRequestError. JSON endpoints first check the content type
 * (validate_json_request) and parse the body, as FastAPI does before the handler runs; the simulator does
 * not check each pooling request's fields.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError } from '../errors';
import { assertJsonContentType, readBody } from '../http-util';
import { parseJsonObject } from '../request-parser';
import type { SimContext } from '../sim-context';

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => Promise<void>;

function jsonEndpoint(api: string): Handler {
  return async (_ctx, req) => {
    assertJsonContentType(req);
    parseJsonObject(await readBody(req));
    throw new SimulatorError(400, `The model does not support ${api} API`, 'BadRequestError');
  };
}

/** Multipart (audio) endpoints: no JSON check. */
function formEndpoint(api: string): Handler {
  return async (_ctx, req) => {
    await readBody(req);
    throw new SimulatorError(400, `The model does not support ${api} API`, 'BadRequestError');
  };
}

/** Path -> POST handler, for a generative model. */
export const UNSUPPORTED_ENDPOINTS: Readonly<Record<string, Handler>> = {
  '/v1/embeddings': jsonEndpoint('Embeddings'),
  '/pooling': jsonEndpoint('Pooling'),
  '/classify': jsonEndpoint('Classification'),
  '/score': jsonEndpoint('Score'),
  '/v1/score': jsonEndpoint('Score'),
  '/rerank': jsonEndpoint('Rerank (Score)'),
  '/v1/rerank': jsonEndpoint('Rerank (Score)'),
  '/v2/rerank': jsonEndpoint('Rerank (Score)'),
  '/v1/audio/transcriptions': formEndpoint('Transcriptions'),
  '/v1/audio/translations': formEndpoint('Translations'),
};
