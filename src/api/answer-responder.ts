import type { FastifyReply } from 'fastify';
import { Answer } from '../orchestration/answer';
import { RequestSignal } from './request-signal';
import { respondWithEvents } from './sse-responder';

/**
 * Runs a request's work with the request's signal and writes the answer it returns: JSON as the
 * engine sent it, or a stream of events. Errors thrown before an answer exists go to the
 * exception filter (OpenAI's error shape).
 */
export async function respond(reply: FastifyReply, work: (signal: AbortSignal) => Promise<Answer>): Promise<void> {
  const request = new RequestSignal(reply.raw);
  try {
    const answer = await work(request.signal);
    if (answer.kind === 'json') {
      await reply.status(answer.status).headers(answer.headers).send(answer.body);
      return;
    }
    // From here the raw response is ours: Fastify must not write it.
    reply.hijack();
    await respondWithEvents(reply.raw, answer);
  } finally {
    request.dispose();
  }
}
