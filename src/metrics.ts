import type { Metric } from 'prom-client';
import { Counter, Gauge, Registry } from 'prom-client';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];

/** What one client did on one route template: durations by bucket, outcomes by decision and status. */
interface RouteCell {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  readonly outcomes: Map<string, Map<number, number>>;
}

/**
 * dockscope's Prometheus metrics, on a registry of its own (never prom-client's global one). Labels are
 * bounded: client names and route templates come from the configuration and the route table, never
 * from ids or names a client typed. Every metric is documented in docs/operations.md.
 */
export class Metrics {
  readonly registry = new Registry();

  /**
   * Requests and their durations are counted here, in nested maps that a request updates without
   * allocating, and handed to the registry only when it is scraped: prom-client hashes the labels of
   * every inc() and observe() call, which cost more per `/_ping` than the rest of the record (#13).
   */
  readonly #cells = new Map<string, Map<string, RouteCell>>();

  /** One answered request (the completion record's client, template, decision, status, seconds). */
  record(client: string, route: string, decision: string, status: number, seconds: number): void {
    let routes = this.#cells.get(client);
    if (!routes) {
      routes = new Map();
      this.#cells.set(client, routes);
    }
    let cell = routes.get(route);
    if (!cell) {
      cell = {
        buckets: new Float64Array(DURATION_BUCKETS.length + 1),
        sum: 0,
        count: 0,
        outcomes: new Map(),
      };
      routes.set(route, cell);
    }
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
    (cell.buckets as Float64Array)[i] = (cell.buckets[i] ?? 0) + 1;
    cell.sum += seconds;
    cell.count++;
    let statuses = cell.outcomes.get(decision);
    if (!statuses) {
      statuses = new Map();
      cell.outcomes.set(decision, statuses);
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }

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

  /** Log sinks whose dropped lines are reported, by log name. */
  readonly #sinks = new Map<
    string,
    { readonly dropped: { readonly full: number; readonly failed: number } }
  >();

  /** Reports the lines a log's sink dropped (`audit`, `log`) in dockscope_log_lines_dropped_total. */
  countDropsOf(log: string, sink: { readonly dropped: { readonly full: number; readonly failed: number } }) {
    this.#sinks.set(log, sink);
  }

  constructor(
    lookups: () => { lookups: number; hits: number },
    build: { readonly version: string; readonly node: string },
  ) {
    const self = this.registry;
    const cells = this.#cells;
    const sinks = this.#sinks;
    new Counter({
      name: 'dockscope_log_lines_dropped_total',
      help: 'Log lines dropped, by log (audit, log) and reason (buffer-full: the reader or disk did not keep up; write-failed: a full disk, a closed reader).',
      labelNames: ['log', 'reason'] as const,
      registers: [self],
      collect() {
        this.reset();
        for (const [log, sink] of sinks) {
          this.inc({ log, reason: 'buffer-full' }, sink.dropped.full);
          this.inc({ log, reason: 'write-failed' }, sink.dropped.failed);
        }
      },
    });
    new Counter({
      name: 'dockscope_requests_total',
      help: 'Requests answered, by client, route template, decision and status sent (0: no head went out).',
      labelNames: ['client', 'route', 'decision', 'status'] as const,
      registers: [self],
      collect() {
        this.reset();
        for (const [client, routes] of cells)
          for (const [route, cell] of routes)
            for (const [decision, statuses] of cell.outcomes)
              for (const [status, n] of statuses)
                this.inc({ client, route, decision, status: String(status) }, n);
      },
    });
    self.registerMetric(durationHistogram(cells) as unknown as Metric);
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

const DURATION = 'dockscope_request_duration_seconds';

/** The duration histogram in the registry's terms, read from the cells when scraped. */
function durationHistogram(cells: ReadonlyMap<string, ReadonlyMap<string, RouteCell>>) {
  const help =
    'Time from a request to the end of its answer (streams: until they close), by client and route template.';
  return {
    name: DURATION,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    get: async () => {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const [client, routes] of cells) {
        for (const [route, cell] of routes) {
          let cumulative = 0;
          for (let i = 0; i <= DURATION_BUCKETS.length; i++) {
            cumulative += cell.buckets[i] ?? 0;
            const le = i < DURATION_BUCKETS.length ? (DURATION_BUCKETS[i] as number) : '+Inf';
            values.push({
              labels: { le, client, route },
              value: cumulative,
              metricName: `${DURATION}_bucket`,
            });
          }
          values.push({ labels: { client, route }, value: cell.sum, metricName: `${DURATION}_sum` });
          values.push({ labels: { client, route }, value: cell.count, metricName: `${DURATION}_count` });
        }
      }
      return { name: DURATION, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}
