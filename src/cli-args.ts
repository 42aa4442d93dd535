import { readFileSync } from 'node:fs';
import { editDistance } from './config/env-names.ts';

/** What the command line asks for, read whole before anything starts. */
export type Invocation =
  | { readonly command: 'serve'; readonly config?: string }
  | { readonly command: 'check'; readonly config?: string }
  | {
      readonly command: 'explain';
      readonly config?: string;
      readonly client: string;
      readonly method: string;
      readonly path: string;
    }
  | { readonly command: 'suggest'; readonly client: string; readonly file?: string }
  | { readonly command: 'help' }
  | { readonly command: 'version' };

export const USAGE = `usage: dockscope [serve] [--config FILE]        serve (the default)
       dockscope check [--config FILE]          validate the configuration, print what is in force
       dockscope explain [--config FILE] --client NAME METHOD PATH
                                                the decision for one request of that client
       dockscope suggest --client NAME [AUDIT_LOG]
                                                the allow list a learn-mode client needs
       dockscope --help | --version

Without --config (or DOCKSCOPE_CONFIG), dockscope is configured by environment variables
(PROXY_URL, CONTAINER_NAMES, CONTAINER_LABELS, SCRUB_ENVS, LISTEN, ...): see the README.
`;

/** A command line dockscope does not understand: exit code 2, with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const COMMANDS = ['serve', 'check', 'explain', 'suggest', 'help', 'version'] as const;
type Command = (typeof COMMANDS)[number];
/** The flags each command takes (all with a value); `suggest` has always ignored --config. */
const FLAGS: Readonly<Record<Command, readonly string[]>> = {
  serve: ['--config'],
  check: ['--config'],
  explain: ['--config', '--client'],
  suggest: ['--config', '--client'],
  help: [],
  version: [],
};

const closest = (word: string, known: readonly string[]) =>
  known.find((k) => editDistance(word, k) <= 2 && word.length > 1);

/**
 * Reads the arguments after `node main.js`. Anything not understood is an error (issue #22): an
 * ignored `--confg x.yml` or `chek` would start a full proxy without the configuration meant.
 */
export function parseArgs(argv: readonly string[]): Invocation {
  if (argv.some((a) => a === '--help' || a === '-h')) return { command: 'help' };
  if (argv.some((a) => a === '--version' || a === '-V')) return { command: 'version' };
  let command: Command | undefined;
  const flags = new Map<string, string>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const allowed = FLAGS[command ?? 'serve'].concat(command === undefined ? ['--client'] : []);
      if (!allowed.includes(name)) {
        if (name === '--client' || name === '--config')
          throw new UsageError(`${name} is not an option of ${command}`);
        const meant = closest(name, ['--config', '--client', '--help', '--version']);
        throw new UsageError(
          `unknown option "${name}"${command ? ` for ${command}` : ''}${meant ? ` (did you mean ${meant}?)` : ''}`,
        );
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('-')))
        throw new UsageError(`${name} needs a value`);
      if (flags.has(name)) throw new UsageError(`${name} is given twice`);
      flags.set(name, value);
    } else if (command === undefined && words.length === 0) {
      if (!(COMMANDS as readonly string[]).includes(arg)) {
        const meant = closest(arg, COMMANDS);
        throw new UsageError(`unknown command "${arg}"${meant ? ` (did you mean ${meant}?)` : ''}`);
      }
      command = arg as Command;
    } else words.push(arg);
  }
  const chosen = command ?? 'serve';
  for (const name of flags.keys()) {
    if (!FLAGS[chosen].includes(name)) throw new UsageError(`${name} is not an option of ${chosen}`);
  }
  const config = flags.get('--config');
  const client = flags.get('--client');
  const withConfig = config === undefined ? {} : { config };
  const extra = (max: number) => {
    if (words.length > max) throw new UsageError(`unexpected argument "${words[max]}" for ${chosen}`);
  };
  switch (chosen) {
    case 'help':
    case 'version':
      extra(0);
      return chosen === 'help' ? { command: 'help' } : { command: 'version' };
    case 'serve':
      extra(0);
      return { command: 'serve', ...withConfig };
    case 'check':
      extra(0);
      return { command: 'check', ...withConfig };
    case 'explain': {
      extra(2);
      const [method, path] = words;
      if (!client || !method || !path)
        throw new UsageError('explain needs --client NAME, a METHOD and a PATH');
      return { command: 'explain', ...withConfig, client, method, path };
    }
    case 'suggest':
      extra(1);
      if (!client) throw new UsageError('suggest needs --client NAME');
      return { command: 'suggest', client, ...(words[0] === undefined ? {} : { file: words[0] }) };
  }
}

/** The version in package.json, which the image and an npm install both carry. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
