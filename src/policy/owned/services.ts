import { isDecodedObject } from '../../body/go-decode.ts';
import { withOwnerLabel } from '../ownership.ts';
import type { OwnedScope } from './scope.ts';
import { swarmScope } from './swarm-scope.ts';

const base = swarmScope('services');

/**
 * Services of a client with an owner (issue #24): the service carries the owner label in its
 * `Spec.Labels`, and so do the containers of its tasks (`TaskTemplate.ContainerSpec.Labels`): they are
 * containers made for the client, and no client may label them as another owner's.
 */
export const services: OwnedScope = {
  ...base,
  label(spec, owner) {
    base.label(spec, owner);
    const task = spec.TaskTemplate;
    const container = isDecodedObject(task) ? task.ContainerSpec : undefined;
    if (isDecodedObject(container)) {
      container.Labels = withOwnerLabel(container.Labels, owner, 'TaskTemplate.ContainerSpec.Labels');
    }
    return spec;
  },
};
