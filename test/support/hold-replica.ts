/**
 * Puts a model's next requests on its second replica, deterministically: the engine sends a
 * request to the available replica with the fewest requests in flight (the first one when they
 * tie), so a long Responses stream held open on the first replica makes the second the choice
 * until it is released. No race: the held stream stays in flight until `release()`.
 */
export async function holdFirstReplica(gatewayUrl: string, model: string): Promise<{ release: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${gatewayUrl}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: 'Hold this stream open', max_output_tokens: 20_000, stream: true }),
    signal: controller.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`the held stream was refused: ${res.status}`);
  // Its first bytes: the engine has it, and it counts as in flight until aborted.
  const reader = res.body.getReader();
  await reader.read();
  return {
    release: () => {
      controller.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}
