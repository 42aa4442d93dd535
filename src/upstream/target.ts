/** Where dockscope forwards to: a unix socket (the daemon) or an HTTP socket proxy. */
export type UpstreamTarget =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly display: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly display: string };

/** Parses PROXY_URL: `unix:///path/docker.sock`, `http://host:port` or `tcp://host:port`. */
export function parseUpstreamUrl(value: string): UpstreamTarget {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      throw new Error(`"${value}" needs an absolute socket path (unix:///...)`);
    return { kind: 'unix', socketPath, display: value };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'tcp:') {
    throw new Error(`scheme "${url.protocol}" is not supported (use http://, tcp:// or unix://)`);
  }
  if (value.includes('?') || value.includes('#'))
    throw new Error(`"${value}" must not have a query or fragment`);
  if (url.port === '0') throw new Error(`port 0 is not a port to connect to`);
  if (url.username || url.password) throw new Error('credentials in the URL are not supported');
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`"${value}" must not have a path`);
  if (url.search || url.hash) throw new Error(`"${value}" must not have a query or fragment`);
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 2375;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error(`"${value}" has no host`);
  return { kind: 'tcp', host, port, display: `http://${url.host}` };
}
