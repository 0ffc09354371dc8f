"""The linuxbridge network driver: Neutron's networking from Linux pieces.

Per network a bridge (brq<network>), VXLAN between hosts or a physical
interface for flat networks; per DHCP network dnsmasq in a qdhcp-
namespace; per router a qrouter- namespace with NAT in iptables; security
groups as iptables chains on the bridge ports; metadata proxies in router
and DHCP namespaces. `sync(state)` is level-triggered (see dataplane.py).

Netlink goes through pyroute2, which cannot run green: in an eventlet
process (the engine) the dataplane runs in a worker process of its own
(worker.py); elsewhere (tests, tools) in the calling process.
"""
import dataclasses
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

from cloudstack.network.drivers import base
from cloudstack.network.drivers.linuxbridge import plan

LOG = logging.getLogger(__name__)

REQUIRED_COMMANDS = ('iptables-restore', 'ip6tables-restore', 'iptables-save', 'ebtables-restore',
                     'ebtables-save', 'ipset', 'conntrack', 'nsenter')


def settings_from_conf(conf=None):
    if conf is None:
        from cloudstack.conf import CONF as conf
    opts = conf.linuxbridge
    return plan.Settings(
        state_dir=opts.state_path or os.path.join(conf.data_dir, 'linuxbridge'),
        host_namespace=opts.host_namespace or None,
        namespace_prefix=opts.namespace_prefix,
        physical_interface_mappings=dict(opts.physical_interface_mappings),
        vxlan_port=opts.vxlan_udp_port,
        dns_domain=conf.network.dns_domain,
        dns_servers=list(opts.dnsmasq_dns_servers),
        dhcp_lease_duration=opts.dhcp_lease_duration,
        enable_isolated_metadata=opts.enable_isolated_metadata,
        dnsmasq=opts.dnsmasq_binary,
        dnsmasq_user=opts.dnsmasq_user)


def _green():
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched('socket')


class LinuxBridgeDriver(base.NetworkDriver):
    """sync(state) -> {'up': [port ids], 'down': [port ids]}."""

    def __init__(self, host, settings=None, use_worker=None, conf=None):
        super().__init__(host)
        self.settings = settings or settings_from_conf(conf)
        self.use_worker = _green() if use_worker is None else use_worker
        self._local = None
        self._worker = None
        self._lock = threading.Lock()     # green under eventlet: one sync at a time

    def init(self):
        """Check the host has the commands the dataplane runs."""
        missing = [c for c in REQUIRED_COMMANDS + (self.settings.dnsmasq,) if not shutil.which(c)]
        if missing:
            raise RuntimeError('the linuxbridge driver needs %s on this host'
                               % ', '.join(missing))

    def cleanup(self):
        """Remove everything this driver made on the host."""
        self.sync({'host': self.host})

    def sync(self, state):
        with self._lock:
            if not self.use_worker:
                if self._local is None:
                    from cloudstack.network.drivers.linuxbridge import dataplane
                    self._local = dataplane.Dataplane(self.settings)
                return self._local.sync(state)
            started = time.monotonic()
            result = self._call({'op': 'sync', 'state': state})
            LOG.debug('sync through the worker: %.0f ms', (time.monotonic() - started) * 1000)
            return result

    def close(self):
        with self._lock:
            if self._local is not None:
                self._local.close()
                self._local = None
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    # the worker
    def _call(self, request):
        for attempt in (1, 2):
            if self._worker is None:
                self._worker = _Worker(self.settings)
            try:
                reply = self._worker.call(request)
                break
            except (OSError, EOFError) as e:
                LOG.warning('dataplane worker lost (%s); starting another', e)
                self._worker.close()
                self._worker = None
                if attempt == 2:
                    raise
        if 'error' in reply:
            raise RuntimeError('dataplane: %s\n%s' % (reply['error'], reply.get('traceback', '')))
        return reply['result']


class _Worker:
    def __init__(self, settings):
        from cloudstack.network.drivers.linuxbridge import worker
        self.wire = worker
        ours, theirs = socket.socketpair()
        debug = ['--debug'] if logging.getLogger().isEnabledFor(logging.DEBUG) else []
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'cloudstack.network.drivers.linuxbridge.worker',
             '--fd', str(theirs.fileno())] + debug,
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.sock = ours
        reply = self.call({'settings': dataclasses.asdict(settings)})
        if reply.get('result') != 'ready':
            raise RuntimeError('dataplane worker did not start: %s' % reply)

    def call(self, request):
        self.wire.send(self.sock, request)
        reply = self.wire.recv(self.sock)
        if reply is None:
            raise EOFError('the dataplane worker exited')
        return reply

    def close(self):
        self.sock.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
