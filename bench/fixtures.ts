import * as http from 'node:http';

/** A container the benchmark created, by its full id. */
export interface BenchContainer {
  readonly index: number;
  readonly name: string;
  readonly id: string;
  readonly visible: boolean;
  readonly running: boolean;
}

/** Every 10th container is visible (`CONTAINER_NAMES=bench-vis`); the rest are hidden. */
export const VISIBLE_EVERY = 10;
export const NAME_RULE = 'bench-vis';
/** Indexes started (with `--network none`) instead of only created: three visible, two hidden. */
const RUNNING = new Set([0, 1, 2, 10, 20]);
const CONCURRENCY = 8;

export function containerName(index: number): string {
  return index % VISIBLE_EVERY === 0 ? `${NAME_RULE}-${index}` : `bench-hid-${index}`;
}

/**
 * The label that tells the visible containers apart for the label-rule sides (issue #26): their
 * project is `dockscope-bench-shown`, the others' `dockscope-bench-<5 digits>`, the same length, so
 * that every list entry weighs what it did before these sides existed. `EXACT_LABEL_RULE` is pushed
 * down to the daemon as a `label` filter; `SUBSTRING_LABEL_RULE` (key and value substrings) is not.
 */
export const PROJECT_LABEL = 'com.example.bench.project';
export const SHOWN_PROJECT = 'dockscope-bench-shown';
export const EXACT_LABEL_RULE = `${PROJECT_LABEL}=${SHOWN_PROJECT}`;
export const SUBSTRING_LABEL_RULE = 'bench.project=shown';

/**
 * Labels of ~40 bytes each (key and value, as they appear in the summary JSON), so that a list entry
 * weighs about what it does on a real host (~800 bytes) rather than ~650 for a bare `docker create`.
 */
function labels(index: number): Record<string, string> {
  const n = String(index).padStart(5, '0');
  return {
    [PROJECT_LABEL]: index % VISIBLE_EVERY === 0 ? SHOWN_PROJECT : `dockscope-bench-${n}`,
    'com.example.bench.service': `service-${n}-worker`,
    'com.example.bench.owner': `team-platform-${n}`,
    'org.opencontainers.image.ref': `bench:${n}-rev`,
  };
}

/** A minimal Engine API client over the daemon's unix socket, with at most CONCURRENCY requests open. */
export class Engine {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  readonly #socketPath: string;
  constructor(socketPath: string) {
    this.#socketPath = socketPath;
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.#socketPath,
          agent: this.#agent,
          method,
          path,
          headers: { host: 'docker', ...(data ? { 'content-type': 'application/json' } : {}) },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  async ok(method: string, path: string, body?: unknown, status = [200, 201, 204]): Promise<string> {
    const res = await this.request(method, path, body);
    if (!status.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${res.text.trim()}`);
    return res.text;
  }

  close(): void {
    this.#agent.destroy();
  }
}

async function createOne(engine: Engine, image: string, index: number): Promise<BenchContainer> {
  const name = containerName(index);
  const running = RUNNING.has(index);
  const text = await engine.ok('POST', `/containers/create?name=${name}`, {
    Image: image,
    Cmd: ['sleep', '3600'],
    Labels: labels(index),
    HostConfig: { NetworkMode: 'none' },
  });
  const id = (JSON.parse(text) as { Id: string }).Id;
  if (running) await engine.ok('POST', `/containers/${id}/start`);
  return { index, name, id, visible: index % VISIBLE_EVERY === 0, running };
}

/**
 * Creates containers `from` .. `to - 1`, CONCURRENCY at a time. Stops taking new ones once `deadline`
 * (a `Date.now()` value) has passed, so the result may be shorter; the indexes stay contiguous.
 */
export async function createContainers(
  engine: Engine,
  image: string,
  from: number,
  to: number,
  deadline = Number.POSITIVE_INFINITY,
): Promise<BenchContainer[]> {
  const out: BenchContainer[] = [];
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to && Date.now() < deadline) {
      const index = next++;
      out.push(await createOne(engine, image, index));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out.sort((a, b) => a.index - b.index);
}
