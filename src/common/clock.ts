/** Milliseconds on a monotonic clock (performance.now() unless a test gives another). */
export type Clock = () => number;

export const monotonicMs: Clock = () => performance.now();
