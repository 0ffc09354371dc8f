"""Bulk operations: many deletes in one request, archives unpacked into objects.

- Bulk delete: DELETE or POST /v1/<account>?bulk-delete with a text/plain
  body of URL-encoded '<container>/<object>' or '<container>' lines.
- Archive extract: PUT /v1/<account>[/<container>[/<prefix>]]?extract-archive=
  tar|tar.gz|tar.bz2 with the archive as body; each file becomes an object
  (under the account: its first path element names the container, created
  when missing).

Each operation runs as subrequests with the caller's context, so what each
may do is decided as for single requests. The answer is 200 with a summary
(Number Deleted / Number Not Found, or Number Files Created; Response
Status; Errors) as text/plain, JSON or XML per Accept.
"""
import json
import tarfile
import urllib.parse
from xml.sax import saxutils


from cloudstack.api import wsgi
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common

MAX_CONTAINERS_PER_EXTRACTION = 10000
MAX_FAILED_EXTRACTIONS = 1000
MAX_DELETES_PER_REQUEST = 10000
MAX_FAILED_DELETES = 1000
MAX_PATH_LENGTH = (os_manager.MAX_CONTAINER_NAME_LENGTH
                   + os_manager.MAX_OBJECT_NAME_LENGTH + 2)
FORMATS = ('text/plain', 'application/json', 'application/xml', 'text/xml')
STATUS = {200: '200 OK', 201: '201 Created', 400: '400 Bad Request',
          401: '401 Unauthorized', 406: '406 Not Acceptable',
          413: '413 Request Entity Too Large', 502: '502 Bad Gateway'}


class _Stream:
    """A file-like read() over wsgi.input bounded by Content-Length."""

    def __init__(self, stream, length):
        self.stream, self.left = stream, length

    def read(self, size=-1):
        if self.left is not None:
            if self.left <= 0:
                return b''
            size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(size) if size is not None else self.stream.read()
        if self.left is not None:
            self.left -= len(data)
        return data


def _format(req):
    accept = req.headers.get('Accept')
    if not accept:
        return 'text/plain'
    try:
        offers = req.accept.acceptable_offers(list(FORMATS))
    except AttributeError:
        return 'text/plain'
    if not offers:
        return None
    return offers[0][0]


def _render(req, fmt, summary, errors):
    """The 200 answer carrying `summary` (ordered pairs) and `errors`."""
    if fmt == 'application/json':
        body = dict(summary)
        body['Errors'] = [[name, status] for name, status in errors]
        text = json.dumps(body)
    elif fmt in ('application/xml', 'text/xml'):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<delete>']
        for key, value in summary:
            tag = key.lower().replace(' ', '_')
            out.append('<%s>%s</%s>' % (tag, saxutils.escape(str(value)), tag))
        out.append('<errors>')
        for name, status in errors:
            out.append('<object><name>%s</name><status>%s</status></object>' % (
                saxutils.escape(name), saxutils.escape(status)))
        out.append('</errors></delete>')
        text = ''.join(out)
    else:
        lines = ['%s: %s' % (k, v) for k, v in summary]
        lines.append('Errors:')
        lines += ['%s, %s' % (name, status) for name, status in errors]
        text = '\n'.join(lines) + '\n'
    return _common.respond(req, 200, text, fmt + '; charset=utf-8')


def _root_tag(text, tag):
    return text.replace('<delete>', '<%s>' % tag, 1).replace(
        '</delete>', '</%s>' % tag)


def _overall(errors, ok):
    if not errors:
        return ok
    codes = {int(s.split(' ', 1)[0]) for _, s in errors}
    if all(400 <= c < 500 for c in codes):
        return STATUS[400]
    return STATUS[502]


