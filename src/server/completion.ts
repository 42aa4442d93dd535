import type { FailureReason } from '../errors.ts';
import { refusalRule } from './errors.ts';
import type { Judgement } from './judge.ts';
import type { Completion } from './observe.ts';
import { recordedDecision, recordedRule } from './observe.ts';
import { unknownTemplate } from './prepare.ts';

/** What identifies a request in its record, known before it is judged. */
interface RequestIds {
  readonly reqId: number;
  readonly listener: string;
  readonly method: string;
  /** The path as sent, without its query. */
  readonly path: string;
}

/** How a request ended, as its transport saw it. */
interface Outcome {
  readonly decision: string;
  readonly reason?: FailureReason | undefined;
  /** The status the client got; 0 when no head went out. */
  readonly status: number;
  readonly complete: boolean;
  readonly dropped?: number | undefined;
  readonly upgrade?: boolean;
  /** Since the request arrived. */
  readonly ms: number;
}

/**
 * The one completion record of a request, plain or upgraded: what its judgement found (client, route,
 * template, the rule that decided, learn mode) and how it ended. Absent fields are left undefined, not
 * spread in: one object per request.
 */
export function completion(ids: RequestIds, j: Judgement, outcome: Outcome): Completion {
  const { client, classified, lists, refusal } = j;
  const reason = outcome.reason ?? refusal?.error.reason;
  return {
    reqId: ids.reqId,
    listener: ids.listener,
    client: client?.name,
    method: ids.method,
    path: ids.path,
    route: classified?.route.kind,
    template: classified?.template ?? unknownTemplate(ids.method),
    decision: recordedDecision(outcome.decision, lists ? !lists.allowed : undefined),
    reason: reason || undefined,
    rule: recordedRule(outcome.decision, refusal ? refusalRule(refusal.error) : lists?.by),
    status: outcome.status,
    complete: outcome.complete,
    dropped: outcome.dropped || undefined,
    ms: Math.round(outcome.ms * 10) / 10,
    upgrade: outcome.upgrade || undefined,
    learning: client?.learning ? true : undefined,
  };
}
