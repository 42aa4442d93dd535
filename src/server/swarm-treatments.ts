import { asLabels, isObject } from '../policy/container-facts.ts';
import { ownName } from '../policy/matcher.ts';
import { isSwarmShown, seesAllSwarm } from '../policy/owned/swarm-scope.ts';
import {
  filterSwarmList,
  filterTask,
  filterTaskList,
  namesContainers,
  scrubServiceEnv,
} from '../transforms/swarm.ts';
import { swarmIdentity, visibleServiceIds } from '../upstream/swarm-lookups.ts';
import type { RespondContext, Treatment } from './treatments.ts';
import { HIDDEN } from './treatments.ts';

const OK = (status: number) => status === 200;

/**
 * The local containers the client may see, by id, from one list request: what a task may name. A
 * failed list shows none (fail closed); a task on another node names a container this daemon does not
 * have, which is hidden too (it cannot be judged here).
 */
async function visibleContainers(
  ctx: RespondContext,
  tasks: readonly unknown[],
): Promise<(id: string) => boolean> {
  if (ctx.resolver.seesAll) return () => true;
  if (!namesContainers(tasks)) return () => false;
  const summaries = await ctx.resolver.daemon.containers().catch(() => []);
  const visible = new Set<string>();
  for (const summary of summaries) {
    if (!isObject(summary) || typeof summary.Id !== 'string') continue;
    const names = Array.isArray(summary.Names)
      ? summary.Names.filter((n): n is string => typeof n === 'string')
      : [];
    if (ctx.resolver.isVisible({ name: ownName(names), labels: asLabels(summary.Labels) }))
      visible.add(summary.Id);
  }
  return (id) => visible.has(id);
}

/** Treatments of swarm answers (issue #24); part of the total table in treatments.ts. */
export const SWARM_TREATMENTS = {
  filterSwarmList: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx) =>
      filterSwarmList(body, (o) => isSwarmShown(ctx.resolver, ctx.owner, o), ctx.scrubEnvs),
  },
  judgeSwarmInspect: {
    via: 'rewrite',
    applies: OK,
    // Judged on the answer itself: a label removed since the look-up hides the object as well.
    rewrite: async (body, ctx) => {
      const identity = swarmIdentity(body);
      if (!isSwarmShown(ctx.resolver, ctx.owner, identity)) return HIDDEN;
      if (ctx.scrubEnvs) scrubServiceEnv(body);
      return body;
    },
  },
  filterTaskList: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx) => {
      if (!Array.isArray(body)) return body;
      // A services list that cannot be read shows no task (fail closed).
      const services = seesAllSwarm(ctx)
        ? null
        : ((await visibleServiceIds(ctx.resolver.daemon, (o) =>
            isSwarmShown(ctx.resolver, ctx.owner, o),
          ).catch(() => null)) ?? new Set<string>());
      return filterTaskList(body, services, await visibleContainers(ctx, body), ctx.scrubEnvs);
    },
  },
  judgeTaskInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx) => filterTask(body, await visibleContainers(ctx, [body]), ctx.scrubEnvs),
  },
} as const satisfies Record<string, Treatment>;