class Bulk:

    def __init__(self, app, conf):
        self.app = app
        self.max_deletes = int(conf.get('max_deletes_per_request',
                                        MAX_DELETES_PER_REQUEST))
        self.max_failed_deletes = int(conf.get('max_failed_deletes',
                                               MAX_FAILED_DELETES))
        self.max_containers = int(conf.get('max_containers_per_extraction',
                                           MAX_CONTAINERS_PER_EXTRACTION))
        self.max_failed_extractions = int(conf.get('max_failed_extractions',
                                                   MAX_FAILED_EXTRACTIONS))

    @wsgi.handles_requests
    def __call__(self, req):
        params = req.GET
        if 'bulk-delete' in params and req.method in ('POST', 'DELETE'):
            return self._delete(req)
        if 'extract-archive' in params and req.method == 'PUT':
            return self._extract(req, params['extract-archive'])
        return self.app

    # --- bulk delete ----------------------------------------------------------
    def _names(self, req):
        """The paths to delete, or an error message."""
        data = _Stream(req.environ['wsgi.input'], req.content_length).read(
            (MAX_PATH_LENGTH + 1) * self.max_deletes + 1)
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            return None, 'Invalid UTF-8 in request body'
        names = [urllib.parse.unquote(line.strip()) for line in text.splitlines()
                 if line.strip()]
        if len(names) > self.max_deletes:
            return None, 'Maximum Bulk Deletes: %d per request' % self.max_deletes
        for name in names:
            if len(name.encode('utf-8')) > MAX_PATH_LENGTH:
                return None, 'Invalid File Name'
        return names, None

    def _delete(self, req):
        fmt = _format(req)
        if fmt is None:
            return _common.error(req, 406, 'Not Acceptable')
        # Swift's: names are relative to the account whatever the path
        # names after it (a container, an object).
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None:
            return _common.error(req, 404, 'Not Found')
        incoming = req.headers.get('Content-Type')
        if incoming and not incoming.startswith('text/plain'):
            return _common.error(req, 406, 'Not Acceptable')
        account = parts[1]
        names, problem = self._names(req)
        deleted = not_found = 0
        errors = []
        body_msg = ''
        status = STATUS[200]
        if problem is not None:
            body_msg, status = problem, STATUS[413 if 'Maximum' in problem else 400]
            names = []
        # objects first, then the containers they may have emptied
        names = ([n for n in names if '/' in n.strip('/')]
                 + [n for n in names if '/' not in n.strip('/')])
        for name in names:
            container, _, obj = name.lstrip('/').partition('/')
            if not container:
                continue
            target = [account, container] + ([obj] if obj else [])
            resp = _common.call(self.app, req.environ, 'DELETE',
                                middleware.quote_path('v1', *target))
            if resp.status_int // 100 == 2:
                deleted += 1
            elif resp.status_int == 404:
                not_found += 1
            else:
                errors.append((urllib.parse.quote(name), resp.status))
                if len(errors) >= self.max_failed_deletes:
                    body_msg = 'Max delete failures exceeded'
                    break
        if problem is None:
            status = _overall(errors, STATUS[200])
            if not errors and not deleted and not not_found:
                body_msg, status = 'Invalid bulk delete.', STATUS[400]
        summary = [('Number Deleted', deleted), ('Number Not Found', not_found),
                   ('Response Body', body_msg), ('Response Status', status)]
        return _render(req, fmt, summary, errors)

    # --- archive extract -------------------------------------------------------
    def _extract(self, req, compression):
        fmt = _format(req)
        if fmt is None:
            return _common.error(req, 406, 'Not Acceptable')
        modes = {'tar': 'r|', 'tar.gz': 'r|gz', 'tgz': 'r|gz', 'tar.bz2': 'r|bz2',
                 'tbz2': 'r|bz2'}
        mode = modes.get(compression.lower())
        if mode is None:
            return _common.error(req, 400, 'Bad Request',
                                 'Unsupported archive format')
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None:
            return _common.error(req, 400, 'Bad Request', 'Invalid path')
        if req.content_length is None and \
                'chunked' not in req.headers.get('Transfer-Encoding', '').lower():
            return _common.error(req, 411, 'Length Required')
        _, account, base_container, base_prefix = parts
        created = 0
        errors = []
        body_msg = ''
        status = None
        made = set()
        try:
            archive = tarfile.open(mode=mode, fileobj=_Stream(
                req.environ['wsgi.input'], req.content_length))
            for member in archive:
                if not member.isfile():
                    continue
                name = member.name
                while name.startswith('./'):
                    name = name[2:]
                name = name.lstrip('/')
                path = name
                if base_container:
                    path = base_container + '/' + (base_prefix + name if base_prefix
                                                   else name)
                container, _, obj = path.partition('/')
                if not container or not obj:
                    continue
                if len(obj.encode('utf-8')) > os_manager.MAX_OBJECT_NAME_LENGTH or \
                        len(container.encode('utf-8')) > \
                        os_manager.MAX_CONTAINER_NAME_LENGTH:
                    errors.append((urllib.parse.quote(path[:MAX_PATH_LENGTH]),
                                   STATUS[400]))
                    continue
                if container not in made:
                    if len(made) >= self.max_containers:
                        body_msg = 'More than %d containers to create from tar.' % (
                            self.max_containers)
                        status = STATUS[400]
                        break
                    resp = _common.call(self.app, req.environ, 'HEAD',
                                        middleware.quote_path('v1', account, container))
                    if resp.status_int == 404 or (resp.status_int in (401, 403)
                                                  and not base_container):
                        resp = _common.call(self.app, req.environ, 'PUT',
                                            middleware.quote_path('v1', account, container),
                                            headers={'Content-Length': '0'})
                    if resp.status_int // 100 != 2:
                        errors.append((urllib.parse.quote(container), resp.status))
                        made.add(container)
                        continue
                    made.add(container)
                data = archive.extractfile(member)
                headers = {}
                for key, value in (member.pax_headers or {}).items():
                    for pfx in ('SCHILY.xattr.user.meta.', 'LIBARCHIVE.xattr.user.meta.'):
                        if key.startswith(pfx):
                            headers['X-Object-Meta-' + key[len(pfx):]] = value
                    for pfx in ('SCHILY.xattr.user.mime_type',
                                'LIBARCHIVE.xattr.user.mime_type'):
                        if key == pfx:
                            headers['Content-Type'] = value
                resp = _common.call(self.app, req.environ, 'PUT',
                                    middleware.quote_path('v1', account, container, obj),
                                    headers=headers, body=data,
                                    content_length=member.size)
                if resp.status_int // 100 == 2:
                    created += 1
                else:
                    errors.append((urllib.parse.quote(path), resp.status))
                    if len(errors) >= self.max_failed_extractions:
                        body_msg = 'Max failures exceeded'
                        break
        except (tarfile.TarError, EOFError, OSError):
            body_msg = 'Invalid Tar File: not a valid archive'
            status = STATUS[400]
        if status is None:
            status = _overall(errors, STATUS[201])
            if status == STATUS[201] and not created and not errors:
                body_msg, status = 'Invalid Tar File: No Valid Files', STATUS[400]
        summary = [('Number Files Created', created), ('Response Body', body_msg),
                   ('Response Status', status)]
        resp = _render(req, fmt, summary, errors)
        if fmt in ('application/xml', 'text/xml'):
            resp.body = _root_tag(resp.body.decode(), 'extract').encode()
        return resp


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    probe = Bulk(None, conf)
    middleware.register_info('bulk_delete',
                             max_deletes_per_request=probe.max_deletes,
                             max_failed_deletes=probe.max_failed_deletes)
    middleware.register_info('bulk_upload',
                             max_containers_per_extraction=probe.max_containers,
                             max_failed_extractions=probe.max_failed_extractions)

    def make(app):
        return Bulk(app, conf)
    return make
