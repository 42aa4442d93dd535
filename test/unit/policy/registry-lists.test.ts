import { describe, expect, it } from 'vitest';
import type { RegistryLists } from '../../../src/policy/registry-lists.ts';
import {
  canonicalRegistry,
  checkRegistryList,
  compileRegistryPattern,
  isListed,
} from '../../../src/policy/registry-lists.ts';

const compile = (entries: string[]) =>
  entries.map((e) => {
    const p = compileRegistryPattern(e);
    if (!p) throw new Error(e);
    return p;
  });

describe('registry lists', () => {
  it.each<[string, string]>([
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['Registry.Example:5000', 'registry.example:5000'],
    ['[::1]:5000', '[::1]:5000'],
  ])('canonicalRegistry(%s) is %s', (registry, expected) => {
    expect(canonicalRegistry(registry)).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['docker.io', 'index.docker.io', true],
    ['ghcr.io', 'GHCR.io', true],
    ['ghcr.io', 'ghcr.io:443', false],
    ['registry.example:5000', 'registry.example:5000', true],
    ['registry.example:5000', 'registry.example', false],
    ['*.example', 'a.example', true],
    ['*.example', 'a.b.example', true],
    ['*.example', 'example', false],
    ['*.example', 'a.example:5000', false],
    ['*.example:5000', 'a.example:5000', true],
    ['[fd00::1]:5000', '[FD00::1]:5000', true],
  ])('%s matches %s: %s', (entry, registry, expected) => {
    expect(compile([entry])[0]?.matches(registry)).toBe(expected);
  });

  it.each(['http://ghcr.io', 'ghcr.io/team', '*example', '', 'a..b'])(
    '"%s" is no registry entry',
    (entry) => {
      expect(compileRegistryPattern(entry)).toBeNull();
    },
  );

  it('a pull, a push and a login are each judged by their list; no list, no judgement', () => {
    const lists: RegistryLists = {
      pull: compile(['docker.io', 'ghcr.io']),
      push: compile(['registry.example:5000']),
    };
    expect(() => checkRegistryList(lists, 'pull', 'ghcr.io', 'f')).not.toThrow();
    expect(() => checkRegistryList(lists, 'pull', 'registry.example:5000', 'f')).toThrow(
      "f names the registry registry.example:5000, which is not in this client's registries.pull",
    );
    expect(() => checkRegistryList(lists, 'push', 'docker.io', 'f')).toThrow('registries.push');
    expect(() => checkRegistryList(lists, 'login', 'registry.example:5000', 'f')).not.toThrow();
    expect(() => checkRegistryList(lists, 'login', 'quay.io', 'f')).toThrow(
      'registries.pull or registries.push',
    );
    expect(() => checkRegistryList({ pull: null, push: null }, 'pull', '127.0.0.1:5000', 'f')).not.toThrow();
    expect(isListed(lists, 'pull', 'index.docker.io')).toBe(true);
    expect(isListed(null, 'pull', 'docker.io')).toBe(false);
  });
});
