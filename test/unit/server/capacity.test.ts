import { describe, expect, it } from 'vitest';
import { BodyBudget } from '../../../src/server/capacity.ts';

describe('BodyBudget', () => {
  it('holds a client to its share and every client to the total, and gives bytes back', () => {
    const budget = new BodyBudget(10, 6);
    expect(budget.reserve('a', 6)).toBe('ok');
    expect(budget.reserve('a', 1)).toBe('client');
    expect(budget.reserve('b', 4)).toBe('ok');
    expect(budget.reserve('c', 1)).toBe('total');
    expect(budget.used).toBe(10);
    budget.release('a', 6);
    expect(budget.used).toBe(4);
    expect(budget.reserve('c', 6)).toBe('ok');
    expect(budget.reserve('b', 1)).toBe('total');
  });

  it('a refused reservation holds nothing, and a release of nothing changes nothing', () => {
    const budget = new BodyBudget(4, 4);
    expect(budget.reserve('a', 5)).toBe('client');
    expect(budget.used).toBe(0);
    budget.release('a', 0);
    expect(budget.reserve('a', 4)).toBe('ok');
    budget.release('a', 4);
    expect(budget.used).toBe(0);
    expect(budget.reserve('a', 4)).toBe('ok');
  });
});
