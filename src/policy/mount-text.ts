import type { DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import { createRuleRefusal } from './create-rules.ts';

/**
 * Podman's compat API does not read a `HostConfig.Mounts` entry as fields: it writes each one as
 * `--mount` text (`type=bind,source=…,target=…,ro=…,consistency=…,bind-propagation=…`) and parses that
 * text again as CSV, so a comma in a field adds options, and a later `source=` wins. Measured on Podman
 * 4.3: `Target: "/t,source=/etc"` binds the host's /etc read-write whatever Source was judged;
 * `Target: "/t,volume-opt=o=bind,volume-opt=device=/etc,volume-opt=type=none"` on a new volume does
 * too, with no host path named at all; `Source: "v,source=other"` mounts another volume than the one
 * judged; `Consistency: "default,U=true"` chowns a read-only host path. A double quote or a line break
 * makes the CSV another record or an error. dockerd reads each field as it is, so none of these
 * characters has a meaning there, and a path holding one is refused in every dialect.
 */
function isMountSyntax(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2c || c === 0x22 || c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The fields Podman writes into its mount text (cmd/podman/common/create_opts.go, addField). */
const FIELDS: readonly (readonly [string, (m: DecodedObject) => unknown])[] = [
  ['Source', (m) => m.Source],
  ['Target', (m) => m.Target],
  ['Consistency', (m) => m.Consistency],
  ['BindOptions.Propagation', (m) => (isObject(m.BindOptions) ? m.BindOptions.Propagation : undefined)],
];

/** Refuses a create whose `HostConfig.Mounts` hold a character that Podman's mount text reads as syntax. */
export function checkMountText(body: DecodedObject): void {
  const host = isObject(body.HostConfig) ? body.HostConfig : null;
  if (!host || !Array.isArray(host.Mounts)) return;
  for (const [i, mount] of host.Mounts.entries()) {
    if (!isObject(mount)) continue;
    for (const [name, read] of FIELDS) {
      const value = read(mount);
      if (typeof value === 'string' && isMountSyntax(value)) {
        throw createRuleRefusal(
          'mounts',
          `HostConfig.Mounts[${i}].${name}`,
          'a comma, a double quote or a control character there is read as more mount options by Podman',
        );
      }
    }
  }
}
