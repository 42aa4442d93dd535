import type { DecodedObject } from '../body/go-decode.ts';
import { newObject, RawJson } from '../body/go-decode.ts';
import { DockerApiError, errors, withRule } from '../errors.ts';

/**
 * Resource limits of a client (issue #23): without them a client that may create containers may take
 * all of the host's memory, CPUs or process ids, and `docker update` a container to them. Each limit is
 * a maximum; a create that asks for none (the daemon's zero: unlimited) is given the default, so that
 * every container of the client is bounded, and the forwarded body carries it.
 */
export interface ResourceLimits {
  /** Bytes of memory (`HostConfig.Memory`), or null: not limited. */
  readonly memory: bigint | null;
  /** CPUs in billionths (`HostConfig.NanoCpus`, or `CpuQuota / CpuPeriod`), or null. */
  readonly nanoCpus: bigint | null;
  /** Processes (`HostConfig.PidsLimit`), or null. */
  readonly pids: bigint | null;
  /** What a create that gives none gets; each defaults to its maximum (a default may stand alone). */
  readonly defaults: {
    readonly memory: bigint | null;
    readonly nanoCpus: bigint | null;
    readonly pids: bigint | null;
  };
}

export function limitRefusal(field: string, what: string): DockerApiError {
  return withRule(
    new DockerApiError(403, `dockscope: resource limit refuses ${field}: ${what}`, 'refused'),
    'resource limits',
  );
}

/** An integer field as the daemon decodes it (Go int64); undefined when absent or null. */
function intField(host: DecodedObject, key: string): bigint | undefined {
  const value = host[key];
  if (value === undefined || value === null) return undefined;
  if (value instanceof RawJson && value.node.type === 'number' && /^-?\d+$/.test(value.node.raw)) {
    return BigInt(value.node.raw);
  }
  // Not a whole number: the daemon cannot decode it into an int64 either.
  throw errors.badRequest(`${key} must be a whole number`);
}

function setInt(host: DecodedObject, key: string, value: bigint): void {
  host[key] = new RawJson({ type: 'number', raw: value.toString() });
}

const NANO = 1_000_000_000n;

/** `1.5` CPUs as the daemon's NanoCpus. */
export function nanoCpusOf(cpus: number): bigint {
  return BigInt(Math.round(cpus * 1e9));
}

function cpus(nano: bigint): string {
  return `${Number(nano) / 1e9}`;
}

/**
 * The CPUs a host config gives, in billionths: NanoCpus, or a quota over a period (the daemon refuses
 * both at once); 0 is unlimited, as is a negative quota. `period` is the period given (0: none).
 */
function cpusAsked(host: DecodedObject): { asked: bigint; period: bigint; unlimitedQuota: boolean } {
  const nano = intField(host, 'NanoCpus') ?? 0n;
  const quota = intField(host, 'CpuQuota') ?? 0n;
  const period = intField(host, 'CpuPeriod') ?? 0n;
  if (nano !== 0n) return { asked: nano, period, unlimitedQuota: false };
  if (quota > 0n)
    return { asked: (quota * NANO) / (period > 0n ? period : 100_000n), period, unlimitedQuota: false };
  return { asked: 0n, period, unlimitedQuota: quota < 0n };
}

/** Gives a host config without a CPU limit the default, in the form that does not conflict with what it set. */
function setCpus(host: DecodedObject, nano: bigint, period: bigint): void {
  if (period > 0n) setInt(host, 'CpuQuota', (nano * period) / NANO);
  else setInt(host, 'NanoCpus', nano);
}

/**
 * Judges a create's host config against the limits, and gives what it leaves unlimited the defaults.
 * Returns the host config to forward (a new one when the body had none).
 */
