import { asLabels } from '../policy/container-facts.ts';
import { stripSlash } from '../policy/matcher.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import {
  CONTAINER_MODE,
  hideIds,
  MODES,
  visibleEndpointLinks,
  visibleLegacyLinks,
  visibleVolumesFrom,
} from './inspect.ts';
import { ANY, NotUnderstood, type Span, scanJson, splice, stringAt, want } from './json-spans.ts';
import { HIDDEN_REF } from './references.ts';

/** What a container inspect answer is read for; everything else passes as the daemon sent it. */
const INSPECT = want({
  Id: true,
  Name: true,
  ResolvConfPath: true,
  HostnamePath: true,
  HostsPath: true,
  Config: { Labels: true, Env: true, Hostname: true },
  HostConfig: {
    NetworkMode: true,
    PidMode: true,
    IpcMode: true,
    Cgroup: true,
    VolumesFrom: true,
    Links: true,
  },
  NetworkSettings: { Networks: { [ANY]: { Links: true } } },
});

export type InspectTextOutcome =
  | { readonly visible: false }
  | { readonly visible: true; readonly text: string }
  /** A shape the scan does not take on: the full JSON path (filterInspect) decides. */
  | null;

type Edit = [number, number, string];

/**
 * filterInspect (inspect.ts) on the answer's text, for the same outcome without parsing and
 * serialising the whole answer (issue #26): the members it changes are found by a validating scan
 * (json-spans.ts) and replaced in place; the rest is the daemon's own bytes. The result is JSON-equal
 * to filterInspect's, and byte-equal to it wherever JSON.stringify(JSON.parse(text)) gives the text
 * back (test/unit/transforms/inspect-text.test.ts). Returns null for anything the scan does not
 * understand (invalid JSON, a member given twice, a top level that is no object, unusual numbers):
 * the caller then takes the full JSON path, never forwards the answer unrewritten.
 */
export async function filterInspectText(
  text: string,
  resolver: ContainerResolver,
  scrubEnvs: boolean,
  epoch?: number,
): Promise<InspectTextOutcome> {
  let top: Span;
  try {
    top = scanJson(text, INSPECT);
  } catch (error) {
    if (error instanceof NotUnderstood) return null;
    throw error;
  }
  const m = top.members;
  if (!m) return null;
  const id = m.get('Id');
  const name = m.get('Name');
  if (id?.type !== 'string' || name?.type !== 'string') return { visible: false };
  const config = objectMembers(m.get('Config'));
  const labelSpan = config?.get('Labels');
  const labels = labelSpan ? asLabels(JSON.parse(slice(text, labelSpan)) as unknown) : {};
  const identity = { id: stringAt(text, id), name: stripSlash(stringAt(text, name)), labels };
  if (!resolver.remember(identity, epoch).visible) return { visible: false };

  const edits: Edit[] = [];
  const configSpan = m.get('Config');
  if (scrubEnvs && config && configSpan) {
    const env = config.get('Env');
    if (env) edits.push([env.start, env.end, '[]']);
    else edits.push(appendMember(text, configSpan, '"Env":[]'));
  }
  await filterEndpointLinks(text, m.get('NetworkSettings'), resolver, edits);
  const host = objectMembers(m.get('HostConfig'));
  if (!host) return { visible: true, text: splice(text, edits) };
  const visibleRef = async (ref: string) => (await resolver.resolveOrNull(ref))?.visible ?? false;
  const hiddenIds = new Set<string>();
  for (const key of MODES) {
    const span = host.get(key);
    if (span?.type !== 'string') continue;
    const mode = stringAt(text, span);
    if (!mode.startsWith(CONTAINER_MODE)) continue;
    const ref = mode.slice(CONTAINER_MODE.length);
    if (ref === '' || (await visibleRef(ref))) continue;
    edits.push([span.start, span.end, JSON.stringify(`${CONTAINER_MODE}${HIDDEN_REF}`)]);
    hiddenIds.add(ref);
  }
  const volumesFrom = arrayAt(text, host.get('VolumesFrom'));
  if (volumesFrom) {
    const out = await visibleVolumesFrom(volumesFrom.value, visibleRef);
    edits.push([volumesFrom.span.start, volumesFrom.span.end, JSON.stringify(out)]);
  }
  const links = arrayAt(text, host.get('Links'));
  if (links) {
    const out = await visibleLegacyLinks(links.value, resolver);
    edits.push([links.span.start, links.span.end, JSON.stringify(out)]);
  }
  if (hiddenIds.size > 0) {
    for (const key of ['ResolvConfPath', 'HostnamePath', 'HostsPath'] as const) {
      hideIdsAt(text, m.get(key), hiddenIds, edits);
    }
    hideIdsAt(text, config?.get('Hostname'), hiddenIds, edits);
  }
  return { visible: true, text: splice(text, edits) };
}

function slice(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}

function objectMembers(span: Span | undefined): ReadonlyMap<string, Span> | null {
  return span?.type === 'object' && span.members ? span.members : null;
}

function arrayAt(text: string, span: Span | undefined): { span: Span; value: unknown[] } | null {
  return span?.type === 'array' ? { span, value: JSON.parse(slice(text, span)) as unknown[] } : null;
}

/** An edit that adds `member` as the object's last member (as assigning a new key does). */
function appendMember(text: string, object: Span, member: string): Edit {
  const close = object.end - 1;
  const empty = text.slice(object.start + 1, close).trim() === '';
  return [close, close, empty ? member : `,${member}`];
}

/** visibleEndpointLinks (inspect.ts) on each endpoint's `Links`, replaced only where it changes. */
async function filterEndpointLinks(
  text: string,
  settings: Span | undefined,
  resolver: ContainerResolver,
  edits: Edit[],
): Promise<void> {
  const networks = objectMembers(objectMembers(settings)?.get('Networks'));
  for (const endpoint of networks?.values() ?? []) {
    const links = arrayAt(text, objectMembers(endpoint)?.get('Links'));
    if (!links) continue;
    const out = await visibleEndpointLinks(links.value, resolver);
    if (JSON.stringify(out) !== JSON.stringify(links.value)) {
      edits.push([links.span.start, links.span.end, JSON.stringify(out)]);
    }
  }
}

function hideIdsAt(text: string, span: Span | undefined, ids: ReadonlySet<string>, edits: Edit[]): void {
  if (span?.type !== 'string') return;
  const before = stringAt(text, span);
  const after = hideIds(before, ids);
  if (after !== before) edits.push([span.start, span.end, JSON.stringify(after)]);
}
