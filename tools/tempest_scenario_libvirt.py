#!/usr/bin/env python3
"""Tempest's scenario tests on real guests: libvirt (QEMU TCG) and the
linuxbridge network driver, SSH into the test guest over a floating IP.

    tools/tempest_scenario_libvirt.py RESULTS_DIR [--tests REGEX] [--keep]

As root, on this machine kind, touching nothing of the host's network:
- a libvirtd of its own in a network namespace H (the compute host: guests'
  taps, the network agent's bridges, DHCP and router namespaces hang off it);
- a namespace W (the "outside world") holding cloudstack-all's API and
  Tempest, joined to H by a veth that is the external network 172.24.4.0/24
  (physical network `public`, interface ext0 in H);
- cloudstack-all in W with `[compute] compute_driver = libvirt` (virt_type
  qemu) and `[network] driver = linuxbridge` on H;
- the test guest (tools/build-guest-image) uploaded as the two public images,
  two small flavors, then tools/run-tempest.sh in W with guest validation on
  (`image_ssh_user = cloud`, floating IPs).
The default tests are test_server_basic_ops and test_network_basic_ops.
Exit status: run-tempest.sh's.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
VENV = os.path.join(REPO, '.venv', 'bin')
TESTS = r'^tempest\.scenario\.test_(server|network)_basic_ops\.'
EXTRA_CONF = """[validation]
run_validation = true
connect_method = floating
auth_method = keypair
image_ssh_user = cloud
image_alt_ssh_user = cloud
ssh_timeout = 900
ping_timeout = 600
connect_timeout = 120
[compute]
build_timeout = 900
[compute-feature-enabled]
config_drive = true
metadata_service = true
console_output = true
[network]
build_timeout = 600
[scenario]
dhcp_client = udhcpc
"""
UPLOAD = """
import json, sys, openstack
conn = openstack.connect(cloud='cloudstack')
path = sys.argv[1]
for name in ('csguest', 'csguest-alt'):
    with open(path, 'rb') as f:
        conn.image.create_image(name=name, data=f.read(), disk_format='qcow2',
                                container_format='bare', visibility='public')
for name, ram in (('csguest.tiny', 192), ('csguest.small', 256)):
    conn.compute.create_flavor(name=name, ram=ram, vcpus=1, disk=1)
print(json.dumps([i.id for i in conn.image.images()]))
"""


def sh(*cmd, check=True, **kw):
    return subprocess.run([str(c) for c in cmd], check=check, **kw)


def ns(name, *cmd, **kw):
    return sh('ip', 'netns', 'exec', name, *cmd, **kw)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('results')
    ap.add_argument('--tests', default=TESTS, help='regex of the tests to run')
    ap.add_argument('--keep', action='store_true', help='leave everything up afterwards')
    args = ap.parse_args()
    from cloudstack.compute.virt.libvirt import sandbox
    lacks = sandbox.missing_tools() + [t for t in ('ping', 'curl') if not shutil.which(t)]
    if lacks:                   # Tempest pings the guests (Debian: iputils-ping)
        sys.exit('cannot run here, missing: %s' % ', '.join(lacks))
    guest = sh(sys.executable, os.path.join(HERE, 'build-guest-image'), '--quiet',
               capture_output=True, text=True).stdout.strip().splitlines()[-1]
    top = tempfile.mkdtemp(prefix='vrt-scn-', dir='/tmp')
    os.chmod(top, 0o755)
    tag = uuid.uuid4().hex[:6]
    host_ns, world = 'vrt-scn-h%s' % tag, 'vrt-scn-w%s' % tag
    box = sandbox.Sandbox(os.path.join(top, 'libvirt'), netns=host_ns)
    server = None
    try:
        box.start()
        ns(host_ns, 'ip', 'addr', 'add', '10.97.0.1/32', 'dev', 'lo')      # the VTEP address
        sh('ip', 'netns', 'add', world)
        ns(world, 'ip', 'link', 'set', 'lo', 'up')
        sh('ip', '-n', host_ns, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name',
           'ext-w', 'netns', world)
        sh('ip', '-n', host_ns, 'link', 'set', 'ext0', 'up')
        ns(world, 'ip', 'addr', 'add', '172.24.4.1/24', 'dev', 'ext-w')
        ns(world, 'ip', 'link', 'set', 'ext-w', 'up')
        instances = os.path.join(top, 'instances')
        os.makedirs(instances, mode=0o755)
        port = free_port()
        conf = os.path.join(top, 'cloud.conf')
        with open(conf, 'w') as f:
            f.write(CLOUD_CONF % {'uri': box.uri(), 'instances': instances, 'host_ns': host_ns,
                                  'state': os.path.join(top, 'network')})
        data = os.path.join(top, 'data')
        log = open(os.path.join(top, 'server.log'), 'w')
        server = subprocess.Popen(['ip', 'netns', 'exec', world,
                                   os.path.join(VENV, 'cloudstack-all'), '--config-file', conf,
                                   '--data-dir', data, '--bind', '127.0.0.1:%d' % port,
                                   '--workers', '2'], stdout=log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if ns(world, 'curl', '-sf', 'http://127.0.0.1:%d/healthcheck' % port, check=False,
                  stdout=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.5)
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(data, 'clouds.yaml'))
        images = ns(world, os.path.join(VENV, 'python'), '-c', UPLOAD,
                    os.path.join(guest, 'csguest.qcow2'), env=env, capture_output=True,
                    text=True)
        print('images:', json.loads(images.stdout.strip().splitlines()[-1]))
        extra = os.path.join(top, 'tempest-extra.conf')
        with open(extra, 'w') as f:
            f.write(EXTRA_CONF)
        result = ns(world, os.path.join(HERE, 'run-tempest.sh'), 'regex:' + args.tests,
                    args.results, '--data-dir', data, '--concurrency', '1',
                    '--extra-conf', extra, check=False)
        shutil.copy(os.path.join(top, 'server.log'), args.results)
        return result.returncode
    finally:
        if not args.keep:
            if server is not None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(60)
                except subprocess.TimeoutExpired:
                    server.kill()
            for pidfile in glob.glob(os.path.join(top, 'network', '**', '*.pid'),
                                     recursive=True):
                try:
                    with open(pidfile) as f:
                        os.kill(int(f.read().strip()), signal.SIGTERM)
                except (OSError, ValueError):
                    pass
            names = sh('ip', 'netns', 'list', capture_output=True, text=True).stdout.split()
            for name in names:
                if name.startswith(host_ns + '-') or name == world:
                    for pid in sh('ip', 'netns', 'pids', name, capture_output=True,
                                  text=True, check=False).stdout.split():
                        try:
                            os.kill(int(pid), signal.SIGTERM)
                        except OSError:
                            pass
                    sh('ip', 'netns', 'del', name, check=False)
            box.stop()
            shutil.rmtree(top, ignore_errors=True)
        else:
            print('kept: %s (namespaces %s, %s)' % (top, host_ns, world))


CLOUD_CONF = """[DEFAULT]
host = scenario-host
[compute]
compute_driver = libvirt
[libvirt]
virt_type = qemu
connection_uri = %(uri)s
instances_path = %(instances)s
host_ip = 127.0.0.1
[network]
driver = linuxbridge
local_ip = 10.97.0.1
[linuxbridge]
host_namespace = %(host_ns)s
namespace_prefix = %(host_ns)s-
state_path = %(state)s
physical_interface_mappings = public:ext0
[metadata]
shared_secret = scenario-metadata-secret
"""

if __name__ == '__main__':
    sys.exit(main())
