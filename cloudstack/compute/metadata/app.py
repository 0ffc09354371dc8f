"""The metadata service: what a guest reads at http://169.254.169.254/.

The network agent's metadata proxy (in the guest's router or DHCP namespace)
forwards the guest's request here with `X-Instance-ID` and
`X-Instance-ID-Signature`, the HMAC-SHA256 of that id keyed with
`[metadata] shared_secret`. That signed id is the only thing this app trusts:
a request without it, or with a bad signature, is refused, and nothing a
guest may forge (its source address, X-Forwarded-For) chooses the instance.

Documents come from `document.InstanceMetadata`; the instance's plain data
comes from the compute manager (`source`, see `ManagerSource`).
"""
import hashlib
import hmac
import logging
import threading
import time

import webob
import webob.dec
import webob.exc

from cloudstack import context
from cloudstack import exception
from cloudstack.compute.metadata import document
from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)
OPENSTACK_FILES = ['meta_data.json', 'password', 'vendor_data.json', 'network_data.json',
                   'vendor_data2.json']


def sign(instance_id, secret=None):
    """The signature the metadata proxy sends with `instance_id`."""
    secret = CONF.metadata.shared_secret if secret is None else secret
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


class ManagerSource:
    """An instance's plain data, from the compute manager:
    `get_instance_metadata(ctx, instance_id)` returns `(Instance,
    network_info, extra)` (see document.py) or raises NotFound;
    `set_instance_password(ctx, instance_id, password)` keeps what a guest
    posts to .../password (raises Conflict when one is already set)."""

    @staticmethod
    def _manager():
        from cloudstack.compute import manager
        return manager.get()

    def get(self, instance_id):
        return self._manager().get_instance_metadata(context.RequestContext.admin(),
                                                     instance_id)

    def set_password(self, instance_id, password):
        self._manager().set_instance_password(context.RequestContext.admin(),
                                              instance_id, password)


class MetadataApp:
    def __init__(self, source=None):
        self.source = source or ManagerSource()
        self._cache = {}
        self._lock = threading.Lock()

    # -- who is asking -------------------------------------------------------

    def _instance_id(self, req):
        instance_id = req.headers.get('X-Instance-ID')
        signature = req.headers.get('X-Instance-ID-Signature')
        secret = CONF.metadata.shared_secret
        if not secret:
            LOG.warning('metadata request refused: [metadata] shared_secret is not set')
            raise webob.exc.HTTPForbidden()
        if not instance_id:
            raise webob.exc.HTTPBadRequest('X-Instance-ID header is missing from request.')
        if not signature or not hmac.compare_digest(sign(instance_id, secret),
                                                    signature.strip()):
            LOG.warning('metadata request for %s with a bad signature refused', instance_id)
            raise webob.exc.HTTPForbidden('Invalid proxy request signature.')
        return instance_id

    def _metadata(self, instance_id, fresh=False):
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(instance_id)
            if hit and hit[0] > now and not fresh:
                return hit[1]
        try:
            instance, network_info, extra = self.source.get(instance_id)
        except exception.NotFound:
            raise webob.exc.HTTPNotFound()
        md = document.InstanceMetadata(instance, network_info, extra)
        if CONF.metadata.cache_expiration:
            with self._lock:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                self._cache[instance_id] = (now + CONF.metadata.cache_expiration, md)
        return md

    # -- the request ---------------------------------------------------------

    @webob.dec.wsgify
    def __call__(self, req):
        if req.method not in ('GET', 'HEAD', 'POST'):
            raise webob.exc.HTTPMethodNotAllowed()
        instance_id = self._instance_id(req)
        parts = [p for p in req.path_info.split('/') if p]
        if not parts:
            return _text('\n'.join(document.EC2_VERSIONS + [document.LATEST]))
        md = self._metadata(instance_id, fresh=req.method == 'POST')
        tenant = req.headers.get('X-Tenant-ID')
        if tenant and tenant != md.instance.project_id:
            LOG.warning('metadata request for %s names another project', instance_id)
            raise webob.exc.HTTPNotFound()
        if parts[0] == 'openstack':
            return self._openstack(req, md, parts[1:])
        return self._ec2(req, md, parts)

    def _openstack(self, req, md, parts):
        if not parts:
            return _text('\n'.join(document.OPENSTACK_VERSIONS + [document.LATEST]))
        version = document.openstack_version(parts[0])
        if version is None:
            raise webob.exc.HTTPNotFound()
        files = md.openstack_files(parts[0])
        if len(parts) == 1:
            names = [n for n in OPENSTACK_FILES if n in files or n == 'password']
            if 'user_data' in files:
                names.append('user_data')
            return _text('\n'.join(names))
        name = '/'.join(parts[1:])
        if name == 'password':
            return self._password(req, md)
        if req.method == 'POST':
            raise webob.exc.HTTPMethodNotAllowed()
        if name not in files:
            raise webob.exc.HTTPNotFound()
        kind = 'application/json' if name.endswith('.json') else 'application/octet-stream'
        return webob.Response(body=files[name], content_type=kind, charset=None)

    def _password(self, req, md):
        if req.method != 'POST':
            return _text(md.extra.get('password') or '')
        body = req.body
        if len(body) > document.MAX_PASSWORD_BYTES:
            raise webob.exc.HTTPBadRequest('Request is too large.')
        if md.extra.get('password'):
            raise webob.exc.HTTPConflict()
        try:
            self.source.set_password(md.instance.uuid, body.decode('utf-8', 'replace'))
        except exception.Conflict:
            raise webob.exc.HTTPConflict()
        with self._lock:
            self._cache.pop(md.instance.uuid, None)
        return _text('')

    def _ec2(self, req, md, parts):
        if req.method == 'POST':
            raise webob.exc.HTTPMethodNotAllowed()
        if parts[0] not in document.EC2_VERSIONS + [document.LATEST]:
            raise webob.exc.HTTPNotFound()
        if len(parts) == 1:
            return _text('meta-data/\nuser-data' if md.user_data else 'meta-data/')
        if parts[1] == 'user-data' and len(parts) == 2:
            if not md.user_data:
                raise webob.exc.HTTPNotFound()
            return webob.Response(body=md.user_data, content_type='application/octet-stream',
                                  charset=None)
        if parts[1] != 'meta-data':
            raise webob.exc.HTTPNotFound()
        node, path = md.ec2_meta_data(), ()
        for part in parts[2:]:
            if not isinstance(node, dict):
                raise webob.exc.HTTPNotFound()
            if path == ('public-keys',):
                part = part.split('=')[0]
            if part not in node:
                raise webob.exc.HTTPNotFound()
            node, path = node[part], path + (part,)
        if isinstance(node, dict):
            return _text('\n'.join(md.ec2_listing(path, node)))
        return _text(node)


def _text(text):
    return webob.Response(text=text, content_type='text/plain', charset='utf-8')


def app_factory(global_conf, **local_conf):
    return MetadataApp()

