import { backoffDelay, isRetryableStatus, RetryBudget, sleep } from './retry-policy';

describe('retry policy', () => {
  it('the budget allows a reserve, then about one retry per 1/ratio requests', () => {
    const budget = new RetryBudget(0.2, 2);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(false);
    let granted = 0;
    for (let i = 0; i < 100; i++) {
      budget.deposit();
      if (budget.withdraw()) granted++;
    }
    expect(granted).toBeGreaterThanOrEqual(19);
    expect(granted).toBeLessThanOrEqual(21);
  });

  it('backoff grows exponentially up to the cap, with full jitter', () => {
    const options = { baseDelayMs: 50, maxDelayMs: 300 };
    expect(backoffDelay(0, options, () => 0.999)).toBe(49);
    expect(backoffDelay(2, options, () => 0.999)).toBe(199);
    expect(backoffDelay(10, options, () => 0.999)).toBe(299);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });

  it('retries only statuses for which nothing was generated', () => {
    expect([429, 502, 503].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 404, 500, 504].some(isRetryableStatus)).toBe(false);
  });

  it('sleep ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });
});
