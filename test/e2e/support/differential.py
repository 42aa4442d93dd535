"""The differential harness's docker-py script (test/e2e/differential-clients.test.ts).

Runs the same operations against DOCKER_HOST with docker-py's high-level and low-level APIs and prints
one JSON line per operation: its name and an outcome free of ids and timestamps (the prefix given on
the command line is written as <p>), so that a run against the daemon and one through dockscope
compare equal when the two behave alike.
Usage: python3 differential.py PREFIX IMAGE CONTEXT_DIR
"""
import json
import re
import sys
import time

import docker

P, IMAGE, CONTEXT = sys.argv[1], sys.argv[2], sys.argv[3]
client = docker.from_env(timeout=60)
api = client.api
HEX = re.compile(r'\b[0-9a-f]{12,64}\b')


def norm(value):
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if isinstance(value, str):
        return HEX.sub('<id>', value.replace(P, '<p>'))
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    return value


def step(name, fn):
    try:
        out = {'ok': norm(fn())}
    except docker.errors.APIError as e:
        out = {'status': e.status_code, 'error': norm(e.explanation)}
    except Exception as e:  # a client-side failure is an outcome too
        out = {'exception': type(e).__name__, 'error': norm(str(e))}
    print(json.dumps({'op': name, **out}, sort_keys=True), flush=True)


def endpoint(name, net):
    s = api.inspect_container(name)['NetworkSettings']['Networks'].get(net) or {}
    # The daemon adds the container's short id to its aliases: not a difference.
    aliases = sorted(a for a in (s.get('Aliases') or []) if not HEX.fullmatch(a))
    return {'aliases': aliases, 'links': sorted(s.get('Links') or [])}


# One network per run: the daemon's default address pools are shared by every test file.
net = f'{P}-net'
step('ping', lambda: api.ping())
step('network create', lambda: client.networks.create(net, internal=True).name)

# Low-level create with every option docker-py's create_host_config and create_container expose
# that a busybox container on an internal network can have.
def create_db():
    host = api.create_host_config(
        network_mode=net, mem_limit='64m', memswap_limit='128m', cpu_shares=512, cpuset_cpus='0',
        read_only=False, tmpfs={'/run/x': 'size=1m'}, restart_policy={'Name': 'no'},
        cap_drop=['NET_RAW'], extra_hosts={'h.example': '10.0.0.1'}, init=True, shm_size='8m',
        ulimits=[docker.types.Ulimit(name='nofile', soft=1024, hard=2048)], oom_score_adj=10,
        pids_limit=100, dns_opt=['ndots:1'], group_add=['1000'], sysctls=None, runtime='runc',
        auto_remove=False, storage_opt=None, security_opt=['no-new-privileges'],
    )
    netcfg = api.create_networking_config({net: api.create_endpoint_config(aliases=['database'])})
    c = api.create_container(
        IMAGE, ['sleep', '600'], name=f'{P}-db', hostname='dbhost', user='0', environment={'A': '1'},
        labels={'tier': 'db'}, working_dir='/tmp', entrypoint=None, stop_signal='SIGTERM',
        host_config=host, networking_config=netcfg, healthcheck={'test': ['CMD', 'true'], 'interval': 10**9},
        stop_timeout=3, runtime='runc',
    )
    api.start(c['Id'])
    i = api.inspect_container(c['Id'])
    h = i['HostConfig']
    keys = ['Memory', 'MemorySwap', 'CpuShares', 'CpusetCpus', 'Tmpfs', 'CapDrop', 'ExtraHosts', 'Init',
            'ShmSize', 'Ulimits', 'OomScoreAdj', 'PidsLimit', 'DnsOptions', 'GroupAdd', 'Runtime',
            'SecurityOpt', 'NetworkMode', 'RestartPolicy']
    cfg = i['Config']
    return {'host': {k: h.get(k) for k in keys}, 'hostname': cfg['Hostname'], 'user': cfg['User'],
            'env': [e for e in cfg['Env'] if e.startswith('A=')], 'labels': cfg['Labels'],
            'workdir': cfg['WorkingDir'], 'stop': [cfg.get('StopSignal'), cfg.get('StopTimeout')],
            'running': i['State']['Running'], 'endpoint': endpoint(c['Id'], net)}

step('create with options (runtime, resources, endpoint aliases)', create_db)

def create_web():
    web = client.containers.run(
        IMAGE, ['sleep', '600'], name=f'{P}-web', detach=True, network=net, runtime='runc',
        links={f'{P}-db': 'db', f'{P}-later': 'later'}, environment=['W=2'],
    )
    web.reload()
    return {'status': web.attrs['State']['Status'], 'endpoint': endpoint(web.name, net)}

step('run with links (one to a container that does not exist yet)', create_web)

web = f'{P}-web'
def run_exec(**kw):
    def go():
        c = client.containers.get(web)
        r = c.exec_run(**kw)
        out = r.output
        if kw.get('stream'):
            out = b''.join(out)
        # A detached exec's exit code is read while it may still run: only its (empty) output counts.
        code = None if kw.get('detach') else r.exit_code
        return [code, list(out) if isinstance(out, tuple) else out]
    return go

