"""The connection to one libvirt daemon.

Every libvirt call blocks in C, so each goes through `Host.call`, which runs
it in eventlet's pool of native threads (eventlet.tpool): green threads of
the agent keep running meanwhile. The connection opens on first use and
reopens when the daemon went away (restarted, or the agent outlived it).
"""
import logging
import threading

from eventlet import tpool

from cloudstack.compute.virt import driver

LOG = logging.getLogger(__name__)

try:
    import libvirt
except ImportError:         # the driver says so when it starts; tests skip
    libvirt = None

DEFAULT_URIS = {'qemu': 'qemu:///system', 'kvm': 'qemu:///system',
                'lxc': 'lxc:///system', 'xen': 'xen:///system'}


class HypervisorUnavailable(driver.NotSupported):
    code = 503
    title = 'Service Unavailable'
    message = 'The hypervisor is not available: %(reason)s'


def uri_for(virt_type, configured=''):
    return configured or DEFAULT_URIS[virt_type]


def _quiet(ctx, err):
    """libvirt prints every error on stderr unless a handler takes them."""


class Host:
    def __init__(self, uri):
        if libvirt is None:
            raise HypervisorUnavailable(reason='the libvirt Python binding (libvirt-python) '
                                               'is not installed')
        libvirt.registerErrorHandler(_quiet, None)
        self.uri = uri
        self._conn = None
        self._lock = threading.Lock()

    @staticmethod
    def call(fn, *args, **kwargs):
        """Run a blocking libvirt call in a native thread."""
        return tpool.execute(fn, *args, **kwargs)

    def _open(self):
        try:
            return libvirt.open(self.uri)
        except libvirt.libvirtError as e:
            raise HypervisorUnavailable(reason='%s: %s' % (self.uri, e.get_error_message()))

    @property
    def conn(self):
        conn = self._conn
        if conn is not None:
            try:
                if conn.isAlive():
                    return conn
            except libvirt.libvirtError:
                pass
            LOG.warning('libvirt connection to %s lost; reconnecting', self.uri)
        with self._lock:
            if self._conn is None or self._conn is conn:
                self._conn = self.call(self._open)
            return self._conn

    def close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except libvirt.libvirtError:
                pass

    # -- domains -------------------------------------------------------------

    def lookup(self, uuid):
        """The domain with this uuid, or None."""
        try:
            return self.call(self.conn.lookupByUUIDString, uuid)
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise

    def get(self, instance):
        dom = self.lookup(instance.uuid)
        if dom is None:
            raise driver.InstanceNotFound()
        return dom

    def domains(self):
        return self.call(self.conn.listAllDomains, 0)

    def define(self, xml):
        return self.call(self.conn.defineXML, xml)

    # -- secrets (iSCSI CHAP passwords) ---------------------------------------------

    def set_secret(self, usage, password):
        xml = ("<secret ephemeral='no' private='yes'><usage type='iscsi'>"
               "<target>%s</target></usage></secret>" % usage)
        secret = self._secret(usage)
        if secret is None:
            secret = self.call(self.conn.secretDefineXML, xml)
        self.call(secret.setValue, password.encode())

    def delete_secret(self, usage):
        secret = self._secret(usage)
        if secret is not None:
            try:
                self.call(secret.undefine)
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_NO_SECRET:
                    raise

    def _secret(self, usage):
        try:
            return self.call(self.conn.secretLookupByUsage, libvirt.VIR_SECRET_USAGE_TYPE_ISCSI,
                             usage)
        except libvirt.libvirtError as e:
            if e.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return None
            raise

    # -- the host ------------------------------------------------------------------

    def capabilities(self):
        return self.call(self.conn.getCapabilities)

    def info(self):
        """[model, memory MiB, cpus, MHz, nodes, sockets, cores, threads]."""
        return self.call(self.conn.getInfo)

    def version(self):
        return self.call(self.conn.getVersion)

