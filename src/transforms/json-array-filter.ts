import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { fieldAt, isSpace, spliceFields } from './json-element.ts';

export interface JsonArrayFilterOptions {
  /**
   * Parse only these top-level keys of each element; `keep` then receives an object with just them.
   * The rest of the element is scanned for structure but never parsed, which is what makes filtering
   * a large container list cheap. Without it, each element is parsed whole.
   */
  readonly fields?: readonly string[];
  /** One element may not be larger than this (default 16 MiB). */
  readonly maxElementBytes?: number;
  /**
   * For a kept element (with `fields`): new values for some of the parsed fields, or null to keep it as
   * sent. Only those fields' bytes are replaced; the rest of the element stays as the upstream sent it.
   */
  readonly rewrite?: (picked: Record<string, unknown>) => Record<string, unknown> | null;
  /** Keep at most this many elements (the list's `limit`, applied after filtering). */
  readonly maxKept?: number;
}

const QUOTE = 0x22;
const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
const COMMA = Buffer.from(',');
const BACKSLASH = 0x5c;

/**
 * Filters the elements of a top-level JSON array as the bytes stream through.
 *
 * Only one element is held at a time (bounded by `maxElementBytes`), so memory does not grow with the
 * list. A byte scanner finds each element's extent (nesting, strings and escapes; string bodies are
 * skipped with native `indexOf`), and kept elements are written out exactly as the upstream sent them.
 * A token-level streaming parser is about ten times slower on Docker's lists (issue #5).
 * Anything that is not a well-formed array of objects fails the stream (the caller cuts the
 * connection), so a malformed upstream body is never passed on half-filtered.
 */
export class JsonArrayFilter extends Transform {
  readonly #keep: (element: unknown) => boolean;
  readonly #maxElementBytes: number;
  readonly #fields: ReadonlySet<string> | null;
  readonly #fieldBytes: readonly Buffer[];
  readonly #fieldNames: readonly string[];
  readonly #rewrite: JsonArrayFilterOptions['rewrite'];
  readonly #maxKept: number;
  /** 0: before "[", 1: expecting an element or "]", 2: inside an object, 3: after an element, 4: after "]". */
  #state = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #emitted = 0;
  // Top-level key tracking inside the current element (only with `fields`).
  #expectKey = false;
  #inKey = false;
  #keyText = '';
  /** Where the key being read started in the current chunk (-1: it started in an earlier chunk). */
  #keyStart = -1;
  #pendingField: string | null = null;
  #afterColon = false;
  #capture: string | null = null;
  #valueStart = 0;
  #spans = new Map<string, [number, number]>();
  /** Output of the current chunk, written in one piece: one write per chunk, not one per element. */
  #out: Buffer[] = [];
  kept = 0;
  dropped = 0;

