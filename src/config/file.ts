import { posix } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseSanEntry } from '../policy/cert-san.ts';
import type { CreateRules } from '../policy/create-rules.ts';
import { NO_WAY_OUT, normalizeCapability } from '../policy/create-rules.ts';
import type { Ownership } from '../policy/ownership.ts';
import { DEFAULT_OWNER_LABEL } from '../policy/ownership.ts';
import { compileRouteRules } from '../routes/templates.ts';
import type { AuditTarget, ClientConfig, ClientMatch, ListenAddress, ListenerConfig } from './config.ts';
import { callerContainerRules, visibilityTexts } from './file-identity.ts';
import { describeIssue, innermost, knownKeys, nearestKey } from './file-issues.ts';
import { registryLists, resourceLimits } from './file-limits.ts';
import type { FileSettings } from './file-schema.ts';
import { fileSchema } from './file-schema.ts';
import { parseAuditTarget, parseDuration, parseListen } from './values.ts';

/** A configuration file error: the file, the line, the key, and what is expected. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(file: string, line: number | null, key: string, problem: string) {
    super(`${file}${line === null ? '' : `:${line}`}: ${key ? `${key}: ` : ''}${problem}`);
  }
}

/** What a configuration file says, validated whole. */
interface ParsedFile {
  readonly settings: Omit<FileSettings, 'listeners' | 'clients'>;
  readonly listeners: readonly ListenerConfig[];
  readonly clients: readonly ClientConfig[];
  readonly admin: ListenAddress | undefined;
  readonly audit: AuditTarget | undefined;
}

/**
 * Parses and validates a configuration file. Every error names the file, the line and the key, and
 * says what is expected; nothing is half-accepted.
 */
