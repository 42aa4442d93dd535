// The ceiling for issue #13: the least a Node HTTP proxy can do. One keep-alive agent to the upstream,
// both bodies piped, nothing read or judged. Run as its own process, with the flags of `npm start` and
// dockscope's two variables: `LISTEN=127.0.0.1:PORT PROXY_URL=http://host:port node bench/bare-proxy.ts`.
import * as http from 'node:http';

const [host, portText] = (process.env.LISTEN ?? '').split(':');
const upstream = new URL(process.env.PROXY_URL ?? '');
// BARE_MAX_SOCKETS: more upstream connections at once, for the benchmark's 1000 open event streams.
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(process.env.BARE_MAX_SOCKETS ?? 128) });

const server = http.createServer((req, res) => {
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), host);
process.on('SIGTERM', () => process.exit(0));
