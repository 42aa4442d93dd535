/**
 * `npm run bench:faults`: how dockscope holds up under faults and load, measured on the process as it
 * is deployed (`node <npm start flags> dist/main.js`) in front of a raw fake upstream on loopback (the
 * point is dockscope's own memory and descriptors, not the daemon's speed). Bounded in time: about two
 * minutes. Writes its section of docs/benchmarks.md (between the `faults` markers).
 *
 * - RSS during a soak: 8 clients looping `/_ping` and inspect for SOAK_SECONDS, sampled every second.
 * - Open file descriptors before and after 1,000 `logs -f` streams opened and abandoned.
 * - Peak RSS while one connection pipelines 10,000 requests.
 * - `/_ping` latency while 300 quiet `/events` streams are open.
 * - Peak RSS while 64 connections each send a 4 MiB create body of 1.4 million empty arrays (from one
 *   client address, then from eight): the body budget and the value cap of issue #27.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpAnswer, startRawUpstream } from '../test/harness/raw-upstream.ts';
import { startDockscopeProcess, startFlags } from './dockscope-process.ts';

const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const ID = 'b'.repeat(64);
const INSPECT = JSON.stringify({
  Id: ID,
  Name: '/bench-vis-1',
  Config: { Labels: {}, Env: [] },
  HostConfig: {},
});

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}
const fds = async (pid: number) => (await readdir(`/proc/${pid}/fd`)).length;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** Samples a value every `ms` while `work` runs; returns the samples and the work's result. */
async function sampling<T>(ms: number, sample: () => Promise<number>, work: () => Promise<T>) {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await sample());
      await sleep(ms);
    }
  })();
  const result = await work();
  running = false;
  await loop;
  samples.push(await sample());
  return { samples, result };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: keepAlive }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });

