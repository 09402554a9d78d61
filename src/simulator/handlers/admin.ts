/**
 * GET/POST /admin/faults: read or change the server-wide fault settings; GET /admin/hanging: the
 * requests the hang fault holds open and those whose client left (neither is a vLLM endpoint).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError } from '../errors';
import { faultProblems } from '../faults';
import { readBody, sendJson } from '../http-util';
import type { SimContext } from '../sim-context';
import type { FaultSettings } from '../types';

export function handleGetFaults(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify(ctx.faults.get()));
}

export async function handleSetFaults(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = (await readBody(req)).toString('utf8');
  let input: unknown;
  try {
    input = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new SimulatorError(400, 'The body must be a JSON object of fault settings.');
  }
  const problems = faultProblems(input);
  if (problems.length > 0) throw new SimulatorError(400, problems.join('; '));
  ctx.faults.set(input as Partial<FaultSettings>);
  sendJson(res, 200, JSON.stringify(ctx.faults.get()));
}

/** The hang fault's requests are never scheduled, so vLLM's running/waiting gauges never show them. */
export function handleGetHanging(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify({ hanging: ctx.hanging.size, aborted: ctx.hangAborted }));
}
