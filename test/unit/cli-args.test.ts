import { describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/cli-args.ts';
import { parseArgs, UsageError } from '../../src/cli-args.ts';

describe('parseArgs: what the command line asks for', () => {
  it.each<[string, Invocation]>([
    ['', { command: 'serve' }],
    ['serve', { command: 'serve' }],
    ['--config /c.yml', { command: 'serve', config: '/c.yml' }],
    ['--config=/c.yml serve', { command: 'serve', config: '/c.yml' }],
    ['check --config /c.yml', { command: 'check', config: '/c.yml' }],
    ['--config /c.yml check', { command: 'check', config: '/c.yml' }],
    [
      'explain --config /c.yml --client hp POST /v1.41/containers/x/start',
      {
        command: 'explain',
        config: '/c.yml',
        client: 'hp',
        method: 'POST',
        path: '/v1.41/containers/x/start',
      },
    ],
    ['explain GET /_ping --client=hp', { command: 'explain', client: 'hp', method: 'GET', path: '/_ping' }],
    ['suggest --client hp /l/audit.log', { command: 'suggest', client: 'hp', file: '/l/audit.log' }],
    ['suggest --client hp', { command: 'suggest', client: 'hp' }],
    ['--help', { command: 'help' }],
    ['check --confg x -h', { command: 'help' }],
    ['help', { command: 'help' }],
    ['--version', { command: 'version' }],
    ['-V', { command: 'version' }],
  ])('%j', (line, expected) => {
    expect(parseArgs(line === '' ? [] : line.split(' '))).toEqual(expected);
  });

  it.each<[string, string]>([
    ['--confg x.yml', 'unknown option "--confg" (did you mean --config?)'],
    ['chek', 'unknown command "chek" (did you mean check?)'],
    ['start', 'unknown command "start"'],
    ['-v', 'unknown option "-v"'],
    ['check --client x', '--client is not an option of check'],
    ['--client x', '--client is not an option of serve'],
    ['--config', '--config needs a value'],
    ['--config --verbose', '--config needs a value'],
    ['--config= check', '--config needs a value'],
    ['--config a --config b', '--config is given twice'],
    ['serve extra', 'unexpected argument "extra" for serve'],
    ['check /c.yml', 'unexpected argument "/c.yml" for check'],
    ['explain --client a GET', 'explain needs --client NAME, a METHOD and a PATH'],
    ['explain GET /_ping', 'explain needs --client NAME, a METHOD and a PATH'],
    ['explain --client a GET / x', 'unexpected argument "x" for explain'],
    ['suggest', 'suggest needs --client NAME'],
    ['suggest --client a one two', 'unexpected argument "two" for suggest'],
  ])('%j is refused: %s', (line, message) => {
    expect(() => parseArgs(line.split(' '))).toThrow(new UsageError(message));
  });
});
