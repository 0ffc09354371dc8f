"""Static web sites from public containers.

For anonymous GET/HEAD (no token; or X-Web-Mode: true with one) of a
container, or of a path in it, the container's metadata decides:

- X-Container-Meta-Web-Index: the object served for the container and each
  pseudo directory (<dir>/<index>).
- X-Container-Meta-Web-Listings: 'true' for HTML listings where no index is;
  X-Container-Meta-Web-Listings-CSS a style sheet they link to.
- X-Container-Meta-Web-Error: <status><suffix> objects served with errors
  (404 -> 404error.html when it is 'error.html').
- X-Container-Meta-Web-Directory-Type: the content type of objects that
  stand for directories (default application/directory).

Reads go down the pipeline with the caller's (anonymous) context, so the
container's read ACL (.r:*, .rlistings) still decides what is public.
"""
import html
import json
import urllib.parse


from cloudstack.api import wsgi
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common

TRUE = ('true', '1', 'yes', 'on', 't', 'y')


def _quote(name):
    return urllib.parse.quote(name, safe='/')


class StaticWeb:

    def __init__(self, app, conf):
        self.app = app

    @wsgi.handles_requests
    def __call__(self, req):
        if req.method not in ('GET', 'HEAD'):
            return self.app
        web_mode = req.headers.get('X-Web-Mode', '').lower() in TRUE
        if req.context is not None and not web_mode:
            return self.app
        if req.environ.get('cloudstack.object_store.subrequest') or \
                req.environ.get('cloudstack.object_store.temp_url'):
            return self.app
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None or not parts[2]:
            return self.app
        _, account, container, obj = parts
        head = middleware.owner_headers(req.environ, account, container)
        if head is None:
            return self.app
        meta = {k.lower()[len('x-container-meta-'):]: v
                for k, v in head.items()
                if k.lower().startswith('x-container-meta-web-')}
        if not meta:
            return self.app
        site = _Site(self, req, account, container, meta)
        if not obj:
            return site.serve_container()
        return site.serve_object(obj)


