import { errors } from '../errors.ts';
import type { MissingRef } from './missing.ts';
import { idSentinel, sentinelToken } from './missing.ts';
import type { Ownership } from './ownership.ts';

/**
 * Image references of an owner's requests (issue #23), pure: whose an image is, and how a reference
 * to another owner's image is sent on so that the daemon answers as for a missing one.
 *
 * A container sentinel (`dockscope~missing~…`) cannot stand for an image: `~` is no part of a
 * reference, so the daemon would answer "invalid reference format" (400) where a missing image is a
 * 404 "No such image: <name>:latest". An image sentinel keeps the typed reference's shape instead, so
 * that the daemon normalises it as it would the typed one (a name gets `:latest`, `docker.io/library/`
 * is dropped, a hex string is a name first, `sha256:` an id prefix), and only a part of it is put back:
 * - a name (`[host/]path[:tag][@digest]`): its last path component becomes `dockscope-missing-<token>-<n>`;
 * - an id (`sha256:<1-64 hex>`, or 64 hex): the hex becomes 64 hex derived from the token, an id no
 *   image has (a shorter random prefix could match one).
 */

/** Whose an image is for an owner: its own, nobody's (pulled, imported by the daemon's admin), another's. */
export type ImageOwner = 'own' | 'shared' | 'other';

export function imageOwner(
  labels: Readonly<Record<string, unknown>> | null | undefined,
  o: Ownership,
): ImageOwner {
  const value = labels?.[o.key];
  if (value === undefined) return 'shared';
  return value === o.owner ? 'own' : 'other';
}

/** The name-component sentinel of the i-th image name of a request. */
export function nameSentinel(i = 0): string {
  return `dockscope-missing-${sentinelToken()}-${i}`;
}

const ID_FORM = /^(sha256:[0-9a-f]{1,64}|[0-9a-f]{64})$/;

/** A reference split around its last path component: `prefix` + `component` + `suffix`. */
export function splitReference(ref: string): { prefix: string; component: string; suffix: string } {
  const at = ref.indexOf('@');
  const named = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? '' : ref.slice(at);
  const slash = named.lastIndexOf('/');
  const colon = named.indexOf(':', slash + 1);
  const path = colon === -1 ? named : named.slice(0, colon);
  const tag = colon === -1 ? '' : named.slice(colon);
  return {
    prefix: path.slice(0, slash + 1),
    component: path.slice(slash + 1),
    suffix: `${tag}${digest}`,
  };
}

/**
 * The reference to send in place of `typed` (another owner's image), and the sentinel to put back in
 * the daemon's answer. The i-th of a request's references gets the i-th sentinel.
 */
export function imageSentinel(typed: string, i = 0): { readonly ref: string; readonly missing: MissingRef } {
  if (ID_FORM.test(typed)) {
    const hex = typed.startsWith('sha256:') ? typed.slice(7) : typed;
    const id = idSentinel(i);
    return {
      ref: `${typed.startsWith('sha256:') ? 'sha256:' : ''}${id}`,
      missing: { sentinel: id, typed: hex },
    };
  }
  const { prefix, component, suffix } = splitReference(typed);
  const name = nameSentinel(i);
  return { ref: `${prefix}${name}${suffix}`, missing: { sentinel: name, typed: component } };
}

/**
 * The name a tag, commit, import, pull or build makes (`repo` and `tag` as the daemon takes them):
 * what must be looked up to know whose name it moves. A digest names no tag. Null: nothing is named.
 */
export function targetName(repo: string, tag: string): string | null {
  if (repo === '') return null;
  if (repo.includes('@')) return null;
  if (tag !== '') return `${repo}:${tag}`;
  const { suffix } = splitReference(repo);
  return suffix === '' ? `${repo}:latest` : repo;
}

/** The name a commit or an import makes (`repo` and `tag` of its query), if any. */
export function namesMade(query: URLSearchParams): string[] {
  const name = targetName(query.get('repo') ?? '', query.get('tag') ?? '');
  return name === null ? [] : [name];
}

/**
 * The name a pull (`fromImage`, `tag`) stores its image under: none for a digest. With neither a tag
 * nor a digest the daemon pulls every tag of the repository, names dockscope cannot know before the
 * registry answers: refused to an owner.
 */
export function pulledNames(from: string, tag: string): string[] {
  if (from.includes('@') || tag.startsWith('sha256:')) return [];
  if (tag === '' && splitReference(from).suffix === '') {
    throw errors.refused(
      'a pull of every tag of a repository is refused to a client with an owner: name a tag',
    );
  }
  const name = targetName(from, tag);
  return name === null ? [] : [name];
}

/**
 * Whether an owner may act on an image as its own: remove it, tag it, or move one of its names. A
 * shared image only with `sharedImages: manage`; another's never (it answers as a missing one).
 */
export function mayManage(whose: ImageOwner, o: Ownership): boolean {
  return whose === 'own' || (whose === 'shared' && o.sharedImages === 'manage');
}
