import type { DaemonAnswer } from './upstream/dialect.ts';
import { DIALECTS } from './upstream/dialect.ts';

/**
 * Why a request did not end as a normal answer, for the access log: the upstream did not answer in
 * time, cut its answer short, or answered what is not the API's; the client went away; a body or a
 * count was over a cap.
 */
export type FailureReason =
  | 'upstream-timeout'
  | 'upstream-truncated'
  | 'upstream-malformed'
  | 'upstream-unreachable'
  | 'client-gone'
  | 'too-large'
  | 'body-timeout'
  | 'over-capacity';

/**
 * The one error catalogue. Every client-visible error is Docker-shaped (`{"message": "..."}`) and uses
 * the status the daemon itself would use; messages never contain more of the client's input than the
 * daemon's own message would.
 */
/** How a refused or failed request is labelled in the access log. */
export type Decision = 'hidden' | 'refused' | 'invalid' | 'upstream-error' | 'internal-error';

export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  readonly status: number;
  /** How the request is labelled in the access log. */
  readonly decision: Decision;
  /**
   * What the upstream itself would answer: sent in its dialect's words, status and body, with the
   * headers and framing of its answer about a container that cannot exist (server/respond-missing.ts).
   */
  daemonAnswer?: DaemonAnswer;
  /** Why the request failed, when it is one of the failures the access log names. */
  reason?: FailureReason;
  /** The rule that refused it, for the audit log (an allow/deny entry, a create rule, visibility). */
  rule?: string;
  constructor(status: number, message: string, decision: Decision = 'refused', options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.decision = decision;
  }
}

/**
 * The rule an audit line names for a refusal: the one that made it, else visibility for an answer as
 * missing, else policy. Never the list entry that let the request through.
 */
export function refusalRule(error: DockerApiError): string {
  return error.rule ?? (error.decision === 'hidden' ? 'visibility' : 'policy');
}

export const errors = {
  /**
   * An answer in the upstream's own words (upstream/dialect.ts); the status and message here are
   * Docker's, for the log and `explain`: the server renders it in the upstream's dialect.
   */
  asDaemon: (answer: DaemonAnswer) => {
    const { status, message } = DIALECTS.docker.render(answer);
    const error = new DockerApiError(status, message, answer.kind === 'ambiguous' ? 'invalid' : 'hidden');
    error.daemonAnswer = answer;
    return error;
  },
  /** The upstream's words cannot be given (its kind is unknown, or not the configured one). */
  dialect: (why: string) =>
    withReason(new DockerApiError(502, `dockscope: ${why}`, 'upstream-error'), 'upstream-malformed'),
  unauthorized: () =>
    new DockerApiError(
      401,
      'dockscope: this client needs a valid token (send "Authorization: Bearer <token>", e.g. through HttpHeaders in the Docker CLI\'s config.json)',
      'refused',
    ),
  noClient: () =>
    new DockerApiError(403, 'dockscope: this connection matches no configured client', 'refused'),
  routeRefused: (client: string, method: string, path: string, rule: string) =>
    withRule(
      new DockerApiError(
        403,
        `dockscope: ${method} ${path} is not allowed for client "${client}" (${rule})`,
        'refused',
      ),
      rule,
    ),
  badRequest: (why: string) => new DockerApiError(400, `dockscope: ${why}`, 'invalid'),
  refused: (why: string) => new DockerApiError(403, `dockscope: ${why}`, 'refused'),
  unknownRoute: (method: string, path: string) =>
    new DockerApiError(
      403,
      // Podman's own API (`/libpod/...`, beside its Docker-compatible one) is not scoped: named as such.
      /^\/libpod(\/|$)/.test(path)
        ? `dockscope: ${method} ${path} is Podman's own API (libpod), which dockscope does not scope, so it is refused; use the Docker Engine API routes`
        : `dockscope: ${method} ${path} is not an Engine API route dockscope knows, so it is refused`,
      'refused',
    ),
  payloadTooLarge: (limit: number) =>
    withReason(
      new DockerApiError(413, `dockscope: request body is larger than ${limit} bytes`, 'invalid'),
      'too-large',
    ),
  upstream: (display: string, cause: unknown): DockerApiError => {
    if (cause instanceof Error && cause.name === 'UpstreamTimeoutError') {
      const ms = (cause as { ms?: number }).ms ?? 0;
      return withReason(
        new DockerApiError(
          504,
          `dockscope: upstream ${display} did not answer within ${ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`}`,
          'upstream-error',
          { cause },
        ),
        'upstream-timeout',
      );
    }
    const code = describe(cause);
    return withReason(
      new DockerApiError(502, `dockscope: upstream ${display} failed: ${code}`, 'upstream-error', { cause }),
      code === 'ECONNRESET' || code === 'socket hang up' ? 'upstream-truncated' : 'upstream-unreachable',
    );
  },
  /** A judged request body that did not arrive in time (it holds memory while it is awaited). */
  bodyTimeout: (seconds: number) =>
    withReason(
      new DockerApiError(408, `dockscope: the request body did not arrive within ${seconds}s`, 'invalid'),
      'body-timeout',
    ),
  /** Every client together is over a budget of dockscope's (not this client's doing). */
  busy: (what: string) =>
    withReason(new DockerApiError(503, `dockscope: ${what}`, 'refused'), 'over-capacity'),
  overCapacity: (what: string) =>
    withReason(new DockerApiError(429, `dockscope: ${what}`, 'refused'), 'over-capacity'),
  /** The upstream broke off an answer dockscope reads before it could be relayed. */
  upstreamTruncated: (display: string, status: number) =>
    errors.upstreamStatus(display, status, 'sending an incomplete body', 'upstream-truncated'),
  upstreamStatus: (
    display: string,
    status: number,
    what: string,
    reason: FailureReason = 'upstream-malformed',
  ) =>
    withReason(
      new DockerApiError(
        502,
        `dockscope: upstream ${display} answered ${status} while ${what}`,
        'upstream-error',
      ),
      reason,
    ),
} as const;

export function withRule(error: DockerApiError, rule: string): DockerApiError {
  error.rule = rule;
  return error;
}

function withReason(error: DockerApiError, reason: FailureReason): DockerApiError {
  error.reason = reason;
  return error;
}

/** Errno codes and our own messages only: never an echo of upstream bodies. */
function describe(cause: unknown): string {
  if (cause && typeof cause === 'object') {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (cause as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return 'unknown error';
}

export function errorBody(message: string): string {
  return JSON.stringify({ message });
}

/**
 * Every failure the client is told about. Upstream failures are wrapped where they happen (they name
 * the upstream); anything else is a fault of dockscope's own: a 500 that echoes nothing of it, since
 * its text may hold what the client must not see. The caller logs the error itself.
 */
export function asApiError(error: unknown): DockerApiError {
  if (error instanceof DockerApiError) return error;
  return new DockerApiError(500, 'dockscope: internal error', 'internal-error', { cause: error });
}