export function parseConfigFile(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const [yamlError] = doc.errors;
  if (yamlError) {
    const at = yamlError.pos?.[0];
    throw new ConfigFileError(
      file,
      at === undefined ? null : lines.linePos(at).line,
      '',
      `not valid YAML: ${yamlError.message.split('\n')[0]}`,
    );
  }
  const lineOf = (path: readonly PropertyKey[]): number | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as
        | { range?: [number, number] }
        | undefined;
      if (node && typeof node === 'object' && Array.isArray(node.range))
        return lines.linePos(node.range[0]).line;
    }
    return null;
  };
  /** The line of a key of the map at `path`. */
  const keyLine = (path: readonly PropertyKey[], key: string): number | null => {
    const map = doc.getIn(path as (string | number)[], true) as { items?: unknown[] } | undefined;
    for (const item of map?.items ?? []) {
      const k = (item as { key?: { value?: unknown; range?: [number, number] } }).key;
      if (k && String(k.value) === key && Array.isArray(k.range)) return lines.linePos(k.range[0]).line;
    }
    return null;
  };
  const keyOf = (path: readonly PropertyKey[]) =>
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  const fail = (path: readonly PropertyKey[], problem: string): never => {
    throw new ConfigFileError(file, lineOf(path), keyOf(path), problem);
  };

  const raw: unknown = doc.toJS();
  // A client without `containers` is refused with what to write, as the environment refuses a start
  // without lists (issue #22): seeing every container is said, never assumed.
  const rawClients = (raw as { clients?: unknown } | null)?.clients;
  for (const [i, client] of (Array.isArray(rawClients) ? rawClients : []).entries()) {
    if (client && typeof client === 'object' && !('containers' in client)) {
      fail(
        ['clients', i],
        'no "containers": say which containers it sees (containers: { names: [web, db] }, ' +
          '{ labels: [homepage] }, owned), or write containers: all for every container',
      );
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = innermost(parsed.error.issues[0]);
    if (issue?.code === 'unrecognized_keys') {
      // The line of the unknown key itself, and the known key it is nearest to (issue #22).
      const [key = ''] = issue.keys;
      const near = nearestKey(key, knownKeys(fileSchema, issue.path));
      throw new ConfigFileError(
        file,
        keyLine(issue.path, key) ?? lineOf(issue.path),
        keyOf(issue.path),
        `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`,
      );
    }
    fail(issue?.path ?? [], describeIssue(issue));
  }
  const data = (parsed as { data: FileSettings }).data;

  // Durations are checked here too, so that an error names the file's line.
  for (const key of ['cacheTtl', 'upstreamTimeout'] as const) {
    try {
      parseDuration(key, data[key], 0, key === 'cacheTtl' ? '2s' : '60s');
    } catch (error) {
      fail(
        [key],
        (error as Error).message.replace(/^\w+: /, '').replace(/\. Example: \w+=(\S+)$/, ' (such as $1)'),
      );
    }
  }

  const listenerNames = new Set<string>();
  const listeners = data.listeners.map((l, i): ListenerConfig => {
    if (listenerNames.has(l.name)) fail(['listeners', i, 'name'], `"${l.name}" names two listeners`);
    listenerNames.add(l.name);
    let address: ListenerConfig['address'];
    try {
      address = parseListen(l.address);
    } catch (error) {
      return fail(
        ['listeners', i, 'address'],
        `${(error as Error).message} (expected host:port, [::]:port or unix:///path)`,
      );
    }
    if (l.socket && !('socketPath' in address))
      fail(['listeners', i, 'socket'], 'only a unix:// address has socket settings');
    if (l.tls && 'socketPath' in address) fail(['listeners', i, 'tls'], 'TLS is for TCP addresses');
    return {
      name: l.name,
      address,
      ...(l.socket
        ? {
            socket: {
              mode: Number.parseInt(l.socket.mode, 8),
              ...(l.socket.owner === undefined ? {} : { owner: l.socket.owner }),
              ...(l.socket.group === undefined ? {} : { group: l.socket.group }),
            },
          }
        : {}),
      ...(l.tls ? { tls: l.tls } : {}),
    };
  });

  const clientNames = new Set<string>();
  const clients = data.clients.map((c, i): ClientConfig => {
    const at = (...rest: PropertyKey[]) => ['clients', i, ...rest];
    if (clientNames.has(c.name)) fail(at('name'), `"${c.name}" names two clients`);
    clientNames.add(c.name);
    for (const name of c.match.listener ?? []) {
      if (!listenerNames.has(name)) fail(at('match', 'listener'), `no listener is named "${name}"`);
    }
    for (const [j, entry] of (c.match.certificate?.san ?? []).entries()) {
      try {
        parseSanEntry(entry);
      } catch (error) {
        fail(at('match', 'certificate', 'san', j), (error as Error).message);
      }
    }
    let containers: ClientConfig['containers'] = 'all';
    const owner: Ownership | null =
      c.owner === undefined
        ? null
        : {
            key: data.ownerLabel ?? DEFAULT_OWNER_LABEL,
            owner: c.owner,
            ...(c.sharedImages ? { sharedImages: c.sharedImages } : {}),
          };
    if (c.sharedImages !== undefined && !owner)
      fail(at('sharedImages'), 'sharedImages applies to a client with an owner: give it an "owner" value');
    const spec = c.containers === 'owned' ? { owned: true } : c.containers;
    if (spec !== 'all') {
      if (spec.owned && !owner)
        fail(at('containers'), 'owned containers need an owner: give the client an "owner" value');
      const { mode, labels } = visibilityTexts(spec, (...keys) => at('containers', ...keys), fail);
      containers = {
        names: spec.names ?? [],
        labels,
        match: mode,
        ...(spec.owned && owner ? { owned: owner } : {}),
      };
    }
    try {
      compileRouteRules(c.allow, c.deny);
    } catch (error) {
      fail(at(c.allow ? 'allow' : 'deny'), (error as Error).message);
    }
    const { container: callerContainer, ...byConnection } = c.match;
    const match: ClientMatch = callerContainer
      ? {
          ...byConnection,
          container: callerContainerRules(
            callerContainer,
            (...keys) => at('match', 'container', ...keys),
            fail,
          ),
        }
      : byConnection;
    let create: CreateRules | null;
    if (c.create === 'unrestricted') create = null;
    else if (c.create === undefined) create = containers === 'all' ? null : NO_WAY_OUT;
    else {
      const hostPaths = c.create.hostPaths.map((entry, j) => {
        const rule = typeof entry === 'string' ? { path: entry, readOnly: false } : entry;
        const clean =
          rule.path === '/' || (posix.normalize(rule.path) === rule.path && !rule.path.endsWith('/'));
        if (!rule.path.startsWith('/') || !clean)
          fail(at('create', 'hostPaths', j), `"${rule.path}" is not an absolute, clean path such as /srv/ci`);
        return rule;
      });
      for (const [j, cap] of c.create.capAdd.entries()) {
        if (!/^[A-Za-z_]+$/.test(cap))
          fail(at('create', 'capAdd', j), `"${cap}" is not a capability name such as NET_ADMIN`);
      }
      create = { ...c.create, hostPaths, capAdd: c.create.capAdd.map(normalizeCapability) };
    }
    const limits = c.limits ? resourceLimits(c.limits, (...keys) => at('limits', ...keys), fail) : null;
    const registries = c.registries
      ? registryLists(c.registries, (...keys) => at('registries', ...keys), fail)
      : null;
    return {
      name: c.name,
      match,
      containers,
      scrubEnvs: c.scrubEnvs,
      create,
      limits,
      registries,
      owner,
      mode: c.mode,
      ...(c.allow ? { allow: c.allow } : {}),
      ...(c.deny ? { deny: c.deny } : {}),
    };
  });

  let admin: ListenAddress | undefined;
  if (data.admin) {
    try {
      admin = parseListen(data.admin.address);
    } catch (error) {
      fail(['admin', 'address'], `${(error as Error).message} (expected host:port or unix:///path)`);
    }
  }
  let audit: AuditTarget | undefined;
  if (data.audit) {
    try {
      audit = parseAuditTarget(data.audit);
    } catch (error) {
      fail(['audit'], (error as Error).message);
    }
  }
  const { listeners: _l, clients: _c, admin: _a, audit: _u, ...settings } = data;
  return { settings, listeners, clients, admin, audit };
}
