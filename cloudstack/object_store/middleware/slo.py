"""Static large objects (Swift's SLO).

PUT ?multipart-manifest=put with a JSON list of segments
({"path": "/container/object", "etag": ..., "size_bytes": ..., "range": ...},
or {"data": <base64>} for bytes kept in the manifest itself) checks every
object segment (HEAD), then stores the manifest in Swift's stored form
([{"name", "hash", "bytes", "content_type", "last_modified"[, "range",
"sub_slo"]} or {"data"}]) marked X-Static-Large-Object: True, with the large object's
ETag (MD5 of the segments' ETags) and size kept as sysmeta.

GET/HEAD of the manifest reads the segments one after another (nested SLOs
and segment ranges included, Range over the whole); ?multipart-manifest=get
returns the stored manifest (format=raw: the form it was PUT in); DELETE
?multipart-manifest=delete deletes the segments and then the manifest.
"""
import base64
import binascii
import email.utils
import hashlib
import json
import urllib.parse

import eventlet
import webob

from cloudstack.object_store.api import objects
from cloudstack.object_store.api import util
from cloudstack.object_store import manager
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base

SLO = 'X-Static-Large-Object'
SLO_ETAG = 'X-Object-Sysmeta-Slo-Etag'
SLO_SIZE = 'X-Object-Sysmeta-Slo-Size'
_OWN = (SLO_ETAG, SLO_SIZE)
MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
MAX_NESTING = 10
# Seconds between the blanks of a heartbeating manifest PUT.
YIELD_FREQUENCY = 10
# What Swift's error pages say, where util's do not say it.
_EXPLAINED = {400: 'The server could not comply with the request since it is '
                   'either malformed or otherwise incorrect.'}
_KEYS = {'path', 'etag', 'size_bytes', 'range'}
# Headers of a manifest PUT that the stored manifest keeps.
_PASS = ('content-type', 'content-encoding', 'content-disposition',
         'content-language', 'cache-control', 'expires', 'x-robots-tag',
         'if-none-match', 'x-detect-content-type')


class ManifestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def parse_seg_range(value, size):
    """(first, last) inclusive of an SLO segment's 'range' ('a-b', 'a-',
    '-n') within a segment of `size` bytes; None when unsatisfiable."""
    first, sep, last = value.partition('-')
    if not sep:
        raise ValueError(value)
    if first == '':
        n = int(last)
        if n <= 0:
            return None
        return max(size - n, 0), size - 1
    a = int(first)
    b = int(last) if last != '' else size - 1
    if a < 0 or b < a:
        raise ValueError(value)
    if a >= size:
        return None
    return a, min(b, size - 1)


def _is_slo(headers):
    return _base.truthy(headers.get(SLO))


def _split_seg_path(path):
    """(container, obj) of '/container/object', or None."""
    if not isinstance(path, str):
        return None
    parts = path.lstrip('/').split('/', 1)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def inline_data(entry):
    return base64.b64decode(entry['data'])


def slo_etag_of(entries):
    etags = []
    for e in entries:
        if 'data' in e:
            # an inline segment counts as the object its bytes would be
            etags.append(hashlib.md5(inline_data(e)).hexdigest())
            continue
        tag = e['hash'].strip('"')
        if e.get('range'):
            tag = '%s:%s;' % (tag, e['range'])
        etags.append(tag)
    return _base.etag_of_etags(etags)


def entry_size(e):
    if 'data' in e:
        return len(inline_data(e))
    if e.get('range'):
        rng = parse_seg_range(e['range'], int(e['bytes']))
        return 0 if rng is None else rng[1] - rng[0] + 1
    return int(e['bytes'])


