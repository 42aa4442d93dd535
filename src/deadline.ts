/**
 * A wait with a bound: `work`'s outcome, or the error `late()` makes once `ms` have passed, whichever
 * comes first. The timer is cleared as soon as either comes, and never holds the process open. The
 * work itself is not cancelled (a look-up or a read goes on); a rejection it makes after the deadline
 * is absorbed here.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
