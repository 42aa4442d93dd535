import { describe, expect, it } from 'vitest';
import type { Caller, Client, Clients } from '../../../src/policy/clients.ts';
import type { Observer } from '../../../src/server/observe.ts';
import { OpenSessions } from '../../../src/server/sessions.ts';

const base: Observer = { complete: () => {}, streamOpened: () => () => {} };
const caller = (token: string): Caller => ({
  listener: 'lan',
  address: '127.0.0.1',
  headers: { authorization: `Bearer ${token}` },
});
/** Clients that know tokens by client name; any other token is refused (as a 401 would be). */
const clientsOf = (tokens: Record<string, string>): Clients => ({
  names: Object.values(tokens),
  usesTokens: true,
  unresolved: [],
  needsContainer: () => false,
  identifyByName: () => {
    throw new Error('unused');
  },
  identify: (c) => {
    const token = String(c.headers.authorization).replace('Bearer ', '');
    const client = tokens[token];
    if (!client) throw new Error('401');
    return { name: client } as Client;
  },
});

describe('OpenSessions.revoke: what a reload ends', () => {
  const open = (sessions: OpenSessions, client: string, token: string, ended: string[]) =>
    sessions.observe(base).streamOpened(client, 'stream', {
      caller: caller(token),
      end: () => ended.push(`${client}:${token}`),
    });

  it('ends a session whose token is refused now, or now names another client, or whose client changed', async () => {
    const sessions = new OpenSessions();
    const ended: string[] = [];
    open(sessions, 'ci', 'old', ended);
    open(sessions, 'ops', 'ops', ended);
    open(sessions, 'dash', 'moved', ended);
    open(sessions, 'web', 'web', ended);
    const next = clientsOf({ ops: 'ops', moved: 'other', web: 'web' });
    expect(await sessions.revoke(next, (name) => name === 'web')).toBe(3);
    expect(ended).toEqual(['ci:old', 'dash:moved', 'web:web']);
    // The one kept is still there for the next reload; those ended are not ended twice.
    expect(await sessions.revoke(clientsOf({}), () => false)).toBe(1);
    expect(ended).toEqual(['ci:old', 'dash:moved', 'web:web', 'ops:ops']);
  });

  it('a session that closed is forgotten', async () => {
    const sessions = new OpenSessions();
    const ended: string[] = [];
    const closed = open(sessions, 'ci', 'old', ended);
    closed();
    expect(await sessions.revoke(clientsOf({}), () => true)).toBe(0);
    expect(ended).toEqual([]);
  });
});