class _Site:

    def __init__(self, web, req, account, container, meta):
        self.web, self.app, self.req = web, web.app, req
        self.account, self.container = account, container
        self.index = meta.get('web-index', '')
        self.error = meta.get('web-error', '')
        self.listings = meta.get('web-listings', '').lower() in TRUE
        self.css = meta.get('web-listings-css', '')
        self.dir_type = meta.get('web-directory-type') or 'application/directory'

    # --- helpers ------------------------------------------------------------
    def _get(self, obj, method=None, headers=None, query='', conditional=True):
        names = [self.account, self.container] + ([obj] if obj else [])
        passed = ('range', 'if-match', 'if-none-match', 'if-modified-since',
                  'if-unmodified-since', 'referer') if conditional else ('referer',)
        hdrs = {k: v for k, v in self.req.headers.items() if k.lower() in passed}
        hdrs.update(headers or {})
        return _common.call(self.app, self.req.environ, method or self.req.method,
                            middleware.quote_path('v1', *names), headers=hdrs,
                            query_string=query)

    def _redirect(self):
        req = self.req
        location = req.environ.get('SCRIPT_NAME', '') + req.environ['PATH_INFO'] + '/'
        if req.query_string:
            location += '?' + req.query_string
        return _common.respond(req, 301, '', 'text/html; charset=UTF-8',
                               headers={'Location': location})

    def _error(self, status, fallback=None):
        """The <status><web-error> object with `status`, if there is one."""
        if self.error:
            resp = self._get('%d%s' % (status, self.error), method='GET',
                             conditional=False)
            if resp.status_int // 100 == 2:
                resp.status = status
                resp.headers.pop('Content-Range', None)
                if self.req.method == 'HEAD':
                    resp.app_iter = []
                return resp
        if fallback is not None:
            return fallback
        return _common.error(self.req, status,
                             'Not Found' if status == 404 else 'Unauthorized')

    # --- container ----------------------------------------------------------
    def serve_container(self):
        if not self.index and not self.listings:
            return self.req.get_response(self.app)
        if not self.req.environ['PATH_INFO'].endswith('/'):
            return self._redirect()
        return self._directory('')

    def _directory(self, prefix):
        """GET of <prefix> (a pseudo directory, '' the container's root)."""
        if self.index:
            resp = self._get(prefix + self.index)
            if resp.status_int // 100 == 2 or resp.status_int == 304:
                return resp
            if resp.status_int not in (404,):
                return self._error(resp.status_int, resp)
        if self.listings:
            return self._listing(prefix)
        return self._error(404)

    def _listing(self, prefix):
        resp = self._get('', method='GET', conditional=False,
                         query='delimiter=/&format=json&prefix=' + urllib.parse.quote(prefix))
        if resp.status_int // 100 != 2:
            return self._error(resp.status_int, resp)
        items = json.loads(resp.body or b'[]') if resp.status_int == 200 else []
        if prefix and not items:
            return self._error(404)
        title = html.escape('Listing of /v1/%s/%s/%s' % (
            self.account, self.container, prefix))
        out = ['<!DOCTYPE html>', '<html>', ' <head>',
               '  <title>%s</title>' % title]
        if self.css:
            href = self.css if '://' in self.css or self.css.startswith('/') \
                else '../' * prefix.count('/') + self.css
            out.append('  <link rel="stylesheet" type="text/css" href="%s" />'
                       % html.escape(href, quote=True))
        out += [' </head>', ' <body>', '  <h1 id="title">%s</h1>' % title,
                '  <table id="listing">',
                '   <tr id="heading"><th class="colname">Name</th>'
                '<th class="colsize">Size</th><th class="coldate">Date</th></tr>']
        if prefix:
            out.append('   <tr id="parent" class="item"><td class="colname">'
                       '<a href="../">../</a></td><td class="colsize">&nbsp;</td>'
                       '<td class="coldate">&nbsp;</td></tr>')
        for item in items:
            if 'subdir' in item:
                name = item['subdir'][len(prefix):]
                out.append('   <tr class="item subdir"><td class="colname">'
                           '<a href="%s">%s</a></td><td class="colsize">&nbsp;</td>'
                           '<td class="coldate">&nbsp;</td></tr>' % (
                               html.escape(_quote(name), quote=True), html.escape(name)))
                continue
            name = item['name'][len(prefix):]
            if not name:
                continue
            out.append('   <tr class="item"><td class="colname"><a href="%s">%s</a></td>'
                       '<td class="colsize">%s</td><td class="coldate">%s</td></tr>' % (
                           html.escape(_quote(name), quote=True), html.escape(name),
                           item.get('bytes', ''),
                           html.escape(item.get('last_modified', '')[:19].replace('T', ' '))))
        out += ['  </table>', ' </body>', '</html>', '']
        return _common.respond(self.req, 200, '\n'.join(out), 'text/html; charset=UTF-8')

    # --- objects ------------------------------------------------------------
    def serve_object(self, obj):
        if obj.endswith('/'):
            if self.index or self.listings:
                return self._directory(obj)
            return self.req.get_response(self.app)
        resp = self.req.get_response(self.app)
        status = resp.status_int
        if status // 100 == 2 or status == 304:
            if resp.headers.get('Content-Type', '').split(';')[0] == self.dir_type \
                    and (self.index or self.listings):
                return self._redirect()
            return resp
        if status == 404 and (self.index or self.listings):
            # a pseudo directory named without its trailing slash
            probe = self._get(obj + '/' + self.index, method='HEAD') if self.index \
                else None
            if probe is not None and probe.status_int // 100 == 2:
                return self._redirect()
            if self.listings:
                lst = self._get('', method='GET', conditional=False,
                                query='limit=1&format=json&prefix='
                                + urllib.parse.quote(obj + '/'))
                if lst.status_int == 200 and lst.body.strip() not in (b'', b'[]'):
                    return self._redirect()
        if status in (401, 404):
            return self._error(status, resp)
        return resp


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    middleware.register_info('staticweb')

    def make(app):
        return StaticWeb(app, conf)
    return make
