import { swarmScope } from './swarm-scope.ts';

/** Configs of a client with an owner (issue #24): labelled at create, its own only (swarm-scope.ts). */
export const configs = swarmScope('configs');
