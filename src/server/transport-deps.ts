import type { Logger } from 'pino';
import type { CallerAddresses } from '../policy/caller-addresses.ts';
import type { Clients } from '../policy/clients.ts';
import type { Upstream } from '../upstream/client.ts';
import type { BuildSessions } from './build-sessions.ts';
import type { StreamSlots } from './capacity.ts';
import type { Observer } from './observe.ts';

/** What both transport adapters (app.ts for plain requests, upgrade.ts for upgrades) are made with. */
export interface TransportDeps {
  readonly upstream: Upstream;
  readonly clients: Clients;
  readonly log: Logger;
  readonly streams: StreamSlots;
  readonly observer: Observer;
  readonly buildSessions: BuildSessions;
  /** Which container a TCP caller is, for `container:` clients (absent: none is ever looked up). */
  readonly addresses?: CallerAddresses;
}
