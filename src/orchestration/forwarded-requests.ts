import { Injectable, Provider } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { ModelService } from '../services/ai-models/model-service';
import { PathRequest, RequestPath } from '../services/ai-models/request-path';
import { engineAnswerToApiError } from '../services/core/vllm-engine/engine-error-body';
import { Answer } from './answer';
import { CompletionForwarder } from './completion-forwarder';
import { InFlightRequests } from './in-flight-requests';
import { ModelDirectory } from './model-directory';

/**
 * A model service's seed API on the HTTP requests' path: the forwarder, as a controller calls it
 * (context check, admission, metrics, the engine call aborted by the signal, the relay), with
 * its answer turned into parsed JSON, the relayed events, or an ApiError.
 */
@Injectable()
export class ForwardedRequests extends RequestPath {
  constructor(private readonly forwarder: CompletionForwarder) {
    super();
  }

  async json(model: ModelService, request: PathRequest): Promise<unknown> {
    const answer = await this.forward(model, request, false);
    // The forwarder answers a request without `stream` with JSON only; this narrows the type.
    if (answer.kind !== 'json') throw notExpected(model, 'a stream to a request without one');
    if (answer.status !== 200) throw engineAnswerToApiError(answer.status, answer.body);
    return JSON.parse(answer.body.toString('utf8'));
  }

  async stream(model: ModelService, request: PathRequest): Promise<AsyncGenerator<Buffer, void, undefined>> {
    const answer = await this.forward(model, request, true);
    if (answer.kind === 'stream') return answer.events;
    // vLLM refuses a bad stream request with its JSON error and a 4xx.
    if (answer.status !== 200) throw engineAnswerToApiError(answer.status, answer.body);
    throw notExpected(model, 'a stream request without a stream');
  }

  private forward(model: ModelService, request: PathRequest, stream: boolean): Promise<Answer> {
    const body = { ...request.body, model: model.servedName, stream };
    return this.forwarder.forward(request.endpoint, request.path, model, body, undefined, request.signal);
  }
}

function notExpected(model: ModelService, what: string): ApiError {
  return new ApiError(502, `The engine for ${model.id} answered ${what}.`, 'upstream_error', 'unexpected_answer');
}

/**
 * The request path and what it needs, for a model's module (ModelModuleOptions.requestPath):
 * the forwarder its controllers and its service's streams share, the requests in flight the
 * server drains on stop, and the running models (for fallbacks).
 */
export function requestPathProviders(directory = new ModelDirectory()): Provider[] {
  return [CompletionForwarder, InFlightRequests, { provide: ModelDirectory, useValue: directory }, { provide: RequestPath, useClass: ForwardedRequests }];
}
