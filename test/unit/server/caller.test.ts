import type * as http from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CallerAddresses } from '../../../src/policy/caller-addresses.ts';
import type { CallerContainer } from '../../../src/policy/caller-container.ts';
import type { Caller, Client, Clients } from '../../../src/policy/clients.ts';
import {
  callerOf,
  dropToken,
  identifyRequest,
  keptCaller,
  nameListener,
  withContainer,
} from '../../../src/server/caller.ts';

const container: CallerContainer = { id: 'c1', name: 'web', labels: {}, imageId: '', client: null };

/** Clients that identify by a fixed rule, with or without tokens and container clients. */
function clients(opts: { tokens?: boolean; containers?: boolean; async?: boolean } = {}) {
  const seen: Caller[] = [];
  const c = {
    usesTokens: opts.tokens ?? false,
    needsContainer: () => opts.containers ?? false,
    identify: (caller: Caller) => {
      seen.push(caller);
      const profile = { name: caller.container ? 'by-container' : 'default' } as Client;
      return opts.async ? Promise.resolve(profile) : profile;
    },
  } as unknown as Clients;
  return { clients: c, seen };
}

const addresses = (found: CallerContainer | null) => {
  const asked: (string | undefined)[] = [];
  const a = {
    locate: async (address: string | undefined) => {
      asked.push(address);
      return found;
    },
  } as unknown as CallerAddresses;
  return { addresses: a, asked };
};

const request = (headers: Record<string, string>, socket: Partial<Socket> & Record<string, unknown> = {}) =>
  ({
    headers: { ...headers },
    socket: { remoteAddress: '10.0.0.1', ...socket },
  }) as unknown as http.IncomingMessage;

describe('who sends a request', () => {
  it('callerOf: the listener named for its socket, its address and headers; no certificate on plain TCP', () => {
    const req = request({ authorization: 'Bearer t' });
    nameListener(req.socket as Socket, 'tcp-main');
    expect(callerOf(req)).toEqual({
      listener: 'tcp-main',
      address: '10.0.0.1',
      headers: { authorization: 'Bearer t' },
    });
    expect(callerOf(request({})).listener).toBe('');
  });

  it('callerOf: a TLS client certificate gives its CN and typed SANs', () => {
    const req = request(
      {},
      {
        getPeerCertificate: () => ({
          subject: { CN: 'ci-runner' },
          subjectaltname: 'DNS:ci.example, IP Address:10.0.0.9',
        }),
      },
    );
    expect(callerOf(req).certificate).toEqual({
      cn: 'ci-runner',
      san: [
        { type: 'DNS', value: 'ci.example' },
        { type: 'IP', value: '10.0.0.9' },
      ],
    });
    // A TLS socket without a client certificate answers an empty object: no certificate.
    expect(callerOf(request({}, { getPeerCertificate: () => ({}) })).certificate).toBeUndefined();
  });

  it('dropToken: the token goes only when some client uses tokens', () => {
    const a = request({ authorization: 'Bearer t', host: 'x' });
    dropToken(clients({ tokens: true }).clients, a);
    expect(a.headers).toEqual({ host: 'x' });
    const b = request({ authorization: 'Basic u:p' });
    dropToken(clients({ tokens: false }).clients, b);
    expect(b.headers).toEqual({ authorization: 'Basic u:p' });
  });

  it('keptCaller puts the token back in a copy', () => {
    const caller: Caller = { listener: 'l', address: '10.0.0.1', headers: { host: 'x' } };
    expect(keptCaller(caller, undefined)).toBe(caller);
    const kept = keptCaller(caller, 'Bearer t');
    expect(kept.headers).toEqual({ host: 'x', authorization: 'Bearer t' });
    expect(caller.headers).toEqual({ host: 'x' });
  });

  it('withContainer looks the address up only when a container client could match', async () => {
    const caller: Caller = { listener: 'l', address: '172.18.0.5', headers: {} };
    const none = addresses(container);
    expect(withContainer(clients().clients, none.addresses, caller)).toBe(caller);
    expect(withContainer(clients({ containers: true }).clients, undefined, caller)).toBe(caller);
    expect(none.asked).toEqual([]);
    const found = addresses(container);
    expect(await withContainer(clients({ containers: true }).clients, found.addresses, caller)).toEqual({
      ...caller,
      container,
    });
    expect(found.asked).toEqual(['172.18.0.5']);
    expect(
      await withContainer(clients({ containers: true }).clients, addresses(null).addresses, caller),
    ).toEqual({
      ...caller,
      container: null,
    });
  });

  it.each<[string, { tokens: boolean; containers?: boolean; async?: boolean }, boolean]>([
    ['at once, with no container client', { tokens: true }, false],
    ['after the look-up, with a container client', { tokens: true, containers: true }, true],
    ['after an asynchronous identification', { tokens: true, async: true }, true],
  ])(
    'identifyRequest: %s; the client named, the token dropped, and kept for a reload',
    async (_what, opts, isPromise) => {
      const req = request({ authorization: 'Bearer t' });
      const sender = callerOf(req);
      const bindings: Record<string, unknown> = {};
      const c = clients(opts);
      const identity = identifyRequest(c.clients, addresses(container).addresses, req, sender, bindings);
      const result = identity.identify();
      expect(result instanceof Promise).toBe(isPromise);
      const profile = await result;
      expect(profile.name).toBe(opts.containers ? 'by-container' : 'default');
      expect(bindings).toEqual({ client: profile.name });
      expect(req.headers.authorization).toBeUndefined();
      expect(identity.kept().headers.authorization).toBe('Bearer t');
    },
  );
});
