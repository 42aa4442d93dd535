/**
 * A classified Docker Engine API request: the one typed value the policy decides on.
 * Every route dockscope forwards is one of these; anything else is refused before it reaches the upstream.
 */
export type Route =
  /** No container is involved: forwarded as is. `family` names the API section for logs. */
  | { readonly kind: 'plain'; readonly family: string }
  | { readonly kind: 'containerList' }
  | { readonly kind: 'containerCreate' }
  /** A route that names one container in its path. `rest` is what follows the reference (`json`, `logs`, ...). */
  | { readonly kind: 'container'; readonly ref: string; readonly rest: readonly string[] }
  /** `DELETE /containers/{parent}/{alias}?link=1`: removal of a legacy link (`docker rm --link`). */
  | { readonly kind: 'containerLink'; readonly parent: string; readonly alias: string }
  | { readonly kind: 'exec'; readonly id: string; readonly action: 'start' | 'resize' | 'json' }
  | { readonly kind: 'events' }
  /** `/info`: its container counts are replaced by the counts of visible containers. */
  | { readonly kind: 'info' }
  | { readonly kind: 'networkList' }
  | { readonly kind: 'networkInspect'; readonly id: string }
  | { readonly kind: 'networkConnect'; readonly id: string; readonly action: 'connect' | 'disconnect' }
  | { readonly kind: 'systemDf' }
  | { readonly kind: 'commit' }
  /** Image inspect and history may carry the container an image was committed from. */
  | { readonly kind: 'imageInspect'; readonly name: string }
  | { readonly kind: 'imageHistory'; readonly name: string }
  /** `GET /images/json`; with an owner, another owner's images are left out (issue #23). */
  | { readonly kind: 'imageList' }
  /** `POST /images/{name}/tag` and `DELETE /images/{name}`: with an owner, its own images only. */
  | { readonly kind: 'imageTag'; readonly name: string }
  | { readonly kind: 'imageDelete'; readonly name: string }
  /** `POST /images/load`: the tarball brings its own labels and names (refused to an owner). */
  | { readonly kind: 'imageLoad' }
  /** `docker save` and `docker push` carry an image's config out of the daemon: names checked first. */
  | { readonly kind: 'imageExport'; readonly name: string | null }
  | { readonly kind: 'imagePush'; readonly name: string }
  | { readonly kind: 'build' }
  /** `POST /build/cancel?id=`: only a build this client started may be cancelled. */
  | { readonly kind: 'buildCancel' }
  /** `POST /session`: a BuildKit session (h2c upgrade) that the client's builds name by its id. */
  | { readonly kind: 'buildSession' }
  /** `POST /images/create`: a pull, or an import (`fromSrc` may be a URL the daemon fetches). */
  | { readonly kind: 'imageCreate' }
  /** `POST /volumes/create`: a local volume may bind a host path or mount a device. */
  | { readonly kind: 'volumeCreate' }
  /** `POST /networks/create`. */
  | { readonly kind: 'networkCreate' }
  /** `DELETE /networks/{id}`: scoped by owner when the client has one. */
  | { readonly kind: 'networkDelete'; readonly id: string }
  /** `GET /volumes`. */
  | { readonly kind: 'volumeList' }
  /** `GET` or `DELETE /volumes/{name}`: scoped by owner when the client has one. */
  | { readonly kind: 'volume'; readonly name: string }
  /** `POST /containers/prune`, `/volumes/prune`, `/networks/prune`, `/images/prune`, `/build/prune`. */
  | { readonly kind: 'prune'; readonly of: 'containers' | 'volumes' | 'networks' | 'images' | 'build' }
  /**
   * Routes through which a client gets the daemon's own host privileges: swarm services and joining a
   * swarm (containers dockscope never sees), installing or configuring plugins. `family` as in plain.
   */
  | { readonly kind: 'hostAccess'; readonly rule: 'swarm' | 'plugins'; readonly family: string }
  /**
   * `GET /services`, `/secrets`, `/configs`: swarm objects, each visible by its `Spec.Name` and
   * `Spec.Labels` under the client's container rules (issue #24).
   */
  | { readonly kind: 'swarmList'; readonly of: SwarmKind }
  /** A route that names one swarm object: its inspect, a service's logs, an update or a removal. */
  | {
      readonly kind: 'swarmObject';
      readonly of: SwarmKind;
      readonly ref: string;
      readonly action: 'inspect' | 'logs' | 'update' | 'delete';
    }
  /** `POST /services/create`: its tasks are containers, judged under the create rules. */
  | { readonly kind: 'serviceCreate' }
  /** `POST /secrets/create`, `/configs/create`: an owner's carries its owner label. */
  | { readonly kind: 'swarmObjectCreate'; readonly of: 'secrets' | 'configs' }
  /** `GET /tasks`: only the tasks of visible services. */
  | { readonly kind: 'taskList' }
  /** `GET /tasks/{id}` and its logs: a task is visible when its service is. */
  | { readonly kind: 'task'; readonly ref: string; readonly action: 'inspect' | 'logs' }
  /** Understood, and refused on purpose (it would act on or reveal hidden containers). */
  | { readonly kind: 'refused'; readonly reason: string };

/** The swarm objects scoped by name and labels (nodes are not: they are the hosts, not a team's). */
export type SwarmKind = 'services' | 'secrets' | 'configs';
