import { isObject } from '../policy/container-facts.ts';
import type { SwarmIdentity } from '../upstream/swarm-lookups.ts';
import { swarmIdentity } from '../upstream/swarm-lookups.ts';
import { HIDDEN_REF } from './references.ts';

/**
 * Answers about swarm objects (issue #24), pure: lists keep the objects the client may see, a
 * service's and a task's container environment is blanked under SCRUB_ENVS (it is where a service's
 * secrets are usually passed), and a task names its container only when that container is visible.
 */

/** Blanks `Env` of a container spec, where there is one. */
function scrubContainerSpec(spec: unknown): void {
  if (isObject(spec) && isObject(spec.ContainerSpec) && Array.isArray(spec.ContainerSpec.Env)) {
    spec.ContainerSpec.Env = [];
  }
}

/** A service's environment, in its spec and in the spec it had before its last update. */
export function scrubServiceEnv(service: unknown): void {
  if (!isObject(service)) return;
  for (const key of ['Spec', 'PreviousSpec'] as const) {
    const spec = service[key];
    if (isObject(spec)) scrubContainerSpec(spec.TaskTemplate);
  }
}

/**
 * The services, secrets or configs of a list the client may see; an entry that is not one is left
 * out (fail closed). With `scrubEnvs`, services lose their environment.
 */
export function filterSwarmList(
  list: unknown,
  visible: (identity: SwarmIdentity) => boolean,
  scrubEnvs: boolean,
): unknown {
  if (!Array.isArray(list)) return list;
  return list.filter((entry) => {
    const identity = swarmIdentity(entry);
    if (identity === null || !visible(identity)) return false;
    if (scrubEnvs) scrubServiceEnv(entry);
    return true;
  });
}

/**
 * One task as the client sees it: its container's id only if that container is visible (`<hidden>`
 * otherwise, as everywhere an answer would name a hidden container), its environment blanked with
 * `scrubEnvs`.
 */
export function filterTask(
  task: unknown,
  isVisibleContainer: (id: string) => boolean,
  scrubEnvs: boolean,
): unknown {
  if (!isObject(task)) return task;
  if (scrubEnvs) scrubContainerSpec(task.Spec);
  const status = isObject(task.Status) ? task.Status : null;
  const container = status && isObject(status.ContainerStatus) ? status.ContainerStatus : null;
  if (
    container &&
    typeof container.ContainerID === 'string' &&
    container.ContainerID !== '' &&
    !isVisibleContainer(container.ContainerID)
  ) {
    container.ContainerID = HIDDEN_REF;
  }
  return task;
}

/** The tasks of visible services (by `ServiceID`); `services` null keeps every task. */
export function filterTaskList(
  list: unknown,
  services: ReadonlySet<string> | null,
  isVisibleContainer: (id: string) => boolean,
  scrubEnvs: boolean,
): unknown {
  if (!Array.isArray(list)) return list;
  return list
    .filter(
      (task) =>
        isObject(task) &&
        (services === null || (typeof task.ServiceID === 'string' && services.has(task.ServiceID))),
    )
    .map((task) => filterTask(task, isVisibleContainer, scrubEnvs));
}

/** Whether any task of an answer names a container (a list of the local ones is then worth asking for). */
export function namesContainers(tasks: readonly unknown[]): boolean {
  return tasks.some(
    (task) =>
      isObject(task) &&
      isObject(task.Status) &&
      isObject(task.Status.ContainerStatus) &&
      typeof task.Status.ContainerStatus.ContainerID === 'string' &&
      task.Status.ContainerStatus.ContainerID !== '',
  );
}
