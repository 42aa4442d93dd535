import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLineSink } from '../../../src/server/line-sink.ts';

/** A log line of exactly 100 bytes. */
const line = (i: number) => `${JSON.stringify({ n: i }).padEnd(99, ' ')}\n`;

describe('openLineSink: log lines never block and never pile up (#27)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-sink-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a reader that never reads: lines past the buffer are dropped and counted, not kept', () => {
    // A pipe nobody reads: the first write never completes.
    const stalled = new Writable({ write: () => {} });
    const sink = openLineSink(stalled, { maxBytes: 10_000, name: 'test' });
    for (let i = 0; i < 1000; i++) sink.write(line(i));
    expect(stalled.writableLength).toBe(10_000);
    expect(sink.dropped).toEqual({ full: 900, failed: 0 });
  });

  it('a reader that went away (EPIPE): later lines are dropped as failed, and nothing throws', async () => {
    const gone = new Writable({
      write: (_chunk, _enc, done) => done(Object.assign(new Error('EPIPE'), { code: 'EPIPE' })),
    });
    const sink = openLineSink(gone, { maxBytes: 10_000, name: 'test' });
    sink.write(line(0));
    await new Promise((r) => setImmediate(r));
    sink.write(line(1));
    sink.write(line(2));
    expect(sink.dropped).toEqual({ full: 0, failed: 2 });
  });

  it('a file gets every line in order', async () => {
    const file = join(dir, 'sub', 'a.log');
    const sink = openLineSink(file, { maxBytes: 1 << 20, name: 'test' });
    for (let i = 0; i < 3000; i++) sink.write(line(i));
    await sink.flush(5000);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(Array.from({ length: 3000 }, (_, i) => line(i)).join(''));
    expect(sink.dropped).toEqual({ full: 0, failed: 0 });
  });

  it('a disk that does not keep up: what is past the buffer (with the write in progress) is dropped', async () => {
    const sink = openLineSink(join(dir, 'b.log'), { maxBytes: 250, name: 'test' });
    for (let i = 0; i < 10; i++) sink.write(line(i));
    expect(sink.dropped).toEqual({ full: 8, failed: 0 });
    await sink.flush(5000);
    expect(await readFile(join(dir, 'b.log'), 'utf8')).toBe(line(0) + line(1));
  });

  it('a full disk (/dev/full, ENOSPC): lines are dropped as failed and not kept in memory', async () => {
    const sink = openLineSink('/dev/full', { maxBytes: 1 << 20, name: 'test' });
    for (let i = 0; i < 5; i++) sink.write(line(i));
    await sink.flush(5000);
    expect(sink.dropped).toEqual({ full: 0, failed: 5 });
    // Nothing is held back: the whole buffer is free again.
    for (let i = 0; i < 5; i++) sink.write('x'.repeat(200_000));
    expect(sink.dropped.full).toBe(0);
  });

  it('after rotation, reopen: new lines go to a new file of the same name', async () => {
    const file = join(dir, 'c.log');
    const sink = openLineSink(file, { maxBytes: 1 << 20, name: 'test' });
    sink.write(line(1));
    await sink.flush(5000);
    await rename(file, `${file}.1`);
    sink.write(line(2));
    await sink.reopen();
    sink.write(line(3));
    await sink.flush(5000);
    expect(await readFile(`${file}.1`, 'utf8')).toBe(line(1) + line(2));
    expect(await readFile(file, 'utf8')).toBe(line(3));
  });
});
