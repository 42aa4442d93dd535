import { describe, expect, it } from 'vitest';
import { describeErrno } from '../../src/errno-text.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });
const uid = `dockscope runs as uid ${process.getuid?.()} gid ${process.getgid?.()}`;

describe('describeErrno: an error names its cause (issue #22)', () => {
  it.each<[unknown, string]>([
    [errno('ENOENT'), 'ENOENT (no such file or directory)'],
    [errno('EACCES'), `EACCES (permission denied; ${uid})`],
    [errno('EPERM'), `EPERM (operation not permitted; ${uid})`],
    [errno('EISDIR'), 'EISDIR (is a directory)'],
    [errno('EXDEV'), 'EXDEV'],
    [new Error('plain'), 'plain'],
  ])('%s', (error, text) => {
    expect(describeErrno(error)).toBe(text);
  });
});
