import type { Logger } from 'pino';
import type { Decision, FailureReason } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Session } from './sessions.ts';

/**
 * The completion record: one per request, written when it ends (for a hijack: when its tunnel opens
 * or it is refused). It feeds the access log, the metrics and the audit log, so the three always agree.
 * It holds no secret: no header, body, token or environment value.
 */
export interface Completion {
  readonly reqId: number;
  readonly listener: string;
  /** The client it was identified as; absent when it matched none (401, 403). */
  readonly client?: string;
  readonly method: string;
  /** The path as sent, without its query. */
  readonly path: string;
  /** The route kind (access log) and template (metrics, audit); absent when it matched no route. */
  readonly route?: string;
  readonly template: string;
  readonly decision: string;
  readonly reason?: FailureReason;
  /** The rule that decided: an allow/deny entry, a create rule, visibility. */
  readonly rule?: string;
  /** The status the client got; 0 when no head went out. */
  readonly status: number;
  readonly complete: boolean;
  readonly dropped?: number;
  readonly ms: number;
  readonly upgrade?: boolean;
  /** The client is in learn mode: everything it does goes to the audit log. */
  readonly learning?: boolean;
}

/** Where completion records and stream counts go. */
export interface Observer {
  complete(record: Completion): void;
  /**
   * A long-lived stream or hijack opened; the function is called when it closes. The session lets a
   * reload end it (server/sessions.ts).
   */
  streamOpened(client: string, kind: 'stream' | 'hijack', session?: Session): () => void;
}

/** Decisions that already say the request was not served as asked (every Decision of an error). */
const NOT_SERVED: ReadonlySet<string> = new Set<Decision>([
  'refused',
  'hidden',
  'invalid',
  'upstream-error',
  'internal-error',
]);

/**
 * The decision a record shows, for plain and upgraded requests alike: a learning client's request that
 * its lists would refuse, and that was served, is a would-deny.
 */
export function recordedDecision(decision: string, wouldDeny: boolean | undefined): string {
  return wouldDeny && !NOT_SERVED.has(decision) ? 'would-deny' : decision;
}

/** The rule a record shows: a container answered as missing was decided by visibility. */
export function recordedRule(decision: string, rule: string | undefined): string | undefined {
  return decision === 'hidden' ? 'visibility' : rule || undefined;
}

const WRITES = new Set(['POST', 'PUT', 'DELETE']);
const REFUSALS = new Set(['refused', 'hidden', 'invalid', 'would-deny']);

/** Whether a record goes to the audit log: every refusal, every write, and all of a learning client. */
export function isAudited(record: Completion): boolean {
  return record.learning === true || WRITES.has(record.method) || REFUSALS.has(record.decision);
}

/** The observer of a running dockscope: the access log, the metrics, and the audit log if any. */
export function createObserver(log: Logger, metrics: Metrics, audit: Logger | null): Observer {
  return {
    complete: (r) => {
      if (log.isLevelEnabled('info')) {
        log.info(
          {
            reqId: r.reqId,
            listener: r.listener,
            method: r.method,
            path: r.path,
            ...(r.client === undefined ? {} : { client: r.client }),
            route: r.route,
            decision: r.decision,
            ...(r.reason ? { reason: r.reason } : {}),
            status: r.status,
            complete: r.complete,
            ...(r.dropped ? { dropped: r.dropped } : {}),
            ...(r.upgrade ? { upgrade: true } : {}),
            ms: r.ms,
          },
          'request',
        );
      }
      const client = r.client ?? '(none)';
      metrics.record(client, r.template, r.decision, r.status, r.ms / 1000);
      if (r.reason?.startsWith('upstream-')) metrics.upstreamErrors.inc({ reason: r.reason });
      if (r.dropped) metrics.eventsDropped.inc({ client }, r.dropped);
      if (audit && isAudited(r)) {
        // The sink never throws and never blocks: what it cannot write it drops and counts.
        audit.info({
          reqId: r.reqId,
          client,
          listener: r.listener,
          method: r.method,
          route: r.template,
          decision: r.decision,
          rule: r.rule ?? null,
          status: r.status,
          ms: r.ms,
          ...(r.learning ? { learning: true } : {}),
        });
      }
    },
    streamOpened: (client, kind) => metrics.streamOpened(client, kind),
  };
}
