import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { Env } from '../../../src/config/config.ts';
import { type RawResponse, rawRequest } from './http.ts';

/** A compose file as the recipes write it. */
export interface Compose {
  services: Record<string, { environment?: Record<string, string | number>; command?: string[] }>;
}

/** The ```yaml blocks of one `## <tool>` section of docs/recipes.md: its compose file and its dockscope file. */
export async function recipe(tool: string): Promise<{ compose: Compose; config: string | undefined }> {
  const text = await readFile(resolve('docs/recipes.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith(`${tool}\n`));
  if (!section) throw new Error(`docs/recipes.md has no section "## ${tool}"`);
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const compose = blocks.find((b) => /^services:/.test(b));
  if (!compose) throw new Error(`docs/recipes.md ${tool}: no compose block`);
  return { compose: parse(compose) as Compose, config: blocks.find((b) => /^(upstream|listeners):/.test(b)) };
}

/** The recipe's dockscope environment, its socket proxy replaced by the test's one. */
export function recipeEnv(compose: Compose, socketProxyUrl: string): Env {
  const env = compose.services.dockscope?.environment ?? {};
  const strings = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  if (!strings.PROXY_URL?.startsWith('http://socket-proxy:'))
    throw new Error('recipe without its socket proxy');
  return { ...strings, PROXY_URL: socketProxyUrl };
}

/**
 * The recipe's file, on the test daemon's socket and a free loopback port; with `uncomment`, the lines
 * the recipe says to un-comment on such a host (`# create: …`). Nothing else changed.
 */
export function recipeFile(config: string, dockerSocket: string, uncomment?: RegExp): string {
  const lines = uncomment ? config.replace(new RegExp(`# (${uncomment.source})`), '$1') : config;
  if (uncomment && lines === config) throw new Error(`recipe file has no commented ${uncomment.source}`);
  const out = lines
    .replace('upstream: unix:///var/run/docker.sock', `upstream: unix://${dockerSocket}`)
    .replace('address: "0.0.0.0:2375"', 'address: "127.0.0.1:0"');
  if (!out.includes(dockerSocket) || !out.includes('127.0.0.1:0'))
    throw new Error('recipe file not as expected');
  return out;
}

/** A query string as Go's url.Values.Encode writes it: keys sorted, QueryEscape'd. */
export function goQuery(values: Record<string, string>): string {
  const keys = Object.keys(values).sort();
  return keys.map((k) => `${goEscape(k)}=${goEscape(values[k] ?? '')}`).join('&');
}
const goEscape = (s: string) =>
  encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What moby's client sends with `/events` (client/system_events.go): three Accept lines, as Go writes them. */
export const EVENTS_ACCEPT = {
  accept: ['application/jsonl', 'application/x-ndjson;q=0.9', 'application/json-seq;q=0.5'],
};

/** How one tool speaks: its User-Agent, and its prefix once negotiated (or fixed). */
export class ToolClient {
  prefix = '';
  readonly url: string;
  readonly userAgent: string;
  constructor(url: string, userAgent: string) {
    this.url = url;
    this.userAgent = userAgent;
  }

  /** What Go's clients do first: HEAD /_ping, then the lower of their maximum and the daemon's version. */
  async negotiate(clientMax: string): Promise<RawResponse> {
    const ping = await this.send('HEAD', '/_ping');
    const server = String(ping.headers['api-version'] ?? '');
    const lower = Number(server.split('.')[1]) < Number(clientMax.split('.')[1]) ? server : clientMax;
    this.prefix = `/v${lower}`;
    return ping;
  }

  send(
    method: string,
    path: string,
    body?: unknown,
    headers: http.OutgoingHttpHeaders = {},
  ): Promise<RawResponse> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return rawRequest(
      { url: this.url },
      method,
      `${path.startsWith('/_ping') ? '' : this.prefix}${path}`,
      text,
      {
        'user-agent': this.userAgent,
        ...headers,
      },
    );
  }

  /** A streaming GET (events, logs -f, stats): what has arrived so far, and a wait for more. */
  stream(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Stream> {
    return new Promise((done, fail) => {
      const u = new URL(this.url);
      const req = http.get(
        {
          host: u.hostname,
          port: Number(u.port),
          path: `${this.prefix}${path}`,
          headers: { 'user-agent': this.userAgent, ...headers },
          agent: false,
        },
        (res) => {
          const s: Stream = {
            status: res.statusCode ?? 0,
            text: '',
            until: (what, test, ms = 15_000) =>
              new Promise((ok, no) => {
                const check = () => {
                  if (test(s.text)) {
                    clearInterval(timer);
                    clearTimeout(timeout);
                    ok();
                  }
                };
                const timer = setInterval(check, 50);
                const timeout = setTimeout(() => {
                  clearInterval(timer);
                  no(new Error(`timed out waiting for ${what}; got: ${s.text.slice(0, 2000)}`));
                }, ms);
                check();
              }),
            close: () => req.destroy(),
          };
          res.on('data', (c: Buffer) => {
            s.text += c.toString('latin1');
          });
          res.on('error', () => {});
          done(s);
        },
      );
      req.on('error', (e) => (e.message === 'socket hang up' ? undefined : fail(e)));
    });
  }
}

export interface Stream {
  readonly status: number;
  text: string;
  until(what: string, test: (text: string) => boolean, ms?: number): Promise<void>;
  close(): void;
}

/**
 * What the daemon itself answers for a container that does not exist, at the same route: a hidden
 * container must answer that, byte for byte, with its own name in place of the made-up one.
 */
export async function missingAnswer(
  dockerSocket: string,
  method: string,
  path: string,
  name: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const made = `nosuch${'0'.repeat(Math.max(0, name.length - 6))}`.slice(0, Math.max(name.length, 6));
  const res = await rawRequest(
    { socketPath: dockerSocket },
    method,
    path.replace(name, made),
    body === undefined ? undefined : JSON.stringify(body),
  );
  return { status: res.status, body: res.body.replaceAll(made, name) };
}

/** A container list entry, as much of it as the recipes read. */
export type Listed = { Id: string; Names: string[] }[];

/** The names in a list answer that carry this test's prefix, sorted (other files share the daemon). */
export const ours = (list: unknown, p: string): string[] =>
  (list as Listed)
    .map((c) => c.Names[0]?.slice(1) ?? '')
    .filter((n) => n.startsWith(p))
    .sort();

/** A container inspect, as much of it as the recipes read and send back. */
export interface Inspect {
  Id: string;
  Name: string;
  Image: string;
  Config: Record<string, unknown> & { Image: string; Labels: Record<string, string> };
  HostConfig: Record<string, unknown> & { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, Record<string, unknown> & { Aliases: string[] | null }> };
  State: { Running: boolean };
}
