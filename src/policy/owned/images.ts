import { errors } from '../../errors.ts';
import { judgeImage } from '../decide-image-names.ts';
import { imageSentinel } from '../image-refs.ts';
import type { Ownership } from '../ownership.ts';
import type { OwnedScope } from './scope.ts';
import { labelTopLevel } from './scope.ts';

/**
 * Images of a client with an owner (issue #23): its own (built, committed or imported through it,
 * labelled so) and nobody's (pulled base images) are shown; another owner's answers as a missing
 * image, with an image sentinel that keeps the reference's shape (image-refs.ts). References are
 * resolved fresh, as the daemon resolves them; the routes are decide-images.ts and
 * decide-image-names.ts.
 */
export const images: OwnedScope = {
  type: 'image',
  eventsKeep: false,
  sharesUnlabelled: true,
  labels: async (ref, directory) => (await directory.daemon.image(ref))?.labels ?? null,
  // Image events carry the image's labels while it exists; a removal's do not.
  eventLabels: (attributes, owner) => (attributes[owner.key] !== undefined ? attributes : undefined),
  async pin(ref, owner, ctx, i = 0) {
    const judged = await judgeImage(ref, owner, ctx);
    // One the daemon does not find goes on as typed: its answer is the missing one.
    if (judged === null) return { ref, missing: null };
    if (judged.whose !== 'other') return { ref: judged.facts.id, missing: null };
    const s = imageSentinel(ref, i);
    return { ref: s.ref, missing: s.missing };
  },
  // Nobody's images are shown too, and the daemon has no "this label or none" filter: the list is
  // filtered as it streams (the `imageList` treatment).
  listQuery: () => null,
  // A commit's config; builds and imports are labelled through their queries (decide-owned.ts).
  label: labelTopLevel,
  eventKey: (id) => `image:${id}`,
};

/**
 * `POST /images/load`: the tarball's image configs carry their own labels (an owner label of any
 * value) and its manifest the names to tag, any of which may be another owner's. Neither can be
 * rewritten without unpacking the stream, so an owner's load is refused: `docker import` (labelled
 * through its changes) or `docker build` make images of its own.
 */
export function refuseLoad(owner: Ownership): never {
  throw errors.refused(
    `docker load is refused to a client with an owner: the tarball sets its own labels and names, and dockscope cannot label it ${owner.key}=${owner.owner}; use docker import or docker build`,
  );
}
