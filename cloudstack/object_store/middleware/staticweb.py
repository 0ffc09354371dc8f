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
from cloudstack.object_store.api import util
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common

TRUE = ('true', '1', 'yes', 'on', 't', 'y')


TEMP_URL_ENV = 'cloudstack.object_store.temp_url'       # set by tempurl
GENERATED_ENV = 'cloudstack.object_store.web_generated'  # a page of ours


def _href(name):
    """A listed name as Swift links it: relative, quoted, dots escaped."""
    return './' + urllib.parse.quote(name).replace('.', '%2E')


def _row(css_class, href, label, size='&nbsp;', date='&nbsp;'):
    """A listing's row; css_class None: the parent's."""
    attr = 'id="parent" class="item"' if css_class is None else 'class="%s"' % css_class
    return ['   <tr %s>' % attr,
            '    <td class="colname"><a href="%s">%s</a></td>' % (href, label),
            '    <td class="colsize">%s</td>' % size,
            '    <td class="coldate">%s</td>' % date,
            '   </tr>']


def human_readable(value):
    """Bytes as Swift's listings show them: 512, 2Ki, 3Mi, ..."""
    value, suffix = float(value), ''
    for unit in 'KMGTPEZY':
        if value < 1024:
            break
        value, suffix = round(value / 1024), unit + 'i'
    return '%d%s' % (round(value), suffix)


class StaticWeb:

    def __init__(self, app, conf):
        self.app = app

    @wsgi.handles_requests
    def __call__(self, req):
        if req.method not in ('GET', 'HEAD'):
            return self.app
        web_mode = req.headers.get('X-Web-Mode', '').lower() in TRUE
        temp_url = req.environ.get(TEMP_URL_ENV)
        if req.context is not None and not web_mode and not temp_url:
            return self.app
        if req.environ.get('cloudstack.object_store.subrequest'):
            return self.app
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None or not parts[2]:
            return self.app
        _, account, container, obj = parts
        head = middleware.owner_headers(req.environ, account, container)
        if head is None:
            return self.app
        meta = {k.lower()[len('x-container-meta-'):]: util.from_wsgi(v)
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
        location = urllib.parse.quote(
            (req.environ.get('SCRIPT_NAME', '') + req.environ['PATH_INFO'] + '/')
            .encode('latin-1'))
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

    def _temp_url_query(self):
        """What a temp URL with a prefix adds to each link (Swift's order),
        and its prefix; ('', '') for other requests."""
        params = self.req.GET
        if not self.req.environ.get(TEMP_URL_ENV) or 'temp_url_prefix' not in params:
            return '', ''
        parts = ['temp_url_prefix=%s' % urllib.parse.quote(params['temp_url_prefix']),
                 'temp_url_expires=%s' % urllib.parse.quote(params.get('temp_url_expires', '')),
                 'temp_url_sig=%s' % params.get('temp_url_sig', '')]
        if 'temp_url_ip_range' in params:
            parts.append('temp_url_ip_range=%s' % urllib.parse.quote(
                params['temp_url_ip_range']))
        if 'inline' in params:
            parts.append('inline')
        return '?' + '&amp;'.join(parts), params['temp_url_prefix']

    def _listing(self, prefix):
        resp = self._get('', method='GET', conditional=False,
                         query='delimiter=/&format=json&prefix=' + urllib.parse.quote(prefix))
        if resp.status_int // 100 != 2:
            return self._error(resp.status_int, resp)
        items = json.loads(resp.body or b'[]') if resp.status_int == 200 else []
        if prefix and not items:
            return self._error(404)
        qs, tempurl_prefix = self._temp_url_query()
        title = html.escape('Listing of /v1/%s/%s/%s' % (
            self.account, self.container, prefix))
        out = ['<!DOCTYPE html>', '<html>', ' <head>',
               '  <title>%s</title>' % title]
        if self.css:
            href = urllib.parse.quote(self.css, ':/') if self.css.startswith(
                ('/', 'http://', 'https://')) else \
                '../' * prefix.count('/') + urllib.parse.quote(self.css)
            out.append('  <link rel="stylesheet" type="text/css" href="%s" />' % href)
        else:
            out += ['  <style type="text/css">',
                    '   h1 {font-size: 1em; font-weight: bold;}',
                    '   th {text-align: left; padding: 0px 1em 0px 1em;}',
                    '   td {padding: 0px 1em 0px 1em;}',
                    '   a {text-decoration: none;}',
                    '  </style>']
        out += [' </head>', ' <body>', '  <h1 id="title">%s</h1>' % title,
                '  <table id="listing">', '   <tr id="heading">',
                '    <th class="colname">Name</th>', '    <th class="colsize">Size</th>',
                '    <th class="coldate">Date</th>', '   </tr>']
        if len(prefix) > len(tempurl_prefix):
            out += _row(None, '../' + qs, '../')
        for item in items:
            if 'subdir' in item:
                name = item['subdir'][len(prefix):]
                out += _row('item subdir', _href(name) + qs, html.escape(name))
        for item in items:
            if 'name' in item:
                name = item['name'][len(prefix):]
                kind = ' '.join('type-' + html.escape(t.lower())
                                for t in item.get('content_type', '').split('/'))
                out += _row('item ' + kind, _href(name) + qs, html.escape(name),
                            human_readable(item.get('bytes', 0)),
                            html.escape(item.get('last_modified', '')).split('.')[0]
                            .replace('T', ' '))
        out += ['  </table>', ' </body>', '</html>', '']
        self.req.environ[GENERATED_ENV] = True
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
