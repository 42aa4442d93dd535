import { describe, expect, it } from 'vitest';
import { formatAllow, suggestAllow } from '../../src/suggest.ts';

const line = (client: string, route: string, decision = 'allowed', learning = true) =>
  JSON.stringify({ audit: true, client, route, decision, ...(learning ? { learning } : {}) });

describe('suggest: the smallest allow list that covers what a client did', () => {
  it('lists the templates it used, once, sorted; other clients and invalid requests do not count', () => {
    const lines = [
      line('dash', 'GET /containers/json'),
      line('dash', 'GET /containers/{id}/json', 'would-deny'),
      line('dash', 'GET /containers/json'),
      line('other', 'POST /containers/{id}/start'),
      line('dash', 'GET /nothing', 'invalid'),
      line('dash', 'GET (unknown route)', 'refused'),
      line('dash', 'POST /containers/{id}/kill', 'refused'),
      line('dash', 'POST /containers/{id}/stop', 'allowed', false),
      JSON.stringify({ client: 'dash', route: 'containerList', decision: 'allowed', learning: true }),
      'not json',
      '',
    ];
    expect(suggestAllow(lines, 'dash')).toEqual(['GET /containers/json', 'GET /containers/{id}/json']);
  });
  it('a group replaces its templates only when every one of them was used', () => {
    const lines = [
      'GET /_ping',
      'HEAD /_ping',
      'GET /version',
      'GET /containers/{id}/logs',
      'POST /containers/{id}/start',
    ].map((r) => line('ci', r));
    expect(suggestAllow(lines, 'ci')).toEqual(['logs', 'ping', 'POST /containers/{id}/start']);
  });
  it('a name is at least one segment: `**` between fixed segments would also match none', () => {
    const out = suggestAllow([line('d', 'GET /images/**/json'), line('d', 'DELETE /images/**')], 'd');
    expect(out).toEqual(['DELETE /images/*/**', 'GET /images/*/**/json']);
  });

  it('prints YAML ready to paste', () => {
    expect(formatAllow(['ping', 'GET /containers/json'])).toBe(
      'allow:\n  - "ping"\n  - "GET /containers/json"\n',
    );
  });
});
