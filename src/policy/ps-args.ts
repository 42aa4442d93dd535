/**
 * `GET /containers/{id}/top?ps_args=` runs the host's `ps` with these arguments and keeps the rows whose
 * PID column (found by its header) belongs to the container. BSD `e` prints each process's environment
 * (secrets, past SCRUB_ENVS); `-o`/`o`/`O`/`--format` choose and rename columns, so a column renamed
 * `PID` defeats the daemon's filter and lists other containers' processes. Only option letters that
 * select processes or one of ps's standard formats pass: UNIX options after one dash (`-ef`, `-eLf`,
 * `-elyww`) and the BSD letters `a`, `u`, `x`, `w` without a dash (`aux`, `auxww`).
 */
const UNIX = /^-[AeFfHjLlwy]+$/;
const BSD = /^[auxw]+$/;
const MAX_TOKENS = 4;

export const ALLOWED_PS_ARGS =
  'nothing (the daemon runs ps -ef), or up to 4 words each made of "-" and the letters AeFfHjLlwy (such as -ef, -eLf) or of the letters auxw alone (such as aux)';

/** True when ps would run with these arguments without printing environments or custom columns. */
export function isAllowedPsArgs(value: string): boolean {
  const tokens = value.split(/[ \t]+/).filter((t) => t !== '');
  if (tokens.length > MAX_TOKENS) return false;
  return tokens.every((t) => UNIX.test(t) || BSD.test(t));
}