  constructor(keep: (element: unknown) => boolean, options: JsonArrayFilterOptions | number = {}) {
    super();
    const opts = typeof options === 'number' ? { maxElementBytes: options } : options;
    this.#keep = keep;
    this.#maxElementBytes = opts.maxElementBytes ?? 16 * 1024 * 1024;
    this.#fields = opts.fields ? new Set(opts.fields) : null;
    this.#fieldNames = [...(opts.fields ?? [])];
    this.#fieldBytes = this.#fieldNames.map((f) => Buffer.from(f, 'latin1'));
    this.#rewrite = opts.rewrite;
    this.#maxKept = opts.maxKept ?? Number.POSITIVE_INFINITY;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#scan(chunk);
      if (this.#out.length > 0) {
        this.push(this.#out.length === 1 ? this.#out[0] : Buffer.concat(this.#out));
        this.#out = [];
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#state !== 4) {
      callback(new Error('upstream list ended before the closing "]"'));
      return;
    }
    callback();
  }

  #scan(buf: Buffer): void {
    let start = this.#state === 2 ? 0 : -1; // where the current element starts within this chunk
    const abs = (i: number) => this.#partBytes + (i - start);
    // The next backslash and quote at or after i, each searched again only once passed (-1: none left
    // in this chunk). Searching the quote again after every escape would cost escapes × distance: a
    // label of 1 MiB of `<` (which Go writes as `\u003c`) blocked the event loop for tens of ms.
    let nextSlash = buf.indexOf(BACKSLASH);
    let nextQuote = buf.indexOf(QUOTE);
    let i = 0;
    while (i < buf.length) {
      if (this.#state === 2) {
        if (this.#inString) {
          if (this.#escape) {
            this.#escape = false;
            i++;
            continue;
          }
          if (nextQuote !== -1 && nextQuote < i) nextQuote = buf.indexOf(QUOTE, i);
          const quote = nextQuote;
          if (nextSlash !== -1 && nextSlash < i) nextSlash = buf.indexOf(BACKSLASH, i);
          const slash = nextSlash;
          if (slash !== -1 && (quote === -1 || slash < quote)) {
            // An escape in a key means it is none of the plain ASCII keys we look for.
            if (this.#inKey) this.#keyText += '\\';
            this.#escape = true;
            i = slash + 1;
            continue;
          }
          if (quote === -1) {
            if (this.#inKey && this.#keyStart === -1) this.#keyText += buf.toString('latin1', i);
            i = buf.length;
            continue;
          }
          if (this.#inKey) this.#finishKey(buf, i, quote);
          this.#inString = false;
          i = quote + 1;
          continue;
        }
        const c = buf[i] as number;
        if (c === QUOTE) {
          this.#inString = true;
          if (this.#depth === 1 && this.#fields) {
            if (this.#expectKey) {
              this.#expectKey = false;
              this.#inKey = true;
              this.#keyText = '';
              this.#keyStart = i + 1;
            } else if (this.#afterColon) this.#startValue(abs(i));
          }
        } else if (c === 0x7b || c === 0x5b) {
          if (this.#depth === 1 && this.#afterColon) this.#startValue(abs(i));
          this.#depth++;
        } else if (c === 0x7d || c === 0x5d) {
          this.#depth--;
          if (this.#depth === 0) {
            this.#endValue(abs(i));
            this.#finishElement(buf.subarray(start, i + 1));
            start = -1;
            this.#state = 3;
          }
        } else if (this.#depth === 1 && this.#fields) {
          if (c === 0x2c) {
            this.#endValue(abs(i));
            this.#expectKey = true;
          } else if (c === 0x3a) {
            if (this.#pendingField) this.#afterColon = true;
          } else if (this.#afterColon && !isSpace(c)) this.#startValue(abs(i));
        }
        i++;
        continue;
      }
      const c = buf[i] as number;
      i++;
      if (isSpace(c)) continue;
      if (this.#state === 0) {
        if (c !== 0x5b) throw new Error('upstream list is not a JSON array');
        this.#state = 1;
        this.#out.push(OPEN);
      } else if (this.#state === 1 || this.#state === 3) {
        if (c === 0x5d) {
          if (this.#state === 1 && this.kept + this.dropped > 0)
            throw new Error('upstream list has a trailing ","');
          this.#state = 4;
          this.#out.push(CLOSE);
        } else if (this.#state === 3) {
          if (c !== 0x2c) throw new Error('upstream list has no "," between elements');
          this.#state = 1;
        } else {
          if (c === 0x2c) throw new Error('upstream list has an empty element');
          // Docker's lists hold objects only; anything else is not a body we understand.
          if (c !== 0x7b) throw new Error('upstream list element is not a JSON object');
          this.#beginElement();
          start = i - 1;
        }
      } else {
        throw new Error('upstream list has data after the closing "]"');
      }
    }
    if (this.#state === 2 && start !== -1) this.#hold(buf.subarray(start));
    if (this.#inKey && this.#keyStart !== -1) {
      // A key cut by the chunk boundary (even right after its opening quote) continues as text.
      this.#keyText += buf.toString('latin1', this.#keyStart);
      this.#keyStart = -1;
    }
  }

  #beginElement(): void {
    this.#state = 2;
    this.#depth = 1;
    this.#expectKey = true;
    this.#inKey = false;
    this.#pendingField = null;
    this.#afterColon = false;
    this.#capture = null;
    this.#spans.clear();
  }

  /** Compares the key's bytes in place (no string per key), unless it spans chunks or has escapes. */
  #finishKey(buf: Buffer, from: number, quote: number): void {
    this.#inKey = false;
    this.#pendingField = null;
    if (this.#keyStart !== -1 && this.#keyText === '') {
      const f = fieldAt(this.#fieldBytes, buf, this.#keyStart, quote);
      this.#pendingField = f === -1 ? null : (this.#fieldNames[f] ?? null);
      return;
    }
    const key = this.#keyText + buf.toString('latin1', this.#keyStart === -1 ? from : this.#keyStart, quote);
    this.#pendingField = this.#fields?.has(key) ? key : null;
  }

  #startValue(at: number): void {
    this.#capture = this.#pendingField;
    this.#valueStart = at;
    this.#pendingField = null;
    this.#afterColon = false;
  }

  #endValue(at: number): void {
    if (this.#capture === null) return;
    // A repeated key wins as in JSON.parse: the last one.
    this.#spans.set(this.#capture, [this.#valueStart, at]);
    this.#capture = null;
  }

  #hold(part: Buffer): void {
    this.#partBytes += part.length;
    if (this.#partBytes > this.#maxElementBytes) {
      throw new Error(`upstream list element is larger than ${this.#maxElementBytes} bytes`);
    }
    // Copy: the chunk's memory belongs to the socket and may be reused.
    this.#parts.push(Buffer.from(part));
  }

  #finishElement(tail: Buffer): void {
    let raw = tail;
    if (this.#parts.length > 0) {
      this.#parts.push(tail);
      raw = Buffer.concat(this.#parts, this.#partBytes + tail.length);
      this.#parts = [];
      this.#partBytes = 0;
    }
    if (raw.length > this.#maxElementBytes) {
      throw new Error(`upstream list element is larger than ${this.#maxElementBytes} bytes`);
    }
    let value: unknown;
    if (this.#fields) {
      const picked: Record<string, unknown> = {};
      for (const [field, [from, to]] of this.#spans)
        picked[field] = JSON.parse(raw.toString('utf8', from, to));
      value = picked;
    } else {
      value = JSON.parse(raw.toString('utf8'));
    }
    if (this.kept >= this.#maxKept || !this.#keep(value)) {
      this.dropped++;
      return;
    }
    this.kept++;
    if (this.#emitted++ > 0) this.#out.push(COMMA);
    const replaced = this.#rewrite && this.#fields ? this.#rewrite(value as Record<string, unknown>) : null;
    this.#out.push(replaced ? spliceFields(raw, this.#spans, replaced) : raw);
  }
}