class StaticLargeObject(_base.Filter):

    def __init__(self, app, conf):
        super().__init__(app, conf)
        self.max_segments = int(conf.get('max_manifest_segments',
                                         MAX_MANIFEST_SEGMENTS))
        self.max_size = int(conf.get('max_manifest_size', MAX_MANIFEST_SIZE))
        self.min_segment_size = int(conf.get('min_segment_size', 1))

    def handle(self, req, version, account, container, obj):
        if not obj:
            return self.app
        mm = req.GET.get('multipart-manifest')
        paths = _base.copy_paths(req, account, container, obj)
        if paths is not None and mm != 'put':
            return self.copy(req, mm, *paths)
        if req.method == 'PUT':
            if mm == 'put':
                return self.put_manifest(req, account, container, obj)
            if SLO in req.headers:
                return _base.finish(req, _base.error(
                    400, 'Bad Request',
                    '%s is a reserved header. To create a static large object '
                    'add query param multipart-manifest=put.' % SLO))
            return self.app
        if req.method == 'DELETE' and mm == 'delete':
            return self.delete_manifest(req, account, container, obj)
        if req.method in ('GET', 'HEAD'):
            if mm == 'get':
                return self.get_manifest(req, account, container, obj)
            return self.get_large(req, account, container, obj)
        return self.app

    # --- PUT ---------------------------------------------------------------
    def _parse(self, req):
        if req.content_length is not None and req.content_length > self.max_size:
            raise ManifestError(413, 'Manifest File > %d bytes' % self.max_size)
        raw = req.body_file.read(self.max_size + 1)
        if len(raw) > self.max_size:
            raise ManifestError(413, 'Manifest File > %d bytes' % self.max_size)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):     # too deeply nested, too
            raise ManifestError(400, 'Manifest must be valid JSON.\n')
        if not isinstance(data, list):
            raise ManifestError(400, 'Manifest must be a list.\n')
        if len(data) > self.max_segments:
            raise ManifestError(400, 'Number of segments must be <= %d\n' %
                                self.max_segments)
        if not data:
            raise ManifestError(400, 'Manifest must have at least one segment.\n')
        errors = []
        for i, seg in enumerate(data):
            if not isinstance(seg, dict):
                errors.append('Index %d: not a JSON object' % i)
                continue
            if 'data' in seg and 'path' not in seg:
                problem = _check_data(seg)
                if problem:
                    errors.append('Index %d: %s' % (i, problem))
                continue
            extra = set(seg) - _KEYS
            if extra:
                errors.append('Index %d: extraneous keys %s' % (
                    i, ', '.join('"%s"' % k for k in sorted(extra))))
                continue
            if 'path' not in seg:
                errors.append('Index %d: expected keys to include path' % i)
                continue
            if _split_seg_path(seg['path']) is None:
                errors.append('Index %d: path does not refer to an object. Path '
                              'must be of the form /container/object.' % i)
                continue
            size = seg.get('size_bytes')
            if size is not None and (isinstance(size, bool) or not isinstance(
                    size, int) and not (isinstance(size, str) and size.isdigit())):
                errors.append('Index %d: "size_bytes" must be an integer, null, '
                              'or missing.' % i)
                continue
            if size is not None:
                seg['size_bytes'] = int(size)
            etag = seg.get('etag')
            if etag is not None and not isinstance(etag, str):
                errors.append('Index %d: "etag" must be a string, null, or '
                              'missing.' % i)
                continue
            rng = seg.get('range')
            if rng is not None:
                if not isinstance(rng, str):
                    errors.append('Index %d: invalid range' % i)
                    continue
                try:
                    parse_seg_range(rng, 2 ** 62)
                except ValueError:
                    errors.append('Index %d: invalid range' % i)
                    continue
        if not errors and all('data' in seg for seg in data):
            errors.append('Inline data segments require at least one '
                          'object-backed segment.')
        if errors:
            raise ManifestError(400, '\n'.join(errors) + '\n')
        return data

    def put_manifest(self, req, account, container, obj):
        if _base.truthy(req.GET.get('heartbeat')):
            return self._put_heartbeating(req, account, container, obj)
        return self._put_manifest(req, account, container, obj)[0]

    def _put_heartbeating(self, req, account, container, obj):
        """?heartbeat=on: 202 at once, blanks while the segments are
        checked, then the outcome in the body (text or JSON, as bulk
        answers)."""
        def body():
            yield b' '
            worker = eventlet.spawn(self._put_manifest, req, account, container, obj)
            while True:
                with eventlet.Timeout(YIELD_FREQUENCY, False):
                    resp, problems = worker.wait()
                    break
                yield b' '
            _base.close(resp)
            code = resp.status_int
            result = {'Response Status': resp.status,
                      'Response Body': '' if _base.is_success(resp) else
                      '%s\n%s' % (resp.status.split(' ', 1)[-1],
                                   _EXPLAINED.get(code, util._BODIES.get(code, ''))),
                      'Errors': [list(p) for p in problems]}
            if _base.is_success(resp):
                result['Etag'] = resp.headers.get('ETag', '').strip('"')
                result['Last Modified'] = resp.headers.get('Last-Modified', '')
            if 'application/json' in req.headers.get('Accept', ''):
                out = json.dumps(result)
            else:
                lines = ['%s: %s' % (k, result[k]) for k in (
                    'Response Status', 'Etag', 'Last Modified', 'Response Body')
                    if k in result]
                lines += ['Errors:'] + ['%s, %s' % tuple(p) for p in problems]
                out = '\n'.join(lines) + '\n'
            yield b'\r\n\r\n' + out.encode()
        out = webob.Response(status=202, content_type=None)
        out.headers['Content-Type'] = (
            'application/json; charset=utf-8'
            if 'application/json' in req.headers.get('Accept', '')
            else 'text/plain; charset=utf-8')
        out.app_iter = body()
        return _base.finish(req, out)

    def _put_manifest(self, req, account, container, obj):
        """(response, [(segment path, problem)])."""
        try:
            data = self._parse(req)
        except ManifestError as exc:
            return _base.finish(req, _base.error(
                exc.status, 'Bad Request' if exc.status == 400 else
                'Request Entity Too Large', str(exc))), []
        problems, entries = [], []
        for i, seg in enumerate(data):
            if 'data' in seg:
                entries.append({'data': seg['data']})
                continue
            s_container, s_obj = _split_seg_path(seg['path'])
            path = seg['path']     # problems name it as the client did
            if (s_container, s_obj) == (container, obj):
                problems.append((path, 'Manifest cannot reference itself'))
                continue
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', account, s_container, s_obj),
                query={'multipart-manifest': 'get'}, show_sysmeta=True))
            _base.close(head)
            if not _base.is_success(head):
                problems.append((path, head.status))
                continue
            sub_slo = _is_slo(head.headers)
            if sub_slo:
                size = int(head.headers.get(SLO_SIZE, 0))
                etag = head.headers.get(SLO_ETAG, '')
            else:
                size = int(head.content_length or 0)
                etag = head.headers.get('ETag', '').strip('"')
            want_size = seg.get('size_bytes')
            want_etag = seg.get('etag')
            if want_size is not None and want_size != size:
                problems.append((path, 'Size Mismatch'))
            if want_etag is not None and want_etag.strip('"') != etag:
                problems.append((path, 'Etag Mismatch'))
            entry = {'name': '/%s/%s' % (s_container, s_obj), 'bytes': size, 'hash': etag,
                     'content_type': head.headers.get('Content-Type', ''),
                     'last_modified': _iso(head.headers)}
            if sub_slo:
                entry['sub_slo'] = True
            rng = seg.get('range')
            if rng is not None:
                r = parse_seg_range(rng, size)
                if r is None:
                    problems.append((path, 'Unsatisfiable Range'))
                    continue
                entry['range'] = '%d-%d' % r
                if r == (0, size - 1):
                    del entry['range']
            seg_len = entry_size(entry)
            if seg_len < 1 or (seg_len < self.min_segment_size
                               and i < len(data) - 1):
                problems.append((path, 'Too small; each segment must be at '
                                       'least %d byte%s.' % (
                                           max(self.min_segment_size, 1),
                                           's' if self.min_segment_size > 1 else '')))
                continue
            entries.append(entry)
        if problems:
            return _base.finish(req, self._problems(req, problems)), problems
        total = sum(entry_size(e) for e in entries)
        etag = slo_etag_of(entries)
        want = req.headers.get('ETag')
        if want and want.strip('"') != etag:
            return _base.finish(req, _base.error(422, 'Unprocessable Entity')), []
        body = json.dumps(entries).encode()
        headers = {k: v for k, v in req.headers.items()
                   if k.lower().startswith(('x-object-meta-', 'x-delete-'))
                   or k.lower() in _PASS and k.lower() != 'x-detect-content-type'}
        # listings show the large object's size and ETag (as Swift's do)
        headers['Content-Type'] = '%s;swift_bytes=%d;slo_etag=%s' % (
            objects.content_type_for(req, obj), total, etag)
        sysmeta = {SLO: 'True', SLO_ETAG: etag, SLO_SIZE: str(total)}
        put = _base.sub(req, 'PUT', middleware.quote_path('v1', account, container, obj),
                        headers=headers, body=body, sysmeta=sysmeta)
        resp = _base.call(self.app, put)
        if _base.is_success(resp):
            resp.headers['ETag'] = '"%s"' % etag
        return resp, []

    def _problems(self, req, problems):
        accept = req.headers.get('Accept', '')
        if 'application/json' in accept:
            return _base.error(400, 'Bad Request', json.dumps(
                {'Errors': [[p, s] for p, s in problems]}),
                content_type='application/json; charset=UTF-8')
        return _base.error(400, 'Bad Request', 'Errors:\n' + '\n'.join(
            '%s, %s' % (urllib.parse.quote(p), s) for p, s in problems))

    # --- COPY --------------------------------------------------------------
    def copy(self, req, mm, src, dst):
        """A copy of an SLO is a plain object of its content; with
        ?multipart-manifest=get, a copy of the manifest (an SLO again)."""
        # a COPY's version-id names the source's version (object versioning)
        version = req.GET.get('version-id') if req.method == 'COPY' else None
        head = _base.call(self.app, _base.sub(
            req, 'HEAD', middleware.quote_path('v1', *src),
            query=_manifest_query(version)))
        _base.close(head)
        if not _is_slo(head.headers):
            return self.app
        if mm == 'get':
            if src[0] != dst[0]:
                return self._copy_manifest_across(req, head, src, dst)
            req.environ[_base.SYSMETA_ENV] = dict(
                req.environ.get(_base.SYSMETA_ENV) or {}, **{SLO: 'True'})
            return self.app
        return _base.copy_large(self, self.app, req, src, dst,
                                src_query={'version-id': version} if version else None)

    def _copy_manifest_across(self, req, head, src, dst):
        """A manifest copied to another account is PUT there again, its
        segments checked with the caller's rights in that account."""
        resp, entries = self._fetch_manifest(req, *src)
        _base.close(resp)
        if entries is None:
            return _base.finish(req, _base.error(resp.status_int,
                                                 resp.status.split(' ', 1)[-1]))
        headers = {}
        if not _base.truthy(req.headers.get('X-Fresh-Metadata')):
            headers.update(_base.copied_headers(head.headers))
        headers.update(_base.copied_headers(req.headers, request=True))
        headers['Content-Type'] = manager.split_content_type(
            headers.get('Content-Type') or 'application/octet-stream')[0]
        put = _base.sub(req, 'PUT', middleware.quote_path('v1', *dst),
                        headers=headers, body=json.dumps(_raw(entries)).encode(),
                        query={'multipart-manifest': 'put'})
        return self._put_manifest(put, *dst)[0]

    # --- GET ---------------------------------------------------------------
    def _fetch_manifest(self, req, account, container, obj, version=None):
        """(response, entries) of a manifest (of that version: object
        versioning's version-id) read raw, or (response, None)."""
        resp = _base.call(self.app, _base.sub(
            req, 'GET', middleware.quote_path('v1', account, container, obj),
            query=_manifest_query(version), show_sysmeta=True))
        if not _base.is_success(resp) or not _is_slo(resp.headers):
            return resp, None
        return resp, json.loads(_base.body_of(resp))

    def get_manifest(self, req, account, container, obj):
        shown = _base.show_sysmeta(req)
        method = req.method
        if req.GET.get('format') == 'raw':
            req.method = 'GET'      # the raw form's length needs the body
        resp = req.get_response(self.app)
        req.method = method
        _base.hide_sysmeta(resp, shown, _OWN)
        if resp.status_int != 200 or not _is_slo(resp.headers):
            return resp
        body = _base.body_of(resp)
        if req.GET.get('format') == 'raw':
            body = json.dumps(_raw(json.loads(body))).encode()
        if req.GET.get('format') != 'raw':
            resp.headers['Content-Type'] = 'application/json; charset=utf-8'
        resp.app_iter = [] if req.method == 'HEAD' else [body]
        if req.GET.get('format') == 'raw':
            resp.headers['ETag'] = hashlib.md5(body).hexdigest()
        resp.headers['Content-Length'] = str(len(body))
        return resp

    def _segments(self, req, account, entries, depth=0):
        """Flatten entries (sub-SLOs read and expanded) into Segments."""
        if depth >= MAX_NESTING:
            # at most MAX_NESTING manifests in a chain; Swift's plain 409
            raise _base.SegmentError('')
        out = []
        for e in entries:
            if 'data' in e:
                raw = inline_data(e)
                out.append(_base.Segment(None, None, None, 0, len(raw) - 1,
                                         data=raw))
                continue
            s_container, s_obj = _split_seg_path(e['name'])
            size = int(e['bytes'])
            rng = parse_seg_range(e['range'], size) if e.get('range') else None
            if e.get('range') and rng is None:
                continue
            if e.get('sub_slo'):
                resp, sub = self._fetch_manifest(req, account, s_container, s_obj)
                if sub is None:
                    _base.close(resp)
                    raise _base.SegmentError(
                        'While processing manifest, got %d while retrieving '
                        '/%s/%s' % (resp.status_int, s_container, s_obj))
                segs = self._segments(req, account, sub, depth + 1)
                if rng is not None:
                    segs = _base.cut(segs, rng[0], rng[1])
                out.extend(segs)
                continue
            if rng is None:
                rng = (0, size - 1)
            out.append(_base.Segment(account, s_container, s_obj, rng[0], rng[1],
                                     e.get('hash'), whole=rng == (0, size - 1)))
        return out

    def get_large(self, req, account, container, obj):
        part = req.GET.get('part-number')
        if part is not None and not (part.isdigit() and int(part) > 0):
            out = _base.error(400, 'Bad Request',
                              'Part number must be an integer greater than 0')
            if req.method == 'HEAD':
                out.body = b''
            return _base.finish(req, out)
        shown = _base.show_sysmeta(req)
        resp = req.get_response(self.app)
        is_slo = _is_slo(resp.headers)
        full = req.method == 'GET' and resp.status_int == 200
        if not is_slo and resp.status_int in (304, 412, 416):
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', account, container, obj),
                query=_manifest_query(req.GET.get('version-id')), show_sysmeta=True))
            _base.close(head)
            if head.status_int == 200 and _is_slo(head.headers):
                _base.close(resp)
                resp, is_slo, full = head, True, False
        if not is_slo:
            _base.hide_sysmeta(resp, shown, _OWN)
            return resp
        etag = resp.headers.get(SLO_ETAG)
        size = resp.headers.get(SLO_SIZE)
        manifest_etag = resp.headers.get('ETag', '').strip('"')
        entries = None
        if req.method == 'GET' or etag is None or size is None or part is not None:
            if full:
                entries = json.loads(_base.body_of(resp))
            else:
                _base.close(resp)
                resp, entries = self._fetch_manifest(req, account, container, obj,
                                                     req.GET.get('version-id'))
                if entries is None:
                    return resp
        _base.close(resp)
        if entries is not None:
            etag = etag or slo_etag_of(entries)
            size = sum(entry_size(e) for e in entries)
        size = int(size)
        segments = []
        if entries is not None:
            try:
                segments = self._segments(req, account, entries)
            except _base.SegmentError as exc:
                return _base.finish(req, _base.error(409, 'Conflict', str(exc) or None))
        extra = {SLO: 'True', 'X-Manifest-Etag': manifest_etag}
        for kept in ('X-Object-Version-Id', 'Last-Modified', 'X-Timestamp'):
            if kept in resp.headers:        # also in a refusal of a part
                extra[kept] = resp.headers[kept]
        if part is not None:
            extra['X-Parts-Count'] = str(len(entries))
            if int(part) > len(entries):
                out = _base.error(416, 'Requested Range Not Satisfiable',
                                  'The requested part number is not satisfiable',
                                  headers=dict(extra, **{
                                      'ETag': '"%s"' % etag,
                                      'Content-Range': 'bytes */%d' % size}))
                if req.method == 'HEAD':
                    out.body = b''
                return _base.finish(req, out)
            start = sum(entry_size(e) for e in entries[:int(part) - 1])
            req.headers['Range'] = 'bytes=%d-%d' % (
                start, start + entry_size(entries[int(part) - 1]) - 1)
        req.environ['cloudstack.lo.container'] = container
        req.environ['cloudstack.lo.obj'] = obj
        out = _base.large_response(self.app, req, resp, segments, size, etag,
                                   check_etag=True)
        _base.hide_sysmeta(out, shown, _OWN)
        out.headers.update(extra)
        return out

    # --- DELETE ------------------------------------------------------------
    def _delete_tree(self, req, account, container, obj, result, depth=0,
                     version=None):
        resp, entries = self._fetch_manifest(req, account, container, obj, version)
        if entries is None:
            _base.close(resp)
        elif depth < MAX_NESTING:
            for e in entries:
                parts = _split_seg_path(e.get('name'))
                if parts is None:
                    continue
                if e.get('sub_slo'):
                    self._delete_tree(req, account, parts[0], parts[1], result,
                                      depth + 1)
                else:
                    self._delete_one(req, account, parts[0], parts[1], result)
        self._delete_one(req, account, container, obj, result, version)

    def _delete_one(self, req, account, container, obj, result, version=None):
        resp = _base.call(self.app, _base.sub(
            req, 'DELETE', middleware.quote_path('v1', account, container, obj),
            query={'version-id': version} if version else None))
        _base.close(resp)
        if resp.status_int == 404:
            result['Number Not Found'] += 1
        elif _base.is_success(resp):
            result['Number Deleted'] += 1
        else:
            result['Errors'].append(['/%s/%s' % (container, obj), resp.status])

    def delete_manifest(self, req, account, container, obj):
        result = {'Number Deleted': 0, 'Number Not Found': 0,
                  'Response Body': '', 'Response Status': '200 OK',
                  'Errors': []}
        self._delete_tree(req, account, container, obj, result,
                          version=req.GET.get('version-id'))
        if result['Errors']:
            result['Response Status'] = '400 Bad Request'
        resp = webob.Response(status=200, content_type=None)
        if 'application/json' in req.headers.get('Accept', ''):
            resp.headers['Content-Type'] = 'application/json; charset=utf-8'
            resp.body = json.dumps(result).encode()
        else:
            resp.headers['Content-Type'] = 'text/plain; charset=utf-8'
            lines = ['Number Deleted: %d' % result['Number Deleted'],
                     'Number Not Found: %d' % result['Number Not Found'],
                     'Response Body: ', 'Response Status: %s' % result[
                         'Response Status'],
                     'Errors: ']
            lines += ['%s, %s' % (urllib.parse.quote(p), s)
                      for p, s in result['Errors']]
            resp.body = ('\n'.join(lines) + '\n').encode()
        return _base.finish(req, resp)


