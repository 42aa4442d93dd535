import { describe, expect, it } from 'vitest';
import { isAudited, recordedDecision, recordedRule } from '../../../src/server/observe.ts';

describe('completion records: the decision and rule shown, for plain and upgraded requests', () => {
  it('shows a served request of a learning client that its lists would refuse as a would-deny', () => {
    expect(recordedDecision('allowed', true)).toBe('would-deny');
    expect(recordedDecision('filtered', true)).toBe('would-deny');
    expect(recordedDecision('allowed', false)).toBe('allowed');
    expect(recordedDecision('filtered', undefined)).toBe('filtered');
  });

  it('keeps the decision of a request that was not served as asked, learning or not', () => {
    for (const decision of ['refused', 'hidden', 'invalid', 'upstream-error', 'internal-error']) {
      expect(recordedDecision(decision, true)).toBe(decision);
    }
  });

  it('names visibility as the rule of an answer as missing, and no empty rule', () => {
    expect(recordedRule('hidden', 'allow: containers')).toBe('visibility');
    expect(recordedRule('allowed', 'allow: containers')).toBe('allow: containers');
    expect(recordedRule('allowed', '')).toBeUndefined();
    expect(recordedRule('allowed', undefined)).toBeUndefined();
  });

  it('audits a would-deny read as a refusal', () => {
    const record = {
      reqId: 1,
      listener: 'lan',
      method: 'GET',
      path: '/_ping',
      template: 'GET /_ping',
      decision: recordedDecision('allowed', true),
      status: 200,
      complete: true,
      ms: 1,
    };
    expect(isAudited(record)).toBe(true);
    expect(isAudited({ ...record, decision: recordedDecision('allowed', false) })).toBe(false);
  });
});
