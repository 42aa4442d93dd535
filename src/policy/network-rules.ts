import type { DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import type { CreateRules } from './create-rules.ts';
import { createRuleRefusal } from './create-rules.ts';

const NETWORK_DRIVERS = new Set(['', 'bridge']);
const IPAM_DRIVERS = new Set(['', 'default']);
/** Network options that attach a network to an existing interface or bridge of the host. */
const HOST_INTERFACE_OPTIONS = ['com.docker.network.bridge.name', 'parent'];

/** A decoded network create body: its drivers and the options that reach host interfaces. */
export function checkNetworkCreate(rules: CreateRules, body: DecodedObject): void {
  const driver = typeof body.Driver === 'string' ? body.Driver : '';
  if (!NETWORK_DRIVERS.has(driver) && !rules.networkDrivers.includes(driver)) {
    throw createRuleRefusal(
      'networkDrivers',
      'Driver',
      `the network driver ${JSON.stringify(driver)} is not allowed`,
    );
  }
  const ipam = isObject(body.IPAM) ? body.IPAM : null;
  const ipamDriver = typeof ipam?.Driver === 'string' ? ipam.Driver : '';
  if (!IPAM_DRIVERS.has(ipamDriver) && !rules.networkDrivers.includes(ipamDriver)) {
    throw createRuleRefusal(
      'networkDrivers',
      'IPAM.Driver',
      `the IPAM driver ${JSON.stringify(ipamDriver)} is not allowed`,
    );
  }
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
