"""A libvirt daemon of one's own, for tests, benchmarks and trying the driver.

It runs (with its virtlogd) inside a network namespace and a mount namespace
of its own, so that the bridges and taps of its guests never touch the host's
network, and with private copies of libvirt's state directories (/run,
/etc, /var/lib, /var/cache and /var/log /libvirt), so that it never sees nor
disturbs the host's own libvirt or another sandbox. Clients reach it through
its socket, which is visible from anywhere:

    qemu:///system?socket=<dir>/run/libvirt-sock     (lxc:///system?socket=... too)

which is what `[libvirt] connection_uri` names for the driver. As root:

    python -m cloudstack.compute.virt.libvirt.sandbox start DIR [--netns NAME]
    python -m cloudstack.compute.virt.libvirt.sandbox stop DIR
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

STATE_DIRS = {'run': '/run/libvirt', 'etc': '/etc/libvirt', 'lib': '/var/lib/libvirt',
              'cache': '/var/cache/libvirt', 'log': '/var/log/libvirt'}
TOOLS = ('libvirtd', 'virtlogd', 'ip')
CAPS_CACHE = os.path.join(os.environ.get('CLOUDSTACK_CACHE')
                          or os.path.expanduser('~/.cache/cloudstack'), 'libvirt-capabilities')

# Runs inside `ip netns exec`, which gave us a private mount namespace.
START_SCRIPT = r'''
set -e
# libvirt's LXC driver needs the cgroup v1 hierarchies (and fails on the hybrid
# layout's "unified" one): mount them under the fresh /sys that netns exec made;
# on a unified-only host (cgroup v2 at /sys/fs/cgroup), that one.
if [ -n "$CGROUP2" ]; then
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
else
    mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
    echo "$CGMOUNTS" | while read t d o; do
        [ -n "$t" ] || continue
        mkdir -p "$d"; mount -t "$t" -o "$o" "$t" "$d"
    done
fi
for pair in $BINDS; do
    mkdir -p "${pair#*=}"; mount --bind "${pair%%=*}" "${pair#*=}"
done
virtlogd -d -p /run/libvirt/virtlogd.pid
LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d -p /run/libvirt/libvirtd.pid
'''


class SandboxError(RuntimeError):
    pass


def missing_tools():
    """What this host lacks to run a sandbox (empty: nothing)."""
    lacks = [t for t in TOOLS if not shutil.which(t)]
    if os.geteuid() != 0:
        lacks.append('root')
    return lacks


class Sandbox:
    def __init__(self, directory, netns=None):
        self.dir = os.path.abspath(directory)
        if netns is None:
            try:
                with open(os.path.join(self.dir, 'sandbox.json')) as f:
                    netns = json.load(f)['netns']
            except (OSError, ValueError, KeyError):
                netns = 'vrt-' + os.path.basename(self.dir.rstrip('/'))[-10:]
        self.netns = netns
        self.socket = os.path.join(self.dir, 'run', 'libvirt-sock')

    def uri(self, kind='qemu'):
        return '%s:///system?socket=%s' % (kind, self.socket)

    def netns_cmd(self, *cmd):
        """An argument list running `cmd` inside the sandbox's network namespace."""
        return ['ip', 'netns', 'exec', self.netns] + [str(c) for c in cmd]

    def _pid(self, name):
        try:
            with open(os.path.join(self.dir, 'run', name + '.pid')) as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def running(self):
        return self._pid('libvirtd') is not None and os.path.exists(self.socket)

    def start(self, timeout=60):
        if self.running():
            return self
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        for name in STATE_DIRS:
            os.makedirs(os.path.join(self.dir, name), exist_ok=True)
        self._copy_config()
        if subprocess.run(['ip', 'netns', 'pids', self.netns], capture_output=True).returncode:
            subprocess.run(['ip', 'netns', 'add', self.netns], check=True)
            subprocess.run(self.netns_cmd('ip', 'link', 'set', 'lo', 'up'), check=True)
        with open('/proc/self/mounts') as f:
            mounts = [line.split() for line in f]
        cgroups = '\n'.join('%s %s %s' % (p[2], p[1], p[3]) for p in mounts if p[2] == 'cgroup')
        unified = any(p[1] == '/sys/fs/cgroup' and p[2] == 'cgroup2' for p in mounts)
        binds = ' '.join('%s=%s' % (os.path.join(self.dir, name), target)
                         for name, target in STATE_DIRS.items())
        env = dict(os.environ, CGMOUNTS=cgroups, BINDS=binds, CGROUP2='1' if unified else '')
        proc = subprocess.run(self.netns_cmd('sh', '-c', START_SCRIPT), env=env,
                              capture_output=True, text=True)
        if proc.returncode:
            raise SandboxError('libvirtd did not start: %s' % proc.stderr.strip())
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.socket):
            if time.monotonic() > deadline:
                raise SandboxError('libvirtd did not open %s in %ss' % (self.socket, timeout))
            time.sleep(0.05)
        with open(os.path.join(self.dir, 'sandbox.json'), 'w') as f:
            json.dump({'netns': self.netns, 'uri': self.uri(), 'lxc_uri': self.uri('lxc')}, f)
        return self

    def _copy_config(self):
        """libvirt's configuration files, without the host's domains, networks
        (the default network would start a dnsmasq) or pools."""
        etc = os.path.join(self.dir, 'etc')
        for path in glob.glob('/etc/libvirt/*.conf'):
            shutil.copy(path, etc)
        # A host UUID of its own: libvirt refuses to migrate a guest to the
        # host it runs on, and two sandboxes are two hosts.
        with open(os.path.join(etc, 'libvirtd.conf'), 'a') as f:
            f.write('\nhost_uuid = "%s"\n' % uuid.uuid4())
        for sub in ('qemu', 'lxc', 'qemu/networks', 'storage', 'secrets'):
            os.makedirs(os.path.join(etc, sub), exist_ok=True)
        if os.path.isdir('/etc/libvirt/nwfilter') and not os.path.isdir(
                os.path.join(etc, 'nwfilter')):
            shutil.copytree('/etc/libvirt/nwfilter', os.path.join(etc, 'nwfilter'))
        # QEMU's probed capabilities: a cache libvirt checks against the
        # binaries; a copy saves the daemon ~10 s of probing QEMU.
        dst = os.path.join(self.dir, 'cache', 'qemu', 'capabilities')
        for src in (CAPS_CACHE, '/var/cache/libvirt/qemu/capabilities'):
            if os.path.isdir(src) and os.listdir(src) and not os.path.isdir(dst):
                shutil.copytree(src, dst)

    def stop(self):
        """Destroy every guest, stop the daemons, remove the namespace."""
        if self.running():
            self._destroy_guests()
        probed = os.path.join(self.dir, 'cache', 'qemu', 'capabilities')
        if os.path.isdir(probed) and os.listdir(probed):
            shutil.rmtree(CAPS_CACHE + '.tmp', ignore_errors=True)
            shutil.copytree(probed, CAPS_CACHE + '.tmp')
            shutil.rmtree(CAPS_CACHE, ignore_errors=True)
            os.rename(CAPS_CACHE + '.tmp', CAPS_CACHE)
        for name in ('libvirtd', 'virtlogd'):
            pid = self._pid(name)
            if pid:
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    if self._pid(name) is None:
                        break
                    time.sleep(0.05)
                else:
                    os.kill(pid, signal.SIGKILL)
        if subprocess.run(['ip', 'netns', 'pids', self.netns],
                          capture_output=True).returncode == 0:
            subprocess.run(['ip', 'netns', 'del', self.netns], check=False)

    def _destroy_guests(self):
        try:
            import libvirt
        except ImportError:
            return
        for kind in ('qemu', 'lxc'):
            try:
                conn = libvirt.open(self.uri(kind))
            except libvirt.libvirtError:
                continue
            try:
                for dom in conn.listAllDomains(0):
                    try:
                        if dom.isActive():
                            dom.destroy()
                        dom.undefineFlags(0 if kind == 'lxc' else
                                          libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                          | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
                    except libvirt.libvirtError:
                        pass
                for secret in conn.listAllSecrets(0):
                    secret.undefine()
            finally:
                conn.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description='A private libvirt daemon in its own namespaces.')
    ap.add_argument('action', choices=['start', 'stop'])
    ap.add_argument('directory')
    ap.add_argument('--netns', help='network namespace name (default: from the directory)')
    args = ap.parse_args(argv)
    lacks = missing_tools()
    if lacks:
        sys.exit('cannot run a libvirt sandbox here, missing: %s' % ', '.join(lacks))
    box = Sandbox(args.directory, args.netns)
    if args.action == 'start':
        box.start()
        print('netns=%s\nuri=%s\nlxc_uri=%s' % (box.netns, box.uri(), box.uri('lxc')))
    else:
        box.stop()


if __name__ == '__main__':
    main()