function openStream(url: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, () => resolve(req));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ds-faults-'));
  const upstream = await startRawUpstream((req) => {
    const path = req.target.replace(/^\/v[\d.]+/, '');
    if (path === '/_ping') return httpAnswer(200, 'OK', { 'Content-Type': 'text/plain' });
    if (path.startsWith('/containers/bench-vis-1/json') || path.startsWith(`/containers/${ID}/json`)) {
      return httpAnswer(200, INSPECT);
    }
    if (path.startsWith('/events') || path.includes('/logs')) {
      return {
        hold: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      };
    }
    return httpAnswer(404, '{"message":"page not found"}\n');
  });
  const ds = await startDockscopeProcess({
    proxyUrl: upstream.url,
    dir,
    name: 'faults',
    nodeArgs: await startFlags(),
    env: { MAX_STREAMS_PER_CLIENT: '2000', MAX_CONNECTIONS: '4096' },
  });
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  try {
    // 1. Soak.
    const deadline = Date.now() + SOAK_SECONDS * 1000;
    let requests = 0;
    const soak = await sampling(
      1000,
      () => rssKiB(ds.pid),
      () =>
        Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            while (Date.now() < deadline) {
              await get(`${ds.url}${i % 2 ? '/_ping' : '/containers/bench-vis-1/json'}`);
              requests++;
            }
          }),
        ),
    );
    const third = Math.max(1, Math.floor(soak.samples.length / 3));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    say(
      `- Soak: ${requests} requests in ${SOAK_SECONDS} s by 8 clients; RSS ${mib(soak.samples[0] ?? 0)} at start, ` +
        `peak ${mib(Math.max(...soak.samples))}, mean of the first third ${mib(avg(soak.samples.slice(0, third)))}, ` +
        `of the last third ${mib(avg(soak.samples.slice(-third)))}.`,
    );

    // 2. Abandoned streams.
    const before = await fds(ds.pid);
    const streams: http.ClientRequest[] = [];
    for (let i = 0; i < 1000; i++)
      streams.push(await openStream(`${ds.url}/containers/bench-vis-1/logs?follow=1&stdout=1`));
    const during = await fds(ds.pid);
    for (const s of streams) s.destroy();
    await sleep(2000);
    say(
      `- 1,000 \`logs -f\` streams opened, then abandoned: open descriptors ${before} before, ${during} with them open, ${await fds(ds.pid)} 2 s after.`,
    );

    // 3. Pipelining.
    const rss0 = await rssKiB(ds.pid);
    const pipelined = await sampling(
      50,
      () => rssKiB(ds.pid),
      () =>
        new Promise<number>((resolve, reject) => {
          const socket = net.connect(Number(new URL(ds.url).port), '127.0.0.1');
          let answers = 0;
          socket.on('data', (d: Buffer) => {
            answers += d.toString('latin1').split('HTTP/1.1 200').length - 1;
            if (answers >= 10_000) {
              socket.destroy();
              resolve(answers);
            }
          });
          socket.on('error', reject);
          socket.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(10_000));
        }),
    );
    say(
      `- 10,000 pipelined \`/_ping\` on one connection: all answered; RSS ${mib(rss0)} before, peak ${mib(Math.max(...pipelined.samples))}.`,
    );

    // 4. /_ping beside 300 quiet streams.
    const quiet: http.ClientRequest[] = [];
    for (let i = 0; i < 300; i++) quiet.push(await openStream(`${ds.url}/events`));
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await get(`${ds.url}/_ping`);
      times.push(performance.now() - t);
    }
    for (const s of quiet) s.destroy();
    times.sort((a, b) => a - b);
    const pct = (q: number) =>
      (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(2);
    say(
      `- \`/_ping\` while 300 quiet \`/events\` streams are open: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (200 sequential requests).`,
    );

    // 5. 64 connections of 4 MiB bodies (issue #27: below 200 MiB), each run in a fresh process so
    // that the peak is this case's own.
    for (const addresses of [1, 8]) {
      const fresh = await startDockscopeProcess({
        proxyUrl: upstream.url,
        dir,
        name: `bodies-${addresses}`,
        nodeArgs: await startFlags(),
        env: { MAX_CONNECTIONS: '4096' },
      });
      try {
        const base = await rssKiB(fresh.pid);
        const port = Number(new URL(fresh.url).port);
        const bodies = await sampling(
          50,
          () => rssKiB(fresh.pid),
          () =>
            Promise.all(
              Array.from({ length: 64 }, (_, i) => bigCreate(port, `127.0.0.${1 + (i % addresses)}`)),
            ),
        );
        const statuses = new Map<string, number>();
        for (const status of bodies.result) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        say(
          `- 64 connections from ${addresses === 1 ? 'one client address' : `${addresses} client addresses`}, each sending a 4 MiB create body of ` +
            `1.4 million empty arrays, in a fresh process: RSS ${mib(base)} before, peak ${mib(Math.max(...bodies.samples))}; answers ` +
            `${[...statuses].map(([k, v]) => `${v}× ${k}`).join(', ')}.`,
        );
      } finally {
        await fresh.stop();
      }
    }
  } finally {
    keepAlive.destroy();
    await ds.stop();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
  const section = [
    '<!-- faults:start -->',
    '## Faults and soak (`npm run bench:faults`)',
    '',
    `Run ${new Date().toISOString()}, Node ${process.version}, dockscope as \`npm start\` runs it, in front of a raw`,
    "fake upstream on loopback (the figures are dockscope's own memory and descriptors).",
    '',
    ...lines,
    '<!-- faults:end -->',
  ].join('\n');
  await writeFile(DOC, withFaultsSection(await readFile(DOC, 'utf8').catch(() => '# Benchmarks\n'), section));
  console.log(`wrote ${DOC.pathname}`);
}

const BIG_CREATE = (() => {
  const head = '{"Image":"x","HostConfig":{"CapDrop":[';
  const n = Math.floor((4 * 1024 * 1024 - head.length - 8) / 3);
  return `${head}${'[],'.repeat(n - 1)}[]]}}`;
})();

/** Sends one 4 MiB create body on its own connection, from `from`; resolves with the answer's status. */
function bigCreate(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      if (status) {
        socket.destroy();
        resolve(status);
      }
    });
    socket.on('error', () => resolve('reset'));
    socket.on('close', () => resolve('closed'));
    socket.write(
      `POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BIG_CREATE.length}\r\n\r\n`,
    );
    socket.write(BIG_CREATE);
  });
}

/** The document with its faults section replaced (or appended). */
export function withFaultsSection(doc: string, section: string): string {
  const start = doc.indexOf('<!-- faults:start -->');
  const end = doc.indexOf('<!-- faults:end -->');
  if (start !== -1 && end > start)
    return `${doc.slice(0, start)}${section}${doc.slice(end + '<!-- faults:end -->'.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
