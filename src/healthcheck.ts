import * as http from 'node:http';
import { DEFAULT_LISTEN, parseListen } from './config/config.ts';

// Used by the Dockerfile's HEALTHCHECK: dockscope answers /_ping through its upstream.
const listen = parseListen(process.env.LISTEN?.trim() || DEFAULT_LISTEN);
const target =
  'socketPath' in listen
    ? { socketPath: listen.socketPath }
    : {
        host: listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host,
        port: listen.port,
      };
const req = http.request({ ...target, path: '/_ping', method: 'GET', timeout: 3000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
