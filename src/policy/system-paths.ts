import type { Decoded } from '../body/go-decode.ts';

// What a create's HostConfig.MaskedPaths and ReadonlyPaths may say (issue #22, the Watchtower recipe).
// The daemon uses a given list instead of its own (daemon/oci_linux.go: a non-nil list replaces the
// default), so an empty one unmasks /proc and /sys (`--security-opt systempaths=unconfined`) and a short
// one unmasks the rest; /proc/sysrq-trigger made writable is a host reboot. Tools that recreate a
// container from its inspect (Watchtower, Portainer's duplicate) send the daemon's own list back.

/** Masked by every daemon from 20.10 to 28 (moby oci/defaults.go), in this order. */
const BASELINE_MASKED = [
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
] as const;

/** Read-only in every daemon from 20.10 to 28. */
const BASELINE_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

/**
 * Masked by newer daemons by default: /sys/devices/virtual/powercap from 25.0 (GHSA-jq35-85cj-fj4p, a
 * power side channel), /proc/interrupts from 28.5 (GHSA-6fw5-f8r9-fgfm). Added to every list sent, so
 * a list copied from an older daemon's inspect masks them too; runc skips a masked path that does not
 * exist. Not added: 28.5's per-CPU `thermal_throttle` paths, which depend on the daemon's host.
 */
const ADDED_MASKED = ['/proc/interrupts', '/sys/devices/virtual/powercap'] as const;

type SystemPathsKey = 'MaskedPaths' | 'ReadonlyPaths';

/**
 * The first default path a given list leaves out (null: it keeps every one); a list that is not a list
 * of strings keeps none, and `[]` is the first one.
 */
export function firstUnmasked(key: SystemPathsKey, value: Decoded | undefined): string | null {
  const given = new Set(Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []);
  const baseline = key === 'MaskedPaths' ? BASELINE_MASKED : BASELINE_READONLY;
  return baseline.find((p) => !given.has(p)) ?? null;
}

/** A kept MaskedPaths list as it is forwarded: with the paths newer daemons mask by default added. */
export function withAddedMasks(value: Decoded | undefined): Decoded | undefined {
  if (!Array.isArray(value)) return value;
  return [...value, ...ADDED_MASKED.filter((p) => !value.includes(p))];
}
