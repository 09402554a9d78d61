import { setFlagsFromString } from 'node:v8';

/**
 * Turns V8's allocation-site pretenuring off in a serving process, unless the node command line
 * already sets it (`--allocation-site-pretenuring` or `--no-allocation-site-pretenuring`).
 *
 * Why: V8 tenures an allocation site (allocates its objects straight in the old generation) once
 * most of its objects survive a young-generation collection. A proxy's per-request objects
 * (sockets' request and response objects, streams, promises, the engine call) all live exactly
 * as long as a request; in a burst of concurrent requests on a young process, whose young
 * generation is still small, they survive, V8 tenures their sites, and the decision stays for the
 * life of the process. From then on every request's objects go to the old generation and only
 * mark-compact frees them: under 32 concurrent connections the old generation grew ~8 MB
 * between scavenges and GC took ~11 µs per request; with pretenuring off, ~3.6 µs, the heap
 * steady (`--trace-gc`, BENCHMARKS.md "Where the gateway's time goes"). Long-lived state
 * (configuration, metrics, pools) is promoted by the scavenger as usual.
 *
 * V8 reads the flag at each collection, so setting it at start-up, before any request, holds.
 *
 * @returns whether the flag was set here
 */
export function tuneHeapForServing(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--(no[-_])?allocation[-_]site[-_]pretenuring$/.test(arg))) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
