/** What a file-system error code means, for errors that must name their cause (issue #22). */
const MEANINGS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EROFS: 'read-only file system',
};

/**
 * `ENOENT (no such file or directory)`, with who dockscope runs as where permissions are the cause;
 * an error without a code gives its message.
 */
export function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return (error as Error | null)?.message ?? String(error);
  const meaning = MEANINGS[code];
  const who =
    (code === 'EACCES' || code === 'EPERM') && process.getuid && process.getgid
      ? `; dockscope runs as uid ${process.getuid()} gid ${process.getgid()}`
      : '';
  return meaning ? `${code} (${meaning}${who})` : `${code}${who ? ` (${who.slice(2)})` : ''}`;
}