def _manifest_query(version=None):
    query = {'multipart-manifest': 'get'}
    if version:
        query['version-id'] = version
    return query


def _raw(entries):
    """A stored manifest in the form it is PUT in."""
    raw = []
    for e in entries:
        if 'data' in e:
            raw.append({'data': e['data']})
            continue
        item = {'path': e['name'], 'etag': e['hash'], 'size_bytes': e['bytes']}
        if e.get('range'):
            item['range'] = e['range']
        raw.append(item)
    return raw


def _check_data(seg):
    """What is wrong with an inline data segment (normalising its base64),
    or None."""
    if set(seg) != {'data'}:
        return 'extraneous keys %s' % ', '.join(
            '"%s"' % k for k in sorted(set(seg) - {'data'}))
    try:
        raw = base64.b64decode(seg['data'], validate=True)
    except (binascii.Error, TypeError, ValueError):
        return 'data must be valid base64'
    if not raw:
        return 'too small; each segment must be at least 1 byte.'
    seg['data'] = base64.b64encode(raw).decode('ascii')
    return None


def _iso(headers):
    value = headers.get('Last-Modified')
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return ''
    return dt.strftime('%Y-%m-%dT%H:%M:%S.%f')


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    mw = StaticLargeObject(None, conf)
    middleware.register_info(
        'slo', max_manifest_segments=mw.max_segments,
        yield_frequency=YIELD_FREQUENCY,
        max_manifest_size=mw.max_size, min_segment_size=mw.min_segment_size)

    def make(app):
        return StaticLargeObject(app, conf)
    return make
