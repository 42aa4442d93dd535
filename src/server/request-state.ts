import type { Logger } from 'pino';
import type { FailureReason } from '../errors.ts';
import type { Profile } from '../policy/clients.ts';
import type { Forward } from '../policy/decide.ts';
import type { Route } from '../routes/route.ts';
import type { Timing } from '../routes/timing.ts';

export type { FailureReason } from '../errors.ts';

/** What one request carries from the decision to the response, and into its access record. */
export interface RequestState {
  /** The request's child logger, made on first use: most requests only ever write the access line. */
  log: () => Logger;
  readonly started: number;
  /** The client the request was identified as. */
  profile?: Profile;
  route?: Route;
  forward?: Forward;
  timing?: Timing;
  decision: string;
  reason?: FailureReason;
  /** The route template (metrics, audit), once the route is known. */
  template?: string;
  /** The rule that decided (allow/deny entry, create rule, visibility), for the audit log. */
  rule?: string;
  /** A learning client's request that its lists would have refused. */
  wouldDeny?: boolean;
  /** For a filtered stream: how many elements (containers, events) the client did not get. */
  dropped?: () => number;
}
