import * as fs from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';

/**
 * Where log lines go without ever blocking the event loop (#27): a reader of stdout that stalls, or a
 * full disk, must cost lines, never serving. Lines wait in a bounded buffer; past it they are dropped
 * and counted (`dropped`), and a line that cannot be written is dropped and counted too, never kept.
 */
export interface LineSink {
  /** pino's destination: one line, buffered (or dropped when the buffer is full). */
  write(line: string): boolean;
  /**
   * A file target is opened anew (after log rotation the old name points at the old file); resolves
   * once new lines go to the new file. Other targets: nothing to do. Never rejects.
   */
  reopen(): Promise<void>;
  /** Lines dropped so far: the buffer was full, or the write failed (a full disk, a closed reader). */
  readonly dropped: { readonly full: number; readonly failed: number };
  /** Resolves once everything buffered is written, or after `timeoutMs`, whichever is first. */
  flush(timeoutMs: number): Promise<void>;
}

interface SinkOptions {
  /** Bytes that may wait to be written. */
  readonly maxBytes: number;
  /** Named in the notice on stderr ("audit", "log"). */
  readonly name: string;
}

/** A write larger than this is split: one failed write drops at most this much. */
const MAX_BATCH = 256 * 1024;
/** A non-blocking descriptor that is full is tried again this much later. */
const RETRY_MS = 100;

/**
 * A sink on a descriptor, a file (appended to, its directory made) or a stream. A pipe or socket is
 * written through a non-blocking stream, as process.stdout is, so that a stalled reader holds no thread;
 * a file (and anything else) with asynchronous writes, one at a time.
 */
export function openLineSink(target: number | string | Writable, options: SinkOptions): LineSink {
  if (typeof target === 'object') return streamSink(target, options);
  if (typeof target === 'number') {
    const stat = fs.fstatSync(target);
    if (stat.isFIFO() || stat.isSocket()) {
      const stream =
        target === 1
          ? process.stdout
          : target === 2
            ? process.stderr
            : new net.Socket({ fd: target, readable: false, writable: true });
      return streamSink(stream, options);
    }
    return fileSink(target, null, options);
  }
  fs.mkdirSync(dirname(target), { recursive: true });
  return fileSink(fs.openSync(target, 'a'), target, options);
}

function warn(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr itself is gone: the count in the metrics is what is left.
  }
}

function notifier(name: string): (dropped: number, why: string) => void {
  return (dropped, why) => {
    // The first, then every thousandth: a full disk must not also flood stderr.
    if (dropped !== 1 && dropped % 1000 !== 0) return;
    warn(`dockscope: ${name} lines dropped (${why}); ${dropped} so far\n`);
  };
}

function streamSink(stream: Writable, options: SinkOptions): LineSink {
  const dropped = { full: 0, failed: 0 };
  const notify = notifier(options.name);
  let broken: string | null = null;
  // A reader that went away (EPIPE) must not crash the process: lines are dropped from then on.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    broken = error.code ?? 'error';
  });
  return {
    write(line) {
      if (broken !== null) {
        dropped.failed++;
        notify(dropped.full + dropped.failed, broken);
        return true;
      }
      if (stream.writableLength + Buffer.byteLength(line) > options.maxBytes) {
        dropped.full++;
        notify(dropped.full + dropped.failed, 'the reader does not keep up');
        return true;
      }
      stream.write(line);
      return true;
    },
    reopen: () => Promise.resolve(),
    dropped,
    flush: (timeoutMs) =>
      waitUntil(
        () => broken !== null || stream.writableLength === 0,
        timeoutMs,
        (wake) => stream.once('drain', wake),
        (wake) => stream.off('drain', wake),
      ),
  };
}

function fileSink(initialFd: number, path: string | null, options: SinkOptions): LineSink {
  const dropped = { full: 0, failed: 0 };
  const notify = notifier(options.name);
  let fd = initialFd;
  /** An old descriptor to close once the write in progress on it is done (after a reopen). */
  let retired: number | null = null;
  const queue: string[] = [];
  let queued = 0;
  let writing = false;
  const idle = new Set<() => void>();

  const finish = (bytes: number) => {
    queued -= bytes;
    writing = false;
    if (retired !== null) {
      fs.close(retired, () => {});
      retired = null;
    }
    pump();
  };
  const send = (to: number, buf: Buffer, lines: number, bytes: number) => {
    fs.write(to, buf, 0, buf.length, null, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => send(to, buf, lines, bytes), RETRY_MS).unref();
          return;
        }
        dropped.failed += lines;
        notify(dropped.full + dropped.failed, error.code ?? 'error');
        finish(bytes);
      } else if (written < buf.length) {
        send(to, buf.subarray(written), lines, bytes);
      } else {
        finish(bytes);
      }
    });
  };
  const pump = () => {
    if (writing) return;
    if (queue.length === 0) {
      for (const wake of idle) wake();
      return;
    }
    writing = true;
    let batch = '';
    let lines = 0;
    while (queue.length > 0 && batch.length < MAX_BATCH) {
      batch += queue.shift();
      lines++;
    }
    const buf = Buffer.from(batch);
    send(fd, buf, lines, buf.length);
  };

  return {
    write(line) {
      const bytes = Buffer.byteLength(line);
      if (queued + bytes > options.maxBytes) {
        dropped.full++;
        notify(dropped.full + dropped.failed, 'the disk does not keep up');
        return true;
      }
      queue.push(line);
      queued += bytes;
      pump();
      return true;
    },
    reopen: () =>
      new Promise<void>((resolve) => {
        if (path === null) return resolve();
        fs.open(path, 'a', (error, next) => {
          if (error) {
            warn(
              `dockscope: ${options.name} file ${path} cannot be reopened (${error.code ?? 'error'}); lines still go to the file open before\n`,
            );
          } else {
            const old = fd;
            fd = next;
            // The write in progress finishes on the old file; it is closed after it.
            if (writing) retired = old;
            else fs.close(old, () => {});
          }
          resolve();
        });
      }),
    dropped,
    flush: (timeoutMs) =>
      waitUntil(
        () => !writing && queue.length === 0,
        timeoutMs,
        (wake) => idle.add(wake),
        (wake) => idle.delete(wake),
      ),
  };
}

function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  subscribe: (wake: () => void) => void,
  unsubscribe: (wake: () => void) => void,
): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe(check);
      resolve();
    };
    const check = () => (done() ? settle() : subscribe(check));
    const timer = setTimeout(settle, timeoutMs);
    timer.unref();
    subscribe(check);
  });
}