export function applyCreateLimits(limits: ResourceLimits, host: DecodedObject | null): DecodedObject {
  const out = host ?? newObject();
  const at = 'HostConfig.';
  const { defaults } = limits;
  const memory = intField(out, 'Memory') ?? 0n;
  if (limits.memory !== null && memory > limits.memory) {
    throw limitRefusal(`${at}Memory`, `${memory} bytes is more than this client's ${limits.memory}`);
  }
  const memoryDefault = defaults.memory ?? limits.memory;
  if (memory <= 0n && memoryDefault !== null) setInt(out, 'Memory', memoryDefault);
  if (limits.memory !== null) {
    const swap = intField(out, 'MemorySwap') ?? 0n;
    // -1 is unlimited swap; the default (0) is twice the memory.
    if (swap < 0n) throw limitRefusal(`${at}MemorySwap`, `${swap} is unlimited swap`);
    if (swap > 2n * limits.memory) {
      throw limitRefusal(`${at}MemorySwap`, `${swap} bytes is more than twice this client's memory limit`);
    }
  }
  const cpu = cpusAsked(out);
  if (limits.nanoCpus !== null && cpu.asked > limits.nanoCpus) {
    throw limitRefusal(
      `${at}NanoCpus`,
      `${cpus(cpu.asked)} CPUs is more than this client's ${cpus(limits.nanoCpus)}`,
    );
  }
  const cpuDefault = defaults.nanoCpus ?? limits.nanoCpus;
  if (cpu.asked === 0n && cpuDefault !== null) setCpus(out, cpuDefault, cpu.period);
  const pids = intField(out, 'PidsLimit') ?? 0n;
  if (limits.pids !== null && pids > limits.pids) {
    throw limitRefusal(`${at}PidsLimit`, `${pids} processes is more than this client's ${limits.pids}`);
  }
  const pidsDefault = defaults.pids ?? limits.pids;
  if (pids <= 0n && pidsDefault !== null) setInt(out, 'PidsLimit', pidsDefault);
  return out;
}

/**
 * `docker update`: a field it sends replaces the container's (an absent one is left as it is), so a
 * value over the maximum, or one that means unlimited, is refused.
 */
export function checkUpdateLimits(limits: ResourceLimits, body: DecodedObject): void {
  if (limits.memory !== null) {
    const memory = intField(body, 'Memory');
    if (memory !== undefined && memory > limits.memory) {
      throw limitRefusal('Memory', `${memory} bytes is more than this client's ${limits.memory}`);
    }
    const swap = intField(body, 'MemorySwap');
    if (swap !== undefined && (swap < 0n || swap > 2n * limits.memory)) {
      throw limitRefusal('MemorySwap', `${swap} is more swap than this client may have`);
    }
  }
  if (limits.nanoCpus !== null) {
    const cpu = cpusAsked(body);
    if (cpu.unlimitedQuota) throw limitRefusal('CpuQuota', 'a negative quota removes the CPU limit');
    if (cpu.asked > limits.nanoCpus) {
      throw limitRefusal(
        'NanoCpus',
        `${cpus(cpu.asked)} CPUs is more than this client's ${cpus(limits.nanoCpus)}`,
      );
    }
  }
  if (limits.pids !== null) {
    const pids = intField(body, 'PidsLimit');
    if (pids !== undefined && (pids <= 0n || pids > limits.pids)) {
      throw limitRefusal(
        'PidsLimit',
        pids <= 0n
          ? `${pids} removes the limit`
          : `${pids} processes is more than this client's ${limits.pids}`,
      );
    }
  }
}

/** `512m`, `2g`, `1024` as the Docker CLI reads a memory size (units of 1024). */
export function parseMemorySize(text: string): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?\s*([bkmgtp]?)i?b?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[3] ?? '').toLowerCase();
  const power = unit === '' || unit === 'b' ? 0 : 'kmgtp'.indexOf(unit) + 1;
  const value = Number(`${m[1]}.${m[2] ?? '0'}`) * 1024 ** power;
  if (!Number.isFinite(value) || value < 1) return null;
  return BigInt(Math.floor(value));
}
