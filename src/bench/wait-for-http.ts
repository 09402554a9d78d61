import waitOn from 'wait-on';

/** How long one wait-on call polls before `alive()` is asked again (wait-on cannot be cancelled). */
const SLICE_MS = 1_000;

/**
 * Waits until `url` answers 200 (wait-on polls it); fails after the timeout, or within a second
 * once `alive()` is false (the process that should answer has exited: no point waiting longer).
 */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const resource = url.replace(/^http(s?):\/\//, 'http$1-get://');
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (!alive()) throw new Error(`the process behind ${url} exited`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})`);
    try {
      await waitOn({ resources: [resource], timeout: Math.min(SLICE_MS, left), interval: 100, httpTimeout: 2_000, window: 0, validateStatus: (status) => status === 200 });
      return;
    } catch (error) {
      last = (error as Error).message;
    }
  }
}
