// The part of autocannon's programmatic API the benchmark uses (the package ships no types, and
// @types/autocannon would be a second devDependency for one call).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds a response may take before it counts as a timeout. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    /** Called with each connection's client before it connects. */
    setupClient?: (client: Client) => void;
  }

  /** One connection's client (lib/httpClient.js); `_doRequest` is internal but patchable per client. */
  export interface Client {
    on(event: 'headers', listener: (info: { shouldKeepAlive?: boolean; statusCode?: number }) => void): this;
    _doRequest(...args: unknown[]): unknown;
  }

  export interface Histogram {
    average: number;
    mean: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p99: number;
  }

  export interface Result {
    requests: Histogram;
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
