import type { Config, Env, ListenAddress, ListenerConfig } from './config/config.ts';
import { compileClients } from './policy/clients.ts';
import { ContainerDirectory } from './policy/directory.ts';
import { readTokenSecret } from './policy/token-secret.ts';
import { parseTarget } from './routes/target.ts';
import { createLogger } from './server/logger.ts';
import { Upstream } from './upstream/client.ts';

/** Where the healthcheck asks, and how: the admin listener's readiness, or `/_ping` as some client. */
interface Probe {
  readonly what: string;
  readonly address: { readonly host: string; readonly port: number } | { readonly socketPath: string };
  readonly path: '/ready' | '/_ping';
  readonly tls: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/** A wildcard address is reached on loopback; a named one on itself (then the peer is that address). */
function reach(address: ListenAddress): Probe['address'] {
  if ('socketPath' in address) return address;
  const wildcard = address.host === '0.0.0.0' || address.host === '::' || address.host === '';
  return { host: wildcard ? '127.0.0.1' : address.host, port: address.port };
}

const display = (a: Probe['address']) =>
  'socketPath' in a ? `unix://${a.socketPath}` : `${a.host}:${a.port}`;

/**
 * The probe for a configuration (issue #22): the admin listener's `/ready` when there is one (it needs
 * no identity, and says whether the upstream answers); else the first API listener on which a request
 * from the probe, with no credentials or with a token client's token, is identified by the server's own
 * rules as a client allowed `GET /_ping`. A listener that wants a client certificate is skipped: the
 * probe has none. Null: nothing the probe can reach would answer it.
 */
export async function chooseProbe(config: Config, env: Env): Promise<Probe | null> {
  if (config.admin) {
    const address = reach(config.admin);
    return { what: `admin ${display(address)}`, address, path: '/ready', tls: false, headers: {} };
  }
  const directory = new ContainerDirectory(
    new Upstream(config.upstream),
    config.cacheTtlMs,
    createLogger('silent'),
  );
  const clients = await compileClients(config.clients, directory, env);
  const credentials: { client?: string; headers: Record<string, string> }[] = [{ headers: {} }];
  for (const [i, c] of config.clients.entries()) {
    const token = c.match.token;
    if (!token) continue;
    // Read as the server reads it, so a failure names its errno (ENOENT is not EACCES, issue #22).
    const secret = await readTokenSecret(token, env, `clients[${i}] (${c.name})`);
    credentials.push({ client: c.name, headers: { authorization: `Bearer ${secret}` } });
  }
  const ping = parseTarget('/_ping');
  for (const listener of config.listeners) {
    if (listener.tls?.clientCa) continue;
    const address = reach(listener.address);
    for (const { client, headers } of credentials) {
      const caller = {
        listener: listener.name,
        address: 'socketPath' in address ? undefined : address.host,
        headers,
      };
      let identified: Awaited<ReturnType<typeof clients.identify>>;
      try {
        identified = await clients.identify(caller);
      } catch {
        continue;
      }
      if (!identified.learning && identified.routes.check('GET', '/_ping', ping) !== null) continue;
      return {
        what: `listener ${listener.name} ${display(address)} as client ${identified.name}${client ? ' (its token)' : ''}`,
        address,
        path: '/_ping',
        tls: isTls(listener),
        headers,
      };
    }
  }
  return null;
}

const isTls = (l: ListenerConfig) => l.tls !== undefined;
