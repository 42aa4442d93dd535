import type { Logger } from 'pino';
import type { FailureReason } from '../errors.ts';
import type { Client } from '../policy/clients.ts';
import type { Forwarding } from '../policy/decide.ts';
import type { Timing } from '../routes/timing.ts';
import type { Judgement } from './judge.ts';

export type { FailureReason } from '../errors.ts';

/**
 * What one request carries from its judgement to the response, and into its completion record: the
 * judgement (server/judge.ts) as it came, and what the relay learnt (decision, reason, dropped).
 */
export interface RequestState {
  /** The request's child logger, made on first use: most requests only ever write the access line. */
  log: () => Logger;
  readonly started: number;
  /** The client the request was identified as. */
  client?: Client;
  judgement: Judgement;
  forwarding?: Forwarding;
  timing?: Timing;
  decision: string;
  reason?: FailureReason;
  /** For a filtered stream: how many elements (containers, events) the client did not get. */
  dropped?: () => number;
}
