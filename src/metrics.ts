import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * dockscope's Prometheus metrics, on a registry of its own (never prom-client's global one). Labels are
 * bounded: client names and route templates come from the configuration and the route table, never
 * from ids or names a client typed. Every metric is documented in docs/operations.md.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'dockscope_requests_total',
    help: 'Requests answered, by client, route template, decision and status sent (0: no head went out).',
    labelNames: ['client', 'route', 'decision', 'status'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'dockscope_request_duration_seconds',
    help: 'Time from a request to the end of its answer (streams: until they close), by client and route template.',
    labelNames: ['client', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'dockscope_upstream_errors_total',
    help: 'Requests that failed because of the upstream, by reason (upstream-timeout, upstream-truncated, upstream-malformed, upstream-unreachable).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly streams = new Gauge({
    name: 'dockscope_streams_open',
    help: 'Long-lived streams open now, by client and kind (stream: events, logs -f, stats, wait; hijack: exec, attach).',
    labelNames: ['client', 'kind'] as const,
    registers: [this.registry],
  });

  readonly eventsDropped = new Counter({
    name: 'dockscope_filtered_entries_dropped_total',
    help: 'Entries of filtered streams the client did not get (events of containers it may not see), by client.',
    labelNames: ['client'] as const,
    registers: [this.registry],
  });

  readonly reloads = new Counter({
    name: 'dockscope_config_reloads_total',
    help: 'Configuration reloads, by result (ok, invalid, restart-needed).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(
    lookups: () => { lookups: number; hits: number },
    build: { readonly version: string; readonly node: string },
  ) {
    const self = this.registry;
    new Counter({
      name: 'dockscope_container_lookups_total',
      help: 'Container look-ups sent to the upstream (inspect by reference), for every client together.',
      registers: [self],
      collect() {
        this.reset();
        this.inc(lookups().lookups);
      },
    });
    new Counter({
      name: 'dockscope_container_cache_hits_total',
      help: 'Container decisions answered from the shared identity cache without a look-up.',
      registers: [self],
      collect() {
        this.reset();
        this.inc(lookups().hits);
      },
    });
    new Gauge({
      name: 'dockscope_build_info',
      help: 'Always 1; the labels say which dockscope and Node.js run.',
      labelNames: ['version', 'node'] as const,
      registers: [self],
    }).set(build, 1);
  }

  /** A stream slot taken: the gauge goes up now and down when the returned function is called. */
  streamOpened(client: string, kind: 'stream' | 'hijack'): () => void {
    this.streams.inc({ client, kind });
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.streams.dec({ client, kind });
    };
  }
}
