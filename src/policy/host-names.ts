import { lookup as dnsLookup } from 'node:dns/promises';
import { withDeadline } from '../deadline.ts';

/** Resolves a name to its addresses (node:dns's lookup by default; a test gives its own). */
export type Lookup = (name: string) => Promise<readonly { readonly address: string }[]>;

export interface HostNameOptions {
  /** How long a name's addresses are trusted for a match before they are looked up again. */
  readonly ttlMs: number;
  /** A peer that none of the names' addresses holds looks them up again, at most this often. */
  readonly missMemoMs: number;
  /** The longest wait for one look-up: past it the name matches nothing, as one that does not resolve. */
  readonly timeoutMs: number;
  readonly lookup?: Lookup;
  /** Called once per change of what a name resolves to (null: it does not resolve). */
  readonly onChange?: (name: string, addresses: readonly string[] | null, why?: string) => void;
}

/**
 * Issue #22: in compose, Docker's DNS knows only running containers, and a recreated container gets a
 * new address. Names are looked up lazily: when their addresses are older than the TTL, and when a peer
 * none of them holds arrives (at most once per miss memo), each look-up bounded by a timeout. A name
 * that does not resolve matches nothing; it never stops a start.
 */
export const HOST_NAME_DEFAULTS = { ttlMs: 10_000, missMemoMs: 2_000, timeoutMs: 2_000 } as const;

interface Entry {
  addresses: ReadonlySet<string>;
  /** What the last look-up said, to report changes only: the sorted addresses, or `!` and the error. */
  said: string | undefined;
  at: number;
  pending: Promise<void> | undefined;
}

/** The host names of one `from` (or `trustedProxies`) list, with their addresses as last looked up. */
export class HostNames {
  readonly #entries = new Map<string, Entry>();
  readonly #options: HostNameOptions;

  constructor(names: readonly string[], options: HostNameOptions) {
    this.#options = options;
    for (const name of names)
      this.#entries.set(name, { addresses: new Set(), said: undefined, at: -Infinity, pending: undefined });
  }

  /** Looks every name up once (start, reload and `check`): bounded, never failing. */
  async prime(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((name) => this.#refresh(name)));
  }

  /** The names whose last look-up found nothing. */
  unresolved(): string[] {
    return [...this.#entries].filter(([, e]) => e.addresses.size === 0).map(([name]) => name);
  }

  /**
   * Whether `address` is one of the names' addresses: at once when the memo decides, else once the
   * names due a look-up have had it (bounded by the timeout).
   */
  holds(address: string): boolean | Promise<boolean> {
    const now = performance.now();
    const due: string[] = [];
    let found = false;
    for (const [name, e] of this.#entries) {
      if (e.addresses.has(address)) {
        if (now - e.at < this.#options.ttlMs) return true;
        found = true;
        due.push(name);
      }
    }
    if (!found) {
      for (const [name, e] of this.#entries) if (now - e.at >= this.#options.missMemoMs) due.push(name);
    }
    if (due.length === 0) return false;
    return Promise.all(due.map((name) => this.#refresh(name))).then(() =>
      [...this.#entries.values()].some((e) => e.addresses.has(address)),
    );
  }

  #refresh(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return Promise.resolve();
    entry.pending ??= this.#lookUp(name).then((result) => {
      entry.pending = undefined;
      entry.at = performance.now();
      const said = 'error' in result ? `!${result.error}` : result.addresses.join(',');
      entry.addresses = new Set('error' in result ? [] : result.addresses);
      // Once per change: the first answer, and every different one after it.
      if (said !== entry.said) {
        entry.said = said;
        this.#options.onChange?.(
          name,
          'error' in result ? null : result.addresses,
          'error' in result ? result.error : undefined,
        );
      }
    });
    return entry.pending;
  }

  async #lookUp(name: string): Promise<{ addresses: string[] } | { error: string }> {
    const lookup = this.#options.lookup ?? ((n: string) => dnsLookup(n, { all: true }));
    try {
      const found = await withDeadline(lookup(name), this.#options.timeoutMs, () =>
        Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }),
      );
      const addresses = [...new Set(found.map((a) => a.address))].sort();
      return addresses.length > 0 ? { addresses } : { error: 'ENOTFOUND' };
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? 'error' };
    }
  }
}
