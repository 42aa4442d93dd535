import { errors } from '../errors.ts';
import { checkHostNamespace, createRuleRefusal } from './create-rules.ts';
import { ownedBuild } from './decide-owned.ts';
import { checkRegistryRoute } from './decide-registry.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';

export type { BuildClaims } from './forward.ts';

/**
 * The `remote` values that name no URL: BuildKit's context from the client's session, or from an
 * upload of the same build id. The daemon compares them exactly.
 */
const SESSION_REMOTES = new Set(['client-session', 'upload-request']);

/**
 * `POST /build`, classic and BuildKit (`version=2`) alike: the query is what both builders read
 * (network mode, remote context, labels), and a session or build id the request names must be this
 * client's.
 */
export async function decideBuild(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  const session = await claimSession(input);
  try {
    checkBuildQuery(input, ctx);
    await checkRegistryRoute(input, ctx);
    claimBuildId(input);
    const path = ctx.owner ? await ownedBuild(input, ctx.owner, ctx) : input.raw;
    return { path: withPrivateBuildNetwork(path, ctx), treatment: 'relay' };
  } catch (error) {
    // The CLI 20.10 hangs when its build is refused while it serves the session (its Close does not
    // end the session's connection): a refused build's session has nothing left to serve.
    if (session !== '') input.builds?.endSession(session);
    throw error;
  }
}

/**
 * Query parameters of Podman's compat build that dockerd does not read, each a way out (measured on
 * 4.3): `nsoptions` joins the host's namespaces (`[{"Name":"pid","Host":true}]`: the RUN step sees the
 * host's processes), `devices` the host's devices, `addcaps` adds capabilities (CAP_SYS_ADMIN),
 * `securityopt` drops seccomp (`["seccomp=unconfined"]`), `rusagelogfile` writes a file of the host,
 * and `seccomp`, `apparmor`, `labelopts` set the build's confinement. Podman matches parameter names
 * as Go's EqualFold does (gorilla/schema): `NSOPTIONS` and `nſoptions` are `nsoptions` too.
 */
const PODMAN_BUILD_PARAMS: ReadonlySet<string> = new Set([
  ...['nsoptions', 'devices', 'addcaps', 'securityopt'],
  ...['seccomp', 'apparmor', 'labelopts', 'rusagelogfile'],
]);

/** A query parameter's name as Go's EqualFold compares it (ſ is s, the Kelvin sign k). */
const foldName = (name: string): string => name.toLowerCase().replaceAll('ſ', 's');

/**
 * Podman's compat build runs every RUN step in the host's network namespace unless `nsoptions` says
 * otherwise, whatever `networkmode` is (measured on 4.3: `none`, `bridge` and the default all reach a
 * listener on the host's 127.0.0.1 and list the host's interfaces). Under create rules that do not
 * allow the host's network, a private one is asked for. dockerd does not read the parameter, and it is
 * sent whatever kind the upstream was detected as: a socket proxy that hides Podman's /version and
 * header must not take this away.
 */
function withPrivateBuildNetwork(path: string, ctx: DecideContext): string {
  const { create } = ctx;
  if (!create || create.hostNamespaces.includes('network')) return path;
  const param = `nsoptions=${encodeURIComponent(JSON.stringify([{ Name: 'network', Host: false }]))}`;
  return `${path}${path.includes('?') ? '&' : '?'}${param}`;
}

function checkBuildQuery(input: DecideInput, ctx: DecideContext): void {
  const { create } = ctx;
  const query = input.target.query;
  for (const name of create ? query.keys() : []) {
    if (PODMAN_BUILD_PARAMS.has(foldName(name))) {
      throw createRuleRefusal(
        'hostNamespaces',
        `the ${JSON.stringify(name.length > 32 ? `${name.slice(0, 32)}...` : name)} query`,
        "Podman's build reads it, and it may reach the host (namespaces, devices, capabilities, seccomp, host files)",
      );
    }
  }
  const mode = query.get('networkmode') ?? '';
  if (mode.startsWith('container:'))
    throw errors.refused("building in another container's network is refused");
  if (create && mode.toLowerCase() === 'host') checkHostNamespace(create, 'network', 'the networkmode query');
  const remote = query.get('remote') ?? '';
  if (create && !create.fetch && remote !== '' && !SESSION_REMOTES.has(remote)) {
    throw createRuleRefusal('fetch', 'the remote query', "the daemon would fetch it from the host's network");
  }
}

/**
 * The session the build names, claimed for this client (returned), or a refusal. Judged first, so
 * that any refusal comes once the CLI's session is open (the CLI opens it alongside the build).
 */
async function claimSession(input: DecideInput): Promise<string> {
  const session = input.target.query.get('session') ?? '';
  if (session === '') return '';
  const holder = input.builds ? await input.builds.claimSession(session) : 'none';
  if (holder === 'other') {
    throw errors.refused('the build names a BuildKit session that another client opened');
  }
  if (holder === 'none') {
    throw errors.refused(
      'the build names a BuildKit session that is not open: open it through dockscope (POST /session) on this client',
    );
  }
  return session;
}

function claimBuildId(input: DecideInput): void {
  // The daemon strips this prefix: an upload for build X feeds X's context (builder-next).
  const buildId = (input.target.query.get('buildid') ?? '').replace(/^upload-request:/, '');
  if (buildId === '') return;
  const held = input.builds ? input.builds.claimBuild(buildId) : 'other';
  if (held === 'other') throw errors.refused('the buildid is held by a build of another client');
  if (held === 'full') throw errors.busy('dockscope holds too many running builds; try again shortly');
}

/** `POST /build/cancel?id=`: only a running build of this client. */
export function decideBuildCancel(input: DecideInput): Forwarding {
  const id = input.target.query.get('id') ?? '';
  if (id === '' || !input.builds?.ownsBuild(id)) {
    throw errors.refused('the id names no running build of this client');
  }
  return { path: input.raw, treatment: 'relay' };
}
