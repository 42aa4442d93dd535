import { LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { RawJson } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { Route } from '../routes/route.ts';
import { checkTargets, judgeImage } from './decide-image-names.ts';
import { checkRegistryRoute } from './decide-registry.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { asMissing, prefix, ROUTE_TREATMENT, withQuery } from './forward.ts';
import { imageSentinel, mayManage, splitReference, targetName } from './image-refs.ts';
import type { MissingRef } from './missing.ts';
import { images } from './owned/images.ts';
import type { Ownership } from './ownership.ts';
import { filterValues } from './ownership.ts';

/**
 * Images of a client with an owner (issue #23): it sees, inspects, saves, pushes and runs its own
 * images and those no owner labelled (pulled base images); it removes and tags only its own (shared
 * ones with `sharedImages: manage`); another owner's image answers as a missing one (image-refs.ts
 * sentinels); and no tag, commit, import, pull or build may move a name that points at an image it
 * may not manage (image poisoning: the other job's next run would start this one's code).
 *
 * References are resolved fresh through the daemon (`GET /images/{ref}/json`), as it resolves them:
 * a name, `name:tag`, a digest reference, an id or an id prefix. Where the route names the image
 * only (inspect, history, a tag's source, a removal by id) the request is pinned to the id judged;
 * where the name is what the route acts on (save writes it into the tarball, push sends it, a removal
 * by name untags that name, a create stores it), the name goes on as typed.
 */

/** An id typed as an id (not a name): a removal by it may be pinned to the full id. */
const ID_TYPED = /^(sha256:)?[0-9a-f]{1,64}$/;

/** `GET /images/{name}/json` and `/history`: pinned to the id, another's answers as missing. */
export async function ownedImageRead(
  input: DecideInput,
  route: Extract<Route, { kind: 'imageInspect' | 'imageHistory' }>,
  owner: Ownership,
  ctx: DecideContext,
): Promise<Forwarding> {
  const action = route.kind === 'imageInspect' ? 'json' : 'history';
  const treatment = ROUTE_TREATMENT[route.kind];
  const path = (ref: string) =>
    withQuery(`${prefix(input.target)}/images/${ref}/${action}`, input.target.rawQuery);
  const judged = await judgeImage(route.name, owner, ctx);
  const s = imageSentinel(route.name);
  // A name the daemon did not find may be made (by another owner) before the request arrives: an
  // inspect is judged on its answer too (its labels), and a hidden one asks about the sentinel.
  if (judged === null) {
    return route.kind === 'imageInspect'
      ? { path: input.raw, treatment, ifHidden: { path: path(s.ref), ref: s.missing } }
      : { path: input.raw, treatment };
  }
  if (judged.whose === 'other') return asMissing(path(s.ref), [s.missing]);
  return { path: path(judged.facts.id), treatment };
}

/** `POST /images/{name}/tag?repo=&tag=`: a source of the client's, pinned; a target it may move. */
export async function ownedImageTag(
  input: DecideInput,
  name: string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<Forwarding> {
  const path = (ref: string) => withQuery(`${prefix(input.target)}/images/${ref}/tag`, input.target.rawQuery);
  const source = await judgeImage(name, owner, ctx);
  if (source === null) return { path: input.raw, treatment: 'relay' };
  if (source.whose === 'other') {
    const s = imageSentinel(name);
    return asMissing(path(s.ref), [s.missing]);
  }
  if (!mayManage(source.whose, owner)) {
    throw errors.refused(`image ${JSON.stringify(name)} has no owner: this client may not tag it`);
  }
  const query = input.target.query;
  const target = targetName(query.get('repo') ?? '', query.get('tag') ?? '');
  if (target !== null) await checkTargets([target], owner, ctx, { except: source.facts.id });
  return { path: path(source.facts.id), treatment: 'relay' };
}

/** `DELETE /images/{name}`: the client's own only (a name untags, an id is pinned to the full id). */
export async function ownedImageDelete(
  input: DecideInput,
  name: string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<Forwarding> {
  const path = (ref: string) => withQuery(`${prefix(input.target)}/images/${ref}`, input.target.rawQuery);
  const judged = await judgeImage(name, owner, ctx);
  if (judged === null) return { path: input.raw, treatment: 'cutErrorIds' };
  if (judged.whose === 'other') {
    const s = imageSentinel(name);
    // A missing image's removal is answered through `cutErrorIds`, which shows a hex run that is no
    // visible container (12 or 64 digits) as <hidden>, the typed id too: so is another's.
    const typed = /^([0-9a-f]{12}|[0-9a-f]{64})$/.test(s.missing.typed) ? '<hidden>' : s.missing.typed;
    return asMissing(path(s.ref), [{ ...s.missing, typed }]);
  }
  if (!mayManage(judged.whose, owner)) {
    throw errors.refused(`image ${JSON.stringify(name)} has no owner: this client may not remove it`);
  }
  return { path: ID_TYPED.test(name) ? path(judged.facts.id) : input.raw, treatment: 'cutErrorIds' };
}

/**
 * Names of a save (`/images/{name}/get`, `/images/get?names=`) or a push: another owner's become
 * sentinels (the daemon's answer for a missing image); null when none is another's. `judged` is the
 * reference looked up for each typed name (a push names its tag in the query).
 */
async function othersAsMissing(
  names: readonly string[],
  judged: (name: string) => string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<{ readonly refs: readonly string[]; readonly missing: readonly MissingRef[] } | null> {
  const missing: MissingRef[] = [];
  const refs: string[] = [];
  for (const name of names) {
    // The typed name goes on (what a save writes and a push sends), unless it is another owner's.
    const pinned = await images.pin(judged(name), owner, ctx, missing.length);
    if (pinned.missing) {
      const s = imageSentinel(name, missing.length);
      missing.push(s.missing);
      refs.push(s.ref);
    } else refs.push(name);
  }
  return missing.length === 0 ? null : { refs, missing };
}

/**
 * `GET /images/json`: the answer keeps the client's and nobody's images (treatment `filterImageList`). The
 * daemon cannot be asked for "this owner's or no owner's" (its label filters must all hold, and
 * images have no `label!=`), so the list is filtered as it streams. `before` and `since` name an
 * image: another owner's is sent as a sentinel, as a missing one.
 */
export async function ownedImageList(
  input: DecideInput,
  owner: Ownership,
  ctx: DecideContext,
): Promise<Forwarding> {
  const raw = input.target.query.get('filters');
  if (!raw) return { path: input.raw, treatment: 'filterImageList' };
  // Refuses duplicate keys, so that JSON.parse reads what the daemon's decoder reads.
  decodeBody(raw, LIST_FILTERS);
  const filters = JSON.parse(raw) as Record<string, unknown>;
  const missing: MissingRef[] = [];
  for (const key of ['before', 'since']) {
    const value = filters[key];
    const legacy = Array.isArray(value);
    const refs: unknown[] = legacy
      ? value
      : typeof value === 'object' && value !== null
        ? Object.keys(value)
        : [];
    const out: string[] = [];
    for (const ref of refs) {
      if (typeof ref !== 'string') throw errors.badRequest(`filter ${key} must name images`);
      const pinned = await images.pin(ref, owner, ctx, missing.length);
      if (pinned.missing) missing.push(pinned.missing);
      // The typed reference goes on unless it is another owner's (the daemon resolves it itself).
      out.push(pinned.missing ? pinned.ref : ref);
    }
    if (refs.length > 0) filters[key] = filterValues(out, legacy);
  }
  if (missing.length === 0) return { path: input.raw, treatment: 'filterImageList' };
  const query = new URLSearchParams(input.target.query);
  query.set('filters', JSON.stringify(filters));
  return asMissing(`${prefix(input.target)}/images/json?${query}`, missing);
}

/**
 * The image of a container create: another owner's answers as a missing one (the body goes on with a
 * sentinel in `Image`). The i-th sentinel of the request; null when the image may be run.
 */
export async function createImage(
  image: unknown,
  owner: Ownership,
  ctx: DecideContext,
  i: number,
): Promise<{ readonly ref: string; readonly missing: MissingRef } | null> {
  // `Image` is kept as the client sent it (RawJson); anything but a string is the daemon's to refuse.
  const ref = image instanceof RawJson && image.node.type === 'string' ? image.node.value : image;
  if (typeof ref !== 'string' || ref === '') return null;
  const pinned = await images.pin(ref, owner, ctx, i);
  // The typed name goes on (the create stores it), unless it is another owner's.
  return pinned.missing ? { ref: pinned.ref, missing: pinned.missing } : null;
}

/** The request target of a save or push with its image names replaced. */
function imageNamesPath(input: DecideInput, name: string | null, refs: readonly string[]): string {
  const query = new URLSearchParams(input.target.query);
  if (name === null) {
    query.delete('names');
    for (const ref of refs) query.append('names', ref);
  }
  const action = input.route.kind === 'imagePush' ? 'push' : 'get';
  const path = name === null ? '/images/get' : `/images/${refs[0] ?? ''}/${action}`;
  return withQuery(`${prefix(input.target)}${path}`, query.toString());
}

/**
 * `docker save` and `docker push`: another owner's image is a missing one (its name goes on as a
 * sentinel); the tarball and the pushed config hold what image inspect blanks (the source container's
 * id, command, labels and environment), so an image committed from a hidden container is refused.
 */
export async function decideImageOut(
  input: DecideInput,
  route: Extract<Route, { kind: 'imageExport' | 'imagePush' }>,
  ctx: DecideContext,
): Promise<Forwarding> {
  await checkRegistryRoute(input, ctx);
  const names = route.name === null ? input.target.query.getAll('names') : [route.name];
  const tag = route.kind === 'imagePush' ? (input.target.query.get('tag') ?? '') : '';
  // A push without a tag pushes every tag of the repository: names of other owners' images among them.
  if (ctx.owner && route.kind === 'imagePush' && tag === '' && splitReference(route.name).suffix === '') {
    throw errors.refused(
      'a push of every tag of a repository is refused to a client with an owner: name a tag',
    );
  }
  const judged = (name: string) => (tag === '' ? name : `${name}:${tag}`);
  const others = ctx.owner ? await othersAsMissing(names, judged, ctx.owner, ctx) : null;
  if (others) return asMissing(imageNamesPath(input, route.name, others.refs), others.missing);
  for (const name of names) {
    if ((await ctx.resolver.imageSource(name))?.visible === false) {
      throw errors.refused(
        `image ${JSON.stringify(name)} was committed from a container this client may not see, so it is not ${route.kind === 'imagePush' ? 'pushed' : 'exported'}`,
      );
    }
  }
  return { path: input.raw, treatment: 'relay' };
}
