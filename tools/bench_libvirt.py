#!/usr/bin/env python3
"""libvirt benchmark: from "create" to the guest's first console line, for the
same test guest started three ways, alternating, in one run:

  raw     libvirt-python defineXML + create of a prepared guest (its disk
          overlay made beforehand): the floor, what any tool pays
  driver  cloudstack's libvirt driver, spawn(): base image from its cache,
          overlay, config drive, domain XML, define, start
  api     `POST /compute/v2.1/servers` on a running cloudstack (--cloud,
          a clouds.yaml entry, whose compute agent uses this libvirtd),
          through openstacksdk; timed until the server's console log starts

For each it reports the median (and each round) of: the call itself, the time
to the first byte on the serial console (SYSLINUX's banner, printed by the
guest's boot loader) and to the guest's "csguest: ready" line; and the
overhead of driver and api over raw at the first console line (goal: <= 0.5 s).

The guest runs under QEMU TCG in a libvirtd of the tool's own (a sandbox: own
network and mount namespaces), unless --uri names another daemon.

    tools/bench_libvirt.py [--rounds 5] [--modes raw,driver] [--output FILE]
    tools/bench_libvirt.py --modes raw,api --cloud cloudstack --uri URI --instances-path DIR
As root.
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

READY = b'csguest: ready'


def wait_file(path, marker=None, timeout=300, interval=0.005):
    """Seconds (monotonic clock) when `path` first holds bytes (or `marker`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, 'rb') as f:
                data = f.read()
            if (marker is None and data) or (marker is not None and marker in data):
                return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(interval)
    raise TimeoutError('%s: no %s in %ss' % (path, marker or 'output', timeout))


