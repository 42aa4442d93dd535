export interface HaproxyConfigOptions {
  port: number;
  socketPath: string;
  /** API sections answered 403, e.g. `['events', 'exec']`. */
  deny?: readonly string[];
  /**
   * Plain `mode http` with keep-alive, like Tecnativa's config: what a benchmark should measure
   * against. `docker exec` and `attach` do not work through it (haproxy/haproxy#2684, see below).
   */
  keepAlive?: boolean;
}

/** Matches `/exec/<id>/start` and `/containers/<id>/attach`: the requests dockerd hijacks. */
const HIJACK_PATH = "'^(/v[0-9.]+)?/(exec/[^/]+/start|containers/[^/]+/attach)$'";

function denyRegex(deny: readonly string[]): string {
  for (const section of deny) {
    // Sections land inside a regex in the config file; anything but a plain word would change it.
    if (!/^[a-z]+$/i.test(section)) throw new Error(`invalid API section ${JSON.stringify(section)}`);
  }
  return `'^(/v[0-9.]+)?/(${deny.join('|')})(/|$)'`;
}

/**
 * An HAProxy config in the spirit of Tecnativa/docker-socket-proxy: every route passes except the
 * denied API sections, which get 403.
 *
 * Why the frontend is `mode tcp` and not `mode http` like Tecnativa's: HAProxy 2.4 to 3.0 (Debian 12
 * ships 2.6) strips `Upgrade:` from requests that have a body (haproxy/haproxy#2684), and
 * `POST /exec/<id>/start` always has one, so dockerd answers 200 instead of 101 and `docker exec` fails
 * with "unable to upgrade to tcp, received 200". So the frontend looks at the first request of each
 * connection: a hijack request is tunnelled to dockerd as raw TCP (dockerd answers `101 UPGRADED` itself);
 * any other request is handled in HTTP mode, checked against the deny list, and answered with
 * `Connection: close`, so that every request, hijack or not, is the first one of its connection.
 *
 * Limits, acceptable for a test fixture but not for production: no keep-alive, and bytes sent after the
 * first request of a tunnelled connection are not inspected (e.g. a detached exec start followed by a
 * denied request on the same connection).
 */
export function haproxyConfig(opts: HaproxyConfigOptions): string {
  if (/[\s'"]/.test(opts.socketPath)) throw new Error(`unsupported socket path ${opts.socketPath}`);
  const deny = opts.deny ?? [];
  const denyAcl = deny.length > 0 ? [`  acl denied path,url_dec -m reg -i ${denyRegex(deny)}`] : [];
  if (opts.keepAlive) return keepAliveConfig(opts.port, opts.socketPath, denyAcl);
  return [
    'global',
    '  maxconn 4096',
    '  log stdout format raw local0 info',
    '',
    'defaults',
    '  log global',
    '  option dontlognull',
    '  timeout connect 10s',
    // Long enough for `docker logs -f`, `docker events` and attached sessions that stay idle.
    '  timeout client 3600s',
    '  timeout server 3600s',
    '  timeout tunnel 3600s',
    '',
    'frontend dockerfrontend',
    '  mode tcp',
    '  option tcplog',
    `  bind 127.0.0.1:${opts.port}`,
    '  tcp-request inspect-delay 10s',
    '  tcp-request content accept if HTTP',
    '  tcp-request content reject',
    `  acl hijack path,url_dec -m reg -i ${HIJACK_PATH}`,
    ...denyAcl,
    `  use_backend dockertunnel if hijack${denyAcl.length > 0 ? ' !denied' : ''}`,
    '  default_backend dockerbackend',
    '',
    'backend dockerbackend',
    '  mode http',
    // One request per connection. Only the first request of a connection can take the tunnel; a hijack
    // sent on a reused keep-alive connection (Node's default agent reuses them) is cut off by HAProxy
    // with termination state IR. `option httpclose` alone does not close the client side once a TCP
    // frontend was upgraded to HTTP; the explicit header makes HAProxy's H1 mux close it.
    '  option httpclose',
    '  http-response set-header Connection close',
    ...denyAcl,
    ...(denyAcl.length > 0 ? ['  http-request deny if denied'] : []),
    `  server dockerbackend ${opts.socketPath}`,
    '',
    'backend dockertunnel',
    '  mode tcp',
    `  server dockerbackend ${opts.socketPath}`,
    '',
  ].join('\n');
}

function keepAliveConfig(port: number, socketPath: string, denyAcl: readonly string[]): string {
  return [
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 10s',
    '  timeout client 3600s',
    '  timeout server 3600s',
    '  timeout http-keep-alive 60s',
    '',
    'frontend dockerfrontend',
    `  bind 127.0.0.1:${port}`,
    ...denyAcl,
    ...(denyAcl.length > 0 ? ['  http-request deny if denied'] : []),
    '  default_backend dockerbackend',
    '',
    'backend dockerbackend',
    `  server dockerbackend ${socketPath}`,
    '',
  ].join('\n');
}
