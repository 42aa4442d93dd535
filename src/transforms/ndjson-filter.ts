import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';

/** Drop a value, keep it as sent, or send another value in its place. */
type LineDecision = boolean | { readonly replace: unknown };

/**
 * Filters a stream of newline-delimited JSON values (Docker's /events) in order, with an async
 * decision per value. A value is only held until its line is complete, bounded by `maxLineBytes`.
 * Each kept value is written on its own line exactly as the upstream sent it (or as its replacement).
 */
export class NdjsonFilter extends Transform {
  readonly #keep: (value: unknown) => LineDecision | Promise<LineDecision>;
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** A line may be as large as a list element: one container's event carries all its labels. */
  constructor(
    keep: (value: unknown) => LineDecision | Promise<LineDecision>,
    maxLineBytes = 16 * 1024 * 1024,
  ) {
    super();
    this.#keep = keep;
    this.#maxLineBytes = maxLineBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#consume(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.#take(Buffer.alloc(0));
    if (rest.length === 0 || rest.toString('utf8').trim() === '') {
      callback();
      return;
    }
    this.#emit(rest).then(() => callback(), callback);
  }

  async #consume(chunk: Buffer): Promise<void> {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (this.#pendingBytes + (nl - start) > this.#maxLineBytes) {
        throw new Error(`upstream line is longer than ${this.#maxLineBytes} bytes`);
      }
      const line = this.#take(chunk.subarray(start, nl));
      start = nl + 1;
      await this.#emit(line);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#pendingBytes += rest.length;
      if (this.#pendingBytes > this.#maxLineBytes)
        throw new Error(`upstream line is longer than ${this.#maxLineBytes} bytes`);
      this.#pending.push(Buffer.from(rest));
    }
  }

  #take(tail: Buffer): Buffer {
    if (this.#pending.length === 0) return tail;
    const whole = Buffer.concat([...this.#pending, tail]);
    this.#pending = [];
    this.#pendingBytes = 0;
    return whole;
  }

  async #emit(line: Buffer): Promise<void> {
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    const value = JSON.parse(text) as unknown;
    const decision = await this.#keep(value);
    if (decision === true) this.push(`${text.trimEnd()}\n`);
    else if (decision !== false) this.push(`${JSON.stringify(decision.replace)}\n`);
  }
}
