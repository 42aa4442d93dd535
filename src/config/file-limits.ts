import { z } from 'zod';
import type { RegistryLists } from '../policy/registry-lists.ts';
import { compileRegistryPattern } from '../policy/registry-lists.ts';
import type { ResourceLimits } from '../policy/resource-limits.ts';
import { nanoCpusOf, parseMemorySize } from '../policy/resource-limits.ts';

/** The `limits:` and `registries:` keys of a client in the configuration file (see file.ts). */

type Where = (...keys: PropertyKey[]) => PropertyKey[];
type Fail = (path: readonly PropertyKey[], message: string) => never;

const limitValues = {
  memory: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  cpus: z.number().positive().optional(),
  pids: z.number().int().positive().optional(),
};
export const limitsSchema = z
  .object({ ...limitValues, defaults: z.object(limitValues).strict().optional() })
  .strict();

export const registriesSchema = z
  .object({ pull: z.array(z.string().min(1)).optional(), push: z.array(z.string().min(1)).optional() })
  .strict();

type LimitValues = {
  memory?: string | number | undefined;
  cpus?: number | undefined;
  pids?: number | undefined;
};

/** `limits:` of a client, compiled: memory sizes read as the Docker CLI reads them, defaults within the maxima. */
export function resourceLimits(
  spec: LimitValues & { defaults?: LimitValues | undefined },
  at: Where,
  fail: Fail,
): ResourceLimits {
  const values = (v: LimitValues, ...where: string[]) => {
    let memory: bigint | null = null;
    if (v.memory !== undefined) {
      memory = typeof v.memory === 'number' ? BigInt(v.memory) : parseMemorySize(v.memory);
      if (memory === null)
        fail(at(...where, 'memory'), `"${v.memory}" is not a memory size such as 512m or 2g`);
    }
    return {
      memory,
      nanoCpus: v.cpus === undefined ? null : nanoCpusOf(v.cpus),
      pids: v.pids === undefined ? null : BigInt(v.pids),
    };
  };
  const max = values(spec);
  const defaults = values(spec.defaults ?? {}, 'defaults');
  for (const key of ['memory', 'nanoCpus', 'pids'] as const) {
    const d = defaults[key];
    const m = max[key];
    if (d !== null && m !== null && d > m) {
      fail(at('defaults', key === 'nanoCpus' ? 'cpus' : key), 'is more than the maximum beside it');
    }
  }
  return { ...max, defaults };
}

/** `registries:` of a client, compiled; an entry that names no registry fails the start. */
export function registryLists(
  spec: { pull?: string[] | undefined; push?: string[] | undefined },
  at: Where,
  fail: Fail,
): RegistryLists {
  const list = (kind: 'pull' | 'push') =>
    spec[kind]?.map(
      (entry, j) =>
        compileRegistryPattern(entry) ??
        fail(at(kind, j), `"${entry}" is not a registry such as ghcr.io, registry.example:5000 or *.example`),
    ) ?? null;
  return { pull: list('pull'), push: list('push') };
}