# docker-py reads a hijacked stream from the raw socket under http.client's buffer, so output that
# arrives together with the 101 head is lost (directly too; a proxy hop that is descheduled under
# load can hand both over at once): each command waits before it writes, as a command doing work would.
def late(script):
    return ['sh', '-c', f'sleep 0.5; {script}']

step('exec demux', run_exec(cmd=late('echo out; echo err >&2'), demux=True))
step('exec environment', run_exec(cmd=late('echo $X $W'), environment={'X': 'ex'}))
step('exec user', run_exec(cmd=late('id -u'), user='1000'))
step('exec workdir', run_exec(cmd=late('pwd'), workdir='/tmp'))
step('exec exit code', run_exec(cmd=['sh', '-c', 'exit 3']))
step('exec tty', run_exec(cmd=late('echo tty'), tty=True))
step('exec stream', run_exec(cmd=late('echo a; echo b'), stream=True))
step('exec detach', run_exec(cmd=['sh', '-c', 'echo d > /tmp/detached'], detach=True))

def low_level_exec():
    e = api.exec_create(web, ['sh', '-c', 'sleep 0.2; cat /tmp/detached; exit 4'], environment=['Y=1'])
    out = api.exec_start(e['Id'])
    i = api.exec_inspect(e['Id'])
    return [out, i['ExitCode'], i['Running'], i['ProcessConfig']]

step('low-level exec create, start, inspect', low_level_exec)

def connect():
    side = client.containers.create(IMAGE, ['sleep', '600'], name=f'{P}-side', network=net)
    network = client.networks.get(net)
    network.disconnect(side)
    network.connect(side, aliases=['sidekick'], links=[(f'{P}-db', 'db2'), (f'{P}-gone', 'g')])
    first = endpoint(side.name, net)
    network.disconnect(side)
    return [first, sorted(api.inspect_container(side.name)['NetworkSettings']['Networks'])]

step('network connect with aliases and links, disconnect', connect)
step('network inspect', lambda: sorted(c['Name'] for c in api.inspect_network(net)['Containers'].values()))

def build():
    lines = list(api.build(path=CONTEXT, dockerfile='sub/Dockerfile', network_mode=net, tag=f'{P}-img',
                           rm=True, nocache=True, decode=True))
    text = ''.join(l.get('stream', '') for l in lines)
    errors = [l for l in lines if 'error' in l]
    # The whole output, every line as the client reads it (ids are normalised away).
    return {'errors': errors, 'output': text.splitlines(), 'aux': [sorted(l['aux']) for l in lines if 'aux' in l]}

step('build: dockerfile in a subdirectory, on a user-defined network', build)

def build_options():
    # Every option of APIClient.build that the classic builder of this daemon takes.
    lines = list(api.build(
        path=CONTEXT, dockerfile='sub/Dockerfile.args', tag=f'{P}-img2', rm=True, forcerm=True, nocache=True,
        pull=False, buildargs={'GREETING': 'hi'}, labels={'built.by': 'harness'}, extra_hosts={'h.example': '10.0.0.2'},
        shmsize=16 * 1024 * 1024, container_limits={'memory': 64 * 1024 * 1024, 'memswap': -1, 'cpushares': 256},
        network_mode='none', target='final', decode=True, isolation=None, use_config_proxy=False,
    ))
    image = api.inspect_image(f'{P}-img2')
    return {'output': ''.join(l.get('stream', '') for l in lines).splitlines(),
            'errors': [l for l in lines if 'error' in l], 'labels': image['Config']['Labels']}

step('build with buildargs, labels, extra hosts, shm size, limits, target', build_options)

def logs_wait():
    c = client.containers.run(IMAGE, ['sh', '-c', 'echo hello; echo bye >&2; exit 2'], name=f'{P}-once',
                              detach=True, network_mode='none')
    code = c.wait()['StatusCode']
    return [code, c.logs(stdout=True, stderr=False), c.logs(stdout=False, stderr=True)]

step('logs and wait', logs_wait)
def prune():
    # Scoped by a label of this run's own, so that other tests' stopped containers stay.
    client.containers.create(IMAGE, ['true'], name=f'{P}-stopped', labels={f'{P}.prune': '1'}, network_mode='none')
    # The daemon runs one prune at a time ("a prune operation is already running", 409), and the
    # harness's runs go at once: wait for the other's, as a script that prunes on a schedule would.
    for _ in range(50):
        try:
            r = client.containers.prune(filters={'label': f'{P}.prune'})
            return len(r.get('ContainersDeleted') or [])
        except docker.errors.APIError as e:
            if e.status_code != 409:
                raise
            time.sleep(0.1)
    raise RuntimeError('the daemon kept another prune running')

step('container prune (filtered by label)', prune)
# Low-level: the high-level list inspects each container, and other tests remove theirs meanwhile.
step('list', lambda: sorted(c['Names'][0][1:] for c in api.containers(all=True, filters={'name': P})))
step('missing container', lambda: client.containers.get(f'{P}-nosuch'))

def cleanup():
    for name in ['once', 'side', 'web', 'db']:
        client.containers.get(f'{P}-{name}').remove(force=True, v=True)
    client.images.remove(f'{P}-img')
    client.images.remove(f'{P}-img2')
    client.networks.get(net).remove()
    return 'removed'

step('remove', cleanup)
