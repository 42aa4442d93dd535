import { readFile } from 'node:fs/promises';
import type { ClientMatch, Env } from '../config/config.ts';
import { describeErrno } from '../errno-text.ts';

/**
 * A token client's secret, from its file or its environment variable, trimmed. Each failure names its
 * cause (issue #22): the errno and the file, or the variable and whether it is unset or empty. The one
 * reader of token secrets: the server's client rules and the healthcheck's probe both use it.
 */
export async function readTokenSecret(
  token: NonNullable<ClientMatch['token']>,
  env: Env,
  where: string,
): Promise<string> {
  const { file, env: variable = '' } = token;
  const secret = file
    ? (
        await readFile(file, 'utf8').catch((error: unknown) => {
          throw new Error(`${where}.match.token.file: cannot read ${file}: ${describeErrno(error)}`);
        })
      ).trim()
    : (env[variable] ?? '').trim();
  if (secret === '') {
    throw new Error(
      file
        ? `${where}.match.token.file: the token file ${file} is empty`
        : `${where}.match.token.env: the environment variable ${variable} is ${env[variable] === undefined ? 'unset' : 'empty'}: set it to the token`,
    );
  }
  return secret;
}
