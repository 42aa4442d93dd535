import type { DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import type { CreateRules } from './create-rules.ts';
import { createRuleRefusal } from './create-rules.ts';

const NETWORK_DRIVERS = new Set(['', 'bridge']);
const IPAM_DRIVERS = new Set(['', 'default']);
/** Network options that attach a network to an existing interface or bridge of the host. */
const HOST_INTERFACE_OPTIONS = ['com.docker.network.bridge.name', 'parent'];

/** A network or IPAM driver: a built-in one, or one the client's `networkDrivers` names. */
function checkDriver(
  rules: CreateRules,
  field: string,
  what: string,
  driver: string,
  builtIn: ReadonlySet<string>,
): void {
  if (builtIn.has(driver) || rules.networkDrivers.includes(driver)) return;
  throw createRuleRefusal(
    'networkDrivers',
    field,
    `the ${what} driver ${JSON.stringify(driver)} is not allowed`,
  );
}

/** A decoded network create body: its drivers and the options that reach host interfaces. */
export function checkNetworkCreate(rules: CreateRules, body: DecodedObject): void {
  const driver = typeof body.Driver === 'string' ? body.Driver : '';
  checkDriver(rules, 'Driver', 'network', driver, NETWORK_DRIVERS);
  const ipam = isObject(body.IPAM) ? body.IPAM : null;
  checkDriver(
    rules,
    'IPAM.Driver',
    'IPAM',
    typeof ipam?.Driver === 'string' ? ipam.Driver : '',
    IPAM_DRIVERS,
  );
  const options = isObject(body.Options) ? body.Options : null;
  for (const key of HOST_INTERFACE_OPTIONS) {
    if (options?.[key] !== undefined && !rules.networkDrivers.includes(driver)) {
      throw createRuleRefusal(
        'networkDrivers',
        `Options[${JSON.stringify(key)}]`,
        'it attaches the network to an existing interface of the host',
      );
    }
  }
}
