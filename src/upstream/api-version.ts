import type { Upstream } from './client.ts';
import type { DialectName } from './dialect.ts';
import { detectDialect } from './dialect.ts';

/**
 * The API version the upstream daemon speaks (its `/version` ApiVersion), which decides how request
 * bodies are read (body/body-rules.ts). Asked at start and again after the event watch reconnects
 * (the daemon may have been upgraded in between), falling back to the `Api-Version` header of
 * `/_ping`; a request that finds no answer yet asks itself.
 * A failed or refused look-up is not remembered, so the next request asks again; meanwhile the body
 * rules are the strict ones (null).
 */
export class UpstreamApiVersion {
  #known: string | null = null;
  #kind: DialectName | null = null;
  #asking: Promise<string | null> | null = null;
  private readonly upstream: Upstream;

  constructor(upstream: Upstream) {
    this.upstream = upstream;
  }

  /** The version, asked for if not known. */
  get(): Promise<string | null> {
    if (this.#known !== null) return Promise.resolve(this.#known);
    return this.refresh();
  }

  /**
   * Which kind of upstream answered the last time it was asked (upstream/dialect.ts), from the same
   * answers as the version; null while it has not answered.
   */
  get kind(): DialectName | null {
    return this.#kind;
  }

  /** Asks the upstream again (at start, after a reconnect). */
  refresh(): Promise<string | null> {
    this.#asking ??= this.#ask().finally(() => {
      this.#asking = null;
    });
    return this.#asking;
  }

  async #ask(): Promise<string | null> {
    try {
      const res = await this.upstream.getJson('/version', 64 * 1024);
      const body = res.body as { ApiVersion?: unknown } | null;
      let version = res.status === 200 && typeof body?.ApiVersion === 'string' ? body.ApiVersion : null;
      if (version !== null) this.#kind = detectDialect(res.body, res.headers);
      // A socket proxy may refuse /version (VERSION=0) but passes /_ping, whose answer says it too.
      if (version === null) {
        const ping = await this.upstream.open('GET', '/_ping', { agent: this.upstream.controlAgent });
        ping.resume();
        const header = ping.headers['api-version'];
        version = ping.statusCode === 200 && typeof header === 'string' ? header : null;
        if (ping.statusCode === 200) this.#kind = detectDialect(null, ping.headers);
      }
      this.#known = version;
      return version;
    } catch {
      this.#known = null;
      return null;
    }
  }
}
