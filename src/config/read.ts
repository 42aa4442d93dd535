import { readFileSync } from 'node:fs';
import type { Config, Env } from './config.ts';
import { loadConfig } from './config.ts';
import { ConfigFileError } from './file.ts';

/** The configuration file asked for: `--config`, else DOCKSCOPE_CONFIG; undefined: the environment alone. */
export function configPath(flag: string | undefined, env: Env): string | undefined {
  return flag ?? (env.DOCKSCOPE_CONFIG?.trim() || undefined);
}

/**
 * Reads and validates the configuration whole: the server at start and at each reload, and the
 * healthcheck, which must probe what the server serves.
 */
export function readConfiguration(path: string | undefined, env: Env): Config {
  let file: { path: string; text: string } | undefined;
  if (path !== undefined) {
    try {
      file = { path, text: readFileSync(path, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigFileError(path, null, '', `cannot be read (${code})`);
    }
  }
  return loadConfig(env, file);
}
