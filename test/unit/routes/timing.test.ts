import { describe, expect, it } from 'vitest';
import { match } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { Lane } from '../../../src/routes/timing.ts';
import { SLOW_FACTOR, timingOf } from '../../../src/routes/timing.ts';

const BASE = 1000;
const timing = (method: string, raw: string) => {
  const target = parseTarget(raw);
  const matched = match(method, target);
  if (!matched) throw new Error(`no route ${raw}`);
  return timingOf(matched.lane, target, BASE);
};

describe('timingOf: the lane and the header wait of each request', () => {
  it.each<[string, string, Lane, number]>([
    ['GET', '/_ping', 'short', BASE],
    ['GET', '/v1.41/containers/json', 'short', BASE],
    ['GET', '/containers/x/json', 'short', BASE],
    ['GET', '/containers/x/logs?stdout=1', 'short', BASE],
    ['GET', '/containers/x/logs?follow=1', 'stream', BASE],
    ['GET', '/containers/x/logs?follow=false', 'short', BASE],
    ['GET', '/containers/x/stats', 'stream', BASE],
    ['GET', '/containers/x/stats?stream=0', 'short', BASE],
    ['GET', '/containers/x/stats?stream=true', 'stream', BASE],
    ['GET', '/events', 'stream', BASE],
    ['POST', '/containers/x/attach?stream=1', 'stream', BASE],
    ['POST', '/containers/x/wait', 'stream', BASE],
    ['POST', '/exec/e/start', 'stream', BASE],
    ['POST', '/exec/e/resize', 'short', BASE],
    ['POST', '/containers/x/stop', 'short', BASE + 10_000],
    ['POST', '/containers/x/stop?t=600', 'short', BASE + Math.min(600_000, BASE * SLOW_FACTOR)],
    ['POST', '/containers/x/restart?t=2', 'short', BASE + 2000],
    ['POST', '/containers/x/stop?t=-1', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/containers/x/kill', 'short', BASE],
    ['GET', '/containers/x/export', 'slow', BASE * SLOW_FACTOR],
    ['PUT', '/containers/x/archive?path=/', 'slow', BASE * SLOW_FACTOR],
    ['DELETE', '/containers/x?force=1', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/commit?container=x', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/images/create?fromImage=busybox', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/images/load', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/images/registry:5000/a/b/push', 'slow', BASE * SLOW_FACTOR],
    ['DELETE', '/images/busybox', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/build', 'slow', BASE * SLOW_FACTOR],
    ['GET', '/system/df', 'slow', BASE * SLOW_FACTOR],
    ['POST', '/volumes/prune', 'slow', BASE * SLOW_FACTOR],
    ['GET', '/images/json', 'short', BASE],
    ['GET', '/services/s/logs?follow=1', 'stream', BASE],
    ['GET', '/tasks/t/logs', 'short', BASE],
    ['POST', '/plugins/pull', 'slow', BASE * SLOW_FACTOR],
    // The lane is the row's: a name that ends like a slow route does not make a removal slow.
    ['DELETE', '/plugins/a/push', 'short', BASE],
    ['PUT', '/volumes/prune', 'short', BASE],
  ])('%s %s: %s, %i ms', (method, raw, lane, ms) => {
    expect(timing(method, raw)).toEqual({ lane, headerTimeoutMs: ms });
  });
});
