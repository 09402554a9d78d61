import { Injectable, Provider } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { ModelService } from '../services/ai-models/model-service';
import { PathRequest, RequestPath } from '../services/ai-models/request-path';
import { engineAnswerToApiError } from '../services/core/vllm-engine/engine-error-body';
import { CompletionForwarder } from './completion-forwarder';
import { InFlightRequests } from './in-flight-requests';
import { ModelDirectory } from './model-directory';

/**
 * A model service's streams on the HTTP requests' path: the forwarder, as a controller calls it
 * (context check, admission, metrics, the engine call aborted by the signal, the relay), with
 * its answer turned into the relayed events or an ApiError.
 */
@Injectable()
export class ForwardedStreams extends RequestPath {
  constructor(private readonly forwarder: CompletionForwarder) {
    super();
  }

  async stream(model: ModelService, request: PathRequest): Promise<AsyncGenerator<Buffer, void, undefined>> {
    const body = { ...request.body, model: model.servedName, stream: true };
    const answer = await this.forwarder.forward(request.endpoint, request.path, model, body, undefined, request.signal);
    if (answer.kind === 'stream') return answer.events;
    // vLLM refuses a bad stream request with its JSON error and a 4xx.
    if (answer.status !== 200) throw engineAnswerToApiError(answer.status, answer.body);
    throw new ApiError(502, `The engine for ${model.id} answered a stream request without a stream.`, 'upstream_error', 'not_a_stream');
  }
}

/**
 * The request path and what it needs, for a model's module (ModelModuleOptions.requestPath):
 * the forwarder its controllers and its service's streams share, the requests in flight the
 * server drains on stop, and the running models (for fallbacks).
 */
export function requestPathProviders(directory = new ModelDirectory()): Provider[] {
  return [CompletionForwarder, InFlightRequests, { provide: ModelDirectory, useValue: directory }, { provide: RequestPath, useClass: ForwardedStreams }];
}
