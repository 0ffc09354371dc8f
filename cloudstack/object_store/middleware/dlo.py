"""Dynamic large objects (Swift's DLO).

An object whose X-Object-Manifest is '<container>/<prefix>' reads as the
concatenation of the objects of <container> whose names start with
<prefix>, in name order, each read when its turn comes (never the whole in
memory). Its ETag is the MD5 of the segments' ETags, quoted; its length the
sum of theirs; one Range and conditional requests apply to the whole, and
several ranges get the whole with 200, as Swift answers.
?multipart-manifest=get reads the manifest object itself.
"""
import urllib.parse

from cloudstack.object_store.api import util
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base

MANIFEST = 'X-Object-Manifest'


def parse_manifest(value):
    """(container, prefix) of an X-Object-Manifest value (as received: its
    UTF-8 bytes as latin-1 characters, or text), or None."""
    value = urllib.parse.unquote(util.from_wsgi(value or ''))
    container, sep, prefix = value.partition('/')
    if not sep or not container or value.startswith('/'):
        return None
    return container, prefix


class DynamicLargeObject(_base.Filter):

    def handle(self, req, version, account, container, obj):
        if not obj:
            return self.app
        if req.method in ('PUT', 'POST') and MANIFEST in req.headers:
            if parse_manifest(req.headers[MANIFEST]) is None:
                return _base.finish(req, _base.error(
                    400, 'Bad Request',
                    'X-Object-Manifest must be in the format container/prefix'))
            return self.app
        if req.GET.get('multipart-manifest') == 'get':
            return self.app
        paths = _base.copy_paths(req, account, container, obj)
        if paths is not None:
            return self.copy(req, *paths)
        if req.method not in ('GET', 'HEAD'):
            return self.app
        resp = req.get_response(self.app)
        value = resp.headers.get(MANIFEST)
        if value is None and resp.status_int in (304, 412, 416):
            # The manifest's own conditions or range may have failed; the
            # large object's are what count.
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', account, container, obj),
                query={'multipart-manifest': 'get'}))
            _base.close(head)
            if head.status_int == 200 and MANIFEST in head.headers:
                _base.close(resp)
                resp, value = head, head.headers[MANIFEST]
        if value is None:
            return resp
        _base.close(resp)
        parsed = parse_manifest(value)
        if parsed is None:
            return resp
        seg_container, prefix = parsed
        segments, etags, size = [], [], 0
        try:
            for entry in _base.listing(self.app, req, account, seg_container,
                                       prefix):
                if 'name' not in entry:
                    continue
                n = int(entry.get('bytes', 0))
                etags.append(entry.get('hash', '').strip('"'))
                size += n
                if n > 0:
                    segments.append(_base.Segment(account, seg_container,
                                                  entry['name'], 0, n - 1,
                                                  entry.get('hash')))
        except _base.ListingError as exc:
            _base.close(exc.resp)
            if exc.resp.status_int == 404:
                segments, etags, size = [], [], 0
            else:
                return _base.finish(req, _base.error(
                    exc.resp.status_int, exc.resp.status.split(' ', 1)[-1]))
        etag = _base.etag_of_etags(etags)
        if ',' in req.headers.get('Range', ''):
            ranges = _base.parse_range(req.headers['Range'], size)
            if ranges and len(ranges) > 1:
                del req.headers['Range']
        req.environ['cloudstack.lo.container'] = container
        req.environ['cloudstack.lo.obj'] = obj
        out = _base.large_response(self.app, req, resp, segments, size, etag)
        out.headers[MANIFEST] = value
        return out

    def copy(self, req, src, dst):
        """A copy of a DLO is a plain object of its content (with
        ?multipart-manifest=get, a copy of the manifest)."""
        head = _base.call(self.app, _base.sub(
            req, 'HEAD', middleware.quote_path('v1', *src),
            query={'multipart-manifest': 'get'}))
        _base.close(head)
        if MANIFEST not in head.headers:
            return self.app
        return _base.copy_large(self, self.app, req, src, dst)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    middleware.register_info('dlo')

    def make(app):
        return DynamicLargeObject(app, conf)
    return make
