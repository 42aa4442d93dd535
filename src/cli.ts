import { readFile } from 'node:fs/promises';
import type { Invocation } from './cli-args.ts';
import type { Config } from './config/config.ts';
import { explainRequest } from './explain.ts';
import { compileClients } from './policy/clients.ts';
import type { CreateRules } from './policy/create-rules.ts';
import { ContainerDirectory } from './policy/directory.ts';
import type { ResourceLimits } from './policy/resource-limits.ts';
import { compileTemplates } from './routes/templates.ts';
import { createLogger } from './server/logger.ts';
import { formatAllow, suggestAllow } from './suggest.ts';
import { Upstream } from './upstream/client.ts';

/**
 * `dockscope check`: validates the configuration (the file, or the environment) as a start would, and
 * prints the effective listeners, clients and rules. `dockscope explain --client NAME METHOD PATH` (exit 1
 * when the request is refused, 0 when it passes the lists):
 * the decision dockscope takes for one request of that client before any container is looked up, and
 * the rule that makes it. Both print to stdout and exit 0, or print the error and exit 2.
 */
export async function runCommand(
  invocation: Extract<Invocation, { command: 'check' | 'explain' }>,
  config: Config,
): Promise<number> {
  const directory = new ContainerDirectory(
    new Upstream(config.upstream),
    config.cacheTtlMs,
    createLogger('silent'),
  );
  // Compiles everything a start compiles (token files, host names, templates): a failure is the start's.
  const clients = await compileClients(config.clients, directory);
  if (invocation.command === 'check') {
    const out = [
      `configuration: ${config.source} is valid`,
      `upstream: ${config.upstream.display}`,
      'listeners:',
    ];
    for (const l of config.listeners) {
      const where =
        'socketPath' in l.address ? `unix://${l.address.socketPath}` : `${l.address.host}:${l.address.port}`;
      const extra = [
        l.socket
          ? `owner ${l.socket.owner ?? '-'} group ${l.socket.group ?? '-'} mode ${l.socket.mode.toString(8).padStart(4, '0')}`
          : '',
        l.tls ? (l.tls.clientCa ? 'TLS, client certificates required' : 'TLS') : '',
      ].filter((x) => x !== '');
      out.push(`  ${l.name}: ${where}${extra.length ? ` (${extra.join('; ')})` : ''}`);
    }
    out.push('clients (tried in this order):');
    for (const c of config.clients) {
      const match =
        Object.keys(c.match).length === 0 ? 'every request' : JSON.stringify(redactToken(c.match));
      out.push(`  ${c.name}: matches ${match}`);
      out.push(
        `    containers: ${c.containers === 'all' ? 'all' : JSON.stringify(c.containers)}; scrubEnvs: ${c.scrubEnvs}`,
      );
      out.push(
        `    create: ${c.create === null ? 'unrestricted (no create rules)' : describeCreate(c.create)}`,
      );
      if (c.limits) out.push(`    limits: ${describeLimits(c.limits)}`);
      if (c.registries) {
        const list = (l: readonly { text: string }[] | null) =>
          l ? l.map((p) => p.text).join(', ') : 'not listed';
        out.push(`    registries: pull ${list(c.registries.pull)}; push ${list(c.registries.push)}`);
      }
      if (c.deny)
        out.push(
          `    deny: ${compileTemplates(c.deny)
            .map((t) => t.text)
            .join(', ')}`,
        );
      out.push(
        `    allow: ${
          c.allow
            ? compileTemplates(c.allow)
                .map((t) => t.text)
                .join(', ')
            : 'every route dockscope knows'
        }`,
      );
    }
    // Not an error (issue #22): in compose a service's name resolves only while it runs.
    for (const name of clients.unresolved)
      out.push(`warning: ${name} does not resolve now; it matches nothing until it does`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  const { client: name, method, path } = invocation;
  if (!clients.names.includes(name)) {
    process.stderr.write(`dockscope: no client is named "${name}" (clients: ${clients.names.join(', ')})\n`);
    return 2;
  }
  const client = clients.identifyByName(name);
  const { exit, line } = await explainRequest(client, method, path, config.upstreamTimeoutMs);
  process.stdout.write(`${line}\n`);
  return exit;
}

function describeLimits(limits: ResourceLimits): string {
  const one = (memory: bigint | null, nano: bigint | null, pids: bigint | null) =>
    [
      memory === null ? '' : `memory ${memory} bytes`,
      nano === null ? '' : `cpus ${Number(nano) / 1e9}`,
      pids === null ? '' : `pids ${pids}`,
    ]
      .filter((x) => x !== '')
      .join(', ') || 'none';
  const { defaults: d } = limits;
  return `at most ${one(limits.memory, limits.nanoCpus, limits.pids)}; defaults ${one(d.memory ?? limits.memory, d.nanoCpus ?? limits.nanoCpus, d.pids ?? limits.pids)}`;
}

function redactToken(match: Config['clients'][number]['match']) {
  return match.token
    ? { ...match, token: match.token.file ? { file: match.token.file } : { env: match.token.env } }
    : match;
}

/** The create rules, saying only what they allow (everything else is refused). */
function describeCreate(rules: CreateRules): string {
  const allowed: string[] = [];
  if (rules.privileged) allowed.push('privileged');
  if (rules.hostNamespaces.length) allowed.push(`host namespaces ${rules.hostNamespaces.join(', ')}`);
  if (rules.hostPaths.length)
    allowed.push(
      `host paths ${rules.hostPaths.map((p) => (p.readOnly ? `${p.path} (read-only)` : p.path)).join(', ')}`,
    );
  if (rules.devices) allowed.push('devices');
  if (rules.capAdd.length) allowed.push(`capabilities ${rules.capAdd.join(', ')}`);
  if (rules.securityOpt.length) allowed.push(`security options ${rules.securityOpt.join(', ')}`);
  if (rules.sysctls.length) allowed.push(`sysctls ${rules.sysctls.join(', ')}`);
  if (rules.volumeDrivers.length) allowed.push(`volume drivers ${rules.volumeDrivers.join(', ')}`);
  if (rules.networkDrivers.length) allowed.push(`network drivers ${rules.networkDrivers.join(', ')}`);
  if (rules.logDrivers.length) allowed.push(`logging drivers ${rules.logDrivers.join(', ')}`);
  if (rules.runtimes.length) allowed.push(`runtimes ${rules.runtimes.join(', ')}`);
  if (rules.annotations) allowed.push('annotations');
  if (rules.cgroupParent) allowed.push('cgroupParent');
  if (rules.fetch) allowed.push('fetch');
  if (rules.swarm) allowed.push('swarm');
  if (rules.plugins) allowed.push('plugins');
  return `rules in force; allowed beyond a plain container: ${allowed.length ? allowed.join('; ') : 'nothing'}`;
}

/** `dockscope suggest --client NAME [AUDIT_LOG]`: reads audit lines (the file, or stdin). */
export async function runSuggest(client: string, file: string | undefined): Promise<number> {
  let text: string;
  try {
    text = file ? await readFile(file, 'utf8') : await readStdin();
  } catch (error) {
    process.stderr.write(
      `dockscope: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`,
    );
    return 2;
  }
  const entries = suggestAllow(text.split('\n'), client);
  if (entries.length === 0) {
    process.stderr.write(
      `dockscope: no audit line of client "${client}" (is it in learn mode, with an audit log?)\n`,
    );
    return 1;
  }
  process.stdout.write(formatAllow(entries));
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
