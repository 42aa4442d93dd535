import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';

/**
 * Filters the elements of a top-level JSON array as the bytes stream through.
 *
 * Only one element is held at a time (bounded by `maxElementBytes`), so memory does not grow with the
 * list. Elements are found by a byte scanner that tracks nesting and strings, then parsed one by one
 * with JSON.parse; kept elements are written out as the upstream sent them. This is several times
 * faster than a token-level streaming parser for Docker's lists, whose elements are small objects.
 * Anything that is not a well-formed array of JSON values fails the stream (the caller cuts the
 * connection), so a malformed upstream body can never be passed on half-filtered.
 */
export class JsonArrayFilter extends Transform {
  readonly #keep: (element: unknown) => boolean;
  readonly #maxElementBytes: number;
  /** 0: before "[", 1: expecting an element or "]", 2: inside an object, 3: after an element, 4: after "]". */
  #state = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #emitted = 0;
  kept = 0;
  dropped = 0;

  constructor(keep: (element: unknown) => boolean, maxElementBytes = 16 * 1024 * 1024) {
    super();
    this.#keep = keep;
    this.#maxElementBytes = maxElementBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#scan(chunk);
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
    let start = -1; // where the current element started within this chunk
    if (this.#state === 2) start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i] as number;
      if (this.#state === 2) {
        if (this.#inString) {
          if (this.#escape) this.#escape = false;
          else if (c === 0x5c) this.#escape = true;
          else if (c === 0x22) this.#inString = false;
          continue;
        }
        if (c === 0x22) this.#inString = true;
        else if (c === 0x7b || c === 0x5b) this.#depth++;
        else if (c === 0x7d || c === 0x5d) {
          this.#depth--;
          if (this.#depth === 0) {
            this.#finishElement(buf.subarray(start, i + 1));
            start = -1;
            this.#state = 3;
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (this.#state === 0) {
        if (c !== 0x5b) throw new Error('upstream list is not a JSON array');
        this.#state = 1;
        this.push('[');
      } else if (this.#state === 1 || this.#state === 3) {
        if (c === 0x5d) {
          if (this.#state === 1 && this.kept + this.dropped > 0)
            throw new Error('upstream list has a trailing ","');
          this.#state = 4;
          this.push(']');
        } else if (this.#state === 3) {
          if (c !== 0x2c) throw new Error('upstream list has no "," between elements');
          this.#state = 1;
        } else {
          if (c === 0x2c) throw new Error('upstream list has an empty element');
          // Docker's lists hold objects only; anything else is not a body we understand.
          if (c !== 0x7b) throw new Error('upstream list element is not a JSON object');
          this.#state = 2;
          this.#depth = 1;
          start = i;
        }
      } else {
        throw new Error('upstream list has data after the closing "]"');
      }
    }
    if (this.#state === 2 && start !== -1) this.#hold(buf.subarray(start));
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
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    if (!this.#keep(value)) {
      this.dropped++;
      return;
    }
    this.kept++;
    if (this.#emitted++ > 0) this.push(',');
    this.push(raw);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
