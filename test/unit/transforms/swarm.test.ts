import { describe, expect, it } from 'vitest';
import {
  filterSwarmList,
  filterTask,
  filterTaskList,
  namesContainers,
} from '../../../src/transforms/swarm.ts';

const service = (id: string, name: string, labels: Record<string, string>, env?: string[]) => ({
  ID: id,
  Spec: {
    Name: name,
    Labels: labels,
    TaskTemplate: { ContainerSpec: { Image: 'busybox', ...(env ? { Env: env } : {}) } },
  },
  ...(env ? { PreviousSpec: { Name: name, TaskTemplate: { ContainerSpec: { Env: env } } } } : {}),
});
const task = (id: string, serviceId: string, containerId?: string, env?: string[]) => ({
  ID: id,
  ServiceID: serviceId,
  Spec: { ContainerSpec: { Image: 'busybox', ...(env ? { Env: env } : {}) } },
  Status: {
    State: 'running',
    ...(containerId === undefined ? {} : { ContainerStatus: { ContainerID: containerId } }),
  },
});
const teamA = (o: { labels: Readonly<Record<string, string>> }) => o.labels.team === 'a';

describe('filterSwarmList', () => {
  it('keeps the objects the rules show, drops others and entries that are not objects of a kind', () => {
    const list = [
      service('s1', 'a', { team: 'a' }),
      service('s2', 'b', { team: 'b' }),
      { Spec: {} },
      'x',
      { ID: '' },
    ];
    expect(filterSwarmList(list, teamA, false)).toEqual([service('s1', 'a', { team: 'a' })]);
  });

  it('with scrubEnvs, blanks the environment of the spec and the previous spec', () => {
    const [kept] = filterSwarmList(
      [service('s1', 'a', { team: 'a' }, ['TOKEN=1'])],
      teamA,
      true,
    ) as ReturnType<typeof service>[];
    expect(kept?.Spec.TaskTemplate.ContainerSpec).toEqual({ Image: 'busybox', Env: [] });
    expect(kept?.PreviousSpec?.TaskTemplate.ContainerSpec).toEqual({ Env: [] });
  });

  it('leaves a body that is not a list as it is (the daemon said something else)', () => {
    expect(filterSwarmList({ message: 'not a manager' }, teamA, true)).toEqual({ message: 'not a manager' });
  });
});

describe('filterTask and filterTaskList', () => {
  const visible = (id: string) => id === 'c-visible';

  it.each([
    ['c-visible', 'c-visible'],
    ['c-hidden', '<hidden>'],
    ['', ''],
  ])('a task names its container %j as %j', (given, shown) => {
    expect(filterTask(task('t1', 's1', given), visible, false)).toEqual(task('t1', 's1', shown));
  });

  it('blanks the environment with scrubEnvs', () => {
    expect(filterTask(task('t1', 's1', undefined, ['TOKEN=1']), visible, true)).toEqual(
      task('t1', 's1', undefined, []),
    );
  });

  it('keeps the tasks of visible services only; null keeps all', () => {
    const list = [task('t1', 's1'), task('t2', 's2'), { ID: 't3' }, 'x'];
    expect(filterTaskList(list, new Set(['s1']), visible, false)).toEqual([task('t1', 's1')]);
    expect(filterTaskList(list, null, visible, false)).toEqual([
      task('t1', 's1'),
      task('t2', 's2'),
      { ID: 't3' },
    ]);
  });

  it('namesContainers: whether a container list is worth asking for', () => {
    expect(namesContainers([task('t1', 's1'), task('t2', 's1', '')])).toBe(false);
    expect(namesContainers([task('t1', 's1'), task('t2', 's1', 'c1')])).toBe(true);
  });
});