class Bench:
    def __init__(self, args):
        from cloudstack.conf import CONF
        self.args = args
        self.CONF = CONF
        CONF([], project='cloudstack', default_config_files=[])
        self.work = tempfile.mkdtemp(prefix='vrt-bench-', dir='/tmp')
        os.chmod(self.work, 0o755)
        self.box = None
        uri = args.uri
        if not uri:
            from cloudstack.compute.virt.libvirt import sandbox
            self.box = sandbox.Sandbox(os.path.join(self.work, 'libvirt'),
                                       netns='vrt-bench-%s' % uuid.uuid4().hex[:6]).start()
            uri = self.box.uri()
        self.instances = args.instances_path or os.path.join(self.work, 'instances')
        os.makedirs(self.instances, mode=0o755, exist_ok=True)
        CONF.set_override('virt_type', 'qemu', group='libvirt')
        CONF.set_override('connection_uri', uri, group='libvirt')
        CONF.set_override('instances_path', self.instances, group='libvirt')
        CONF.set_override('vnc_enabled', False, group='libvirt')
        from cloudstack.compute.virt import driver
        from cloudstack.compute.virt.libvirt import driver as libvirt_driver
        self.virt = driver
        self.drv = libvirt_driver.LibvirtDriver('bench')
        self.drv.init_host()
        guest = subprocess.run([sys.executable, os.path.join(HERE, 'build-guest-image'),
                                '--quiet'], check=True, capture_output=True, text=True)
        self.guest = guest.stdout.strip().splitlines()[-1]
        path = os.path.join(self.guest, 'csguest.qcow2')
        with open(path, 'rb') as f:
            self.image_bytes = f.read()
        self.image = driver.ImageSource(
            id='csguest-bench', disk_format='qcow2', size=len(self.image_bytes),
            checksum=hashlib.md5(self.image_bytes).hexdigest(),
            chunks=lambda: iter([self.image_bytes]))
        self.drv.images.fetch(self.image)                # warm: the base is cached per host
        self.flavor = driver.Flavor('bench', 1, 192, 1)

    def instance(self):
        uid = str(uuid.uuid4())
        return self.virt.Instance(uuid=uid, name='vrt-bench-' + uid[:8], hostname='bench',
                                  flavor=self.flavor, project_id='p', user_id='u',
                                  image_ref=self.image.id,
                                  image_meta={'disk_format': 'qcow2', 'properties': {}},
                                  config_drive=True)

    def run_raw(self):
        """The driver's own XML and disks, made beforehand; only define + create timed."""
        inst = self.instance()
        self.drv._create_disks(inst, self.image, None, [])
        from cloudstack.compute.virt.libvirt import config
        xml = config.domain_xml(self.drv._domain(inst, [], None))
        conn = self.drv._host.conn
        log = os.path.join(self.instances, inst.uuid, 'console.log')
        t0 = time.monotonic()
        dom = conn.defineXML(xml)
        dom.create()
        t1 = time.monotonic()
        result = self._times(t0, t1, log)
        dom.destroy()
        dom.undefine()
        shutil.rmtree(os.path.join(self.instances, inst.uuid))
        return result

    def run_driver(self):
        inst = self.instance()
        log = os.path.join(self.instances, inst.uuid, 'console.log')
        t0 = time.monotonic()
        self.drv.spawn(None, inst, self.image, [], None, [], None)
        t1 = time.monotonic()
        result = self._times(t0, t1, log)
        self.drv.destroy(None, inst, [], None)
        return result

    def run_api(self):
        import openstack
        conn = self._cloud()
        t0 = time.monotonic()
        server = conn.compute.create_server(name='bench', image_id=self._image_id,
                                            flavor_id=self._flavor_id, networks='none')
        t1 = time.monotonic()
        log = os.path.join(self.instances, server.id, 'console.log')
        try:
            return self._times(t0, t1, log)
        finally:
            conn.compute.delete_server(server)
            try:
                conn.compute.wait_for_delete(server, wait=120)
            except openstack.exceptions.ResourceNotFound:
                pass

    def _cloud(self):
        if getattr(self, '_conn', None) is None:
            import openstack
            self._conn = openstack.connect(cloud=self.args.cloud)
            image = self._conn.image.create_image(
                name='csguest-bench', data=self.image_bytes, disk_format='qcow2',
                container_format='bare', visibility='private')
            self._image_id = image.id
            flavor = self._conn.compute.create_flavor(name='bench-%s' % uuid.uuid4().hex[:6],
                                                      ram=192, vcpus=1, disk=1)
            self._flavor_id = flavor.id
        return self._conn

    def _times(self, t0, t1, log):
        first = wait_file(log)
        ready = wait_file(log, READY)
        return {'call_s': t1 - t0, 'first_console_s': first - t0, 'ready_s': ready - t0}

    def close(self):
        if getattr(self, '_conn', None) is not None:
            self._conn.image.delete_image(self._image_id)
            self._conn.compute.delete_flavor(self._flavor_id)
        if self.box is not None:
            self.box.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--modes', default='raw,driver')
    ap.add_argument('--uri', help='libvirt URI (default: a sandbox of its own)')
    ap.add_argument('--instances-path', help="the compute agent's [libvirt] instances_path "
                                             '(with --modes api)')
    ap.add_argument('--cloud', default='cloudstack', help='clouds.yaml entry (api mode)')
    ap.add_argument('--output', help='write the results as JSON there')
    args = ap.parse_args()
    modes = args.modes.split(',')
    bench = Bench(args)
    runs = {m: [] for m in modes}
    try:
        for r in range(args.rounds):
            order = modes if r % 2 == 0 else list(reversed(modes))
            for mode in order:
                runs[mode].append(getattr(bench, 'run_' + mode)())
                print('round %d %-6s %s' % (r + 1, mode, ' '.join(
                    '%s=%.3f' % kv for kv in runs[mode][-1].items())), flush=True)
    finally:
        bench.close()
    summary = {}
    for mode, results in runs.items():
        summary[mode] = {k: round(statistics.median(r[k] for r in results), 3)
                         for k in results[0]}
    if 'raw' in summary:
        for mode in summary:
            if mode != 'raw':
                summary[mode]['overhead_first_console_s'] = round(
                    summary[mode]['first_console_s'] - summary['raw']['first_console_s'], 3)
    print('\nmedians over %d rounds (seconds from the call):' % args.rounds)
    print('%-8s %8s %15s %8s %10s' % ('mode', 'call', 'first console', 'ready', 'overhead'))
    for mode, s in summary.items():
        print('%-8s %8.3f %15.3f %8.3f %10s' % (mode, s['call_s'], s['first_console_s'],
                                                s['ready_s'],
                                                s.get('overhead_first_console_s', '')))
    if args.output:
        with open(args.output, 'w') as f:
            json.dump({'summary': summary, 'runs': runs, 'rounds': args.rounds}, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
