import { describe, expect, it } from 'vitest';
import { firstUnmasked, withAddedMasks } from '../../../src/policy/system-paths.ts';

const MASKED_20_10 = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

describe('system paths: what a create may say about masked and read-only paths', () => {
  it.each<[string, 'MaskedPaths' | 'ReadonlyPaths', unknown, string | null]>([
    ["a 20.10 daemon's masked list", 'MaskedPaths', MASKED_20_10, null],
    [
      "a 28.5 daemon's, with its added paths",
      'MaskedPaths',
      [...MASKED_20_10, '/proc/interrupts', '/sys/devices/system/cpu/cpu0/thermal_throttle'],
      null,
    ],
    ['an empty list (systempaths=unconfined)', 'MaskedPaths', [], '/proc/asound'],
    ['a list without /sys/firmware', 'MaskedPaths', MASKED_20_10.slice(0, -1), '/sys/firmware'],
    ['a list that is not one', 'MaskedPaths', { '/proc/kcore': true }, '/proc/asound'],
    [
      'the read-only list',
      'ReadonlyPaths',
      ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      null,
    ],
    [
      'a read-only list that leaves /proc/sys writable',
      'ReadonlyPaths',
      ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'],
      '/proc/sys',
    ],
  ])('%s', (_label, key, value, first) => {
    expect(firstUnmasked(key, value as never)).toBe(first);
  });

  it('a kept list is sent with what newer daemons mask, once, after its own paths', () => {
    expect(withAddedMasks(MASKED_20_10)).toEqual([
      ...MASKED_20_10,
      '/proc/interrupts',
      '/sys/devices/virtual/powercap',
    ]);
    const newer = [...MASKED_20_10, '/sys/devices/virtual/powercap', '/proc/interrupts'];
    expect(withAddedMasks(newer)).toEqual(newer);
    expect(withAddedMasks(null)).toBe(null);
  });
});
