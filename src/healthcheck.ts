import { readFileSync, readlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { isAbsolute, join } from 'node:path';
import dotenv from 'dotenv';
import { parseArgs } from './cli-args.ts';
import { configPath, readConfiguration } from './config/read.ts';
import { chooseProbe } from './health-target.ts';

// The image's HEALTHCHECK (`node dist/healthcheck.js`): asks the dockscope this container runs, with
// the configuration it runs with, whether it serves: the server's own listeners and clients, not
// LISTEN alone, so that a file-configured server is probed where it listens (issue #22).

/**
 * The `--config` of the server this container runs. HEALTHCHECK gets the image's environment but not
 * the arguments given to its entrypoint (`docker run dockscope --config /c.yml`): they are read from the
 * server's command line, PID 1's or, under an init (`docker run --init`), its first child's.
 */
function serverConfigFlag(): string | undefined {
  const argsOf = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      return [];
    }
  };
  const children = () => {
    try {
      return readFileSync('/proc/1/task/1/children', 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  };
  for (const pid of ['1', ...children().slice(0, 1)]) {
    const args = argsOf(pid);
    const entry = args.findIndex((a) => /(?:^|\/)(?:dist\/main\.js|dist\/bin\.js|dockscope)$/.test(a));
    if (entry === -1) continue;
    try {
      const invocation = parseArgs(args.slice(entry + 1));
      const flag = 'config' in invocation ? invocation.config : undefined;
      if (flag === undefined || isAbsolute(flag)) return flag;
      return join(readlinkSync(`/proc/${pid}/cwd`), flag);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  const own = parseArgs(process.argv.slice(2));
  const flag = ('config' in own ? own.config : undefined) ?? serverConfigFlag();
  const config = readConfiguration(configPath(flag, process.env), process.env);
  const probe = await chooseProbe(config, process.env);
  if (!probe) {
    process.stderr.write(
      'dockscope healthcheck: no listener answers /_ping to a request from here (every client wants a certificate, another address or a route list without /_ping): set an admin listener, such as admin: { address: "127.0.0.1:9100" }\n',
    );
    return 1;
  }
  const status = await new Promise<number>((done) => {
    const options = {
      ...probe.address,
      path: probe.path,
      method: 'GET',
      headers: probe.headers,
      timeout: 3000,
    };
    // Our own listener on loopback: its certificate names the public address, not this one.
    const req = probe.tls
      ? https.request({ ...options, rejectUnauthorized: false }, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        })
      : http.request(options, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(0));
    req.end();
  });
  const line = `dockscope healthcheck: ${probe.what} ${probe.path}: ${status === 0 ? 'no answer' : status}\n`;
  if (status === 200) {
    process.stdout.write(line);
    return 0;
  }
  process.stderr.write(line);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dockscope healthcheck: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
