"""Domain remap (Swift's domain_remap): accounts and containers as host names.

A request whose host ends in one of `storage_domain` (comma-separated,
default example.com) names its account, and optionally its container, in
the labels before it:

    <container>.<account>.<storage_domain>/<object>  ->  /v1/<account>/<container>/<object>
    <account>.<storage_domain>/<container>/<object>   ->  /v1/<account>/<container>/<object>

(`path_root` is the 'v1'). An account label's first '-' stands for its '_'
(host names have no '_'), and its reseller prefix is matched against
`reseller_prefixes` (default AUTH) without regard to case, then spelled as
configured; an account with no known prefix gets `default_reseller_prefix`
when one is set, and is otherwise left alone. More than two labels before the
storage domain is 400. With `mangle_client_paths` a path that already starts
with the path root loses it first. Location and Content-Location of answers
name the path as the client asked for it.

It runs in front of the whole server (api-paste.ini's main pipeline): a
remapped path is an Object Storage path whatever its first segment.
"""
import re
import urllib.parse

import webob

from cloudstack.object_store import middleware

# environ: the request target as sent (cloudstack.wsgi.server)
REQUEST_TARGET = 'cloudstack.request_target'


def csv(value):
    return [v.strip() for v in (value or '').split(',') if v.strip()]


def wsgi_quote(path):
    """A WSGI path (UTF-8 bytes as latin-1 characters) URL-quoted."""
    return urllib.parse.quote(path.encode('latin-1', 'replace'))


def client_path(environ):
    """PATH_INFO, with the leading '//' the HTTP server collapsed (the
    object '/v1' at a container's root is '//v1') as the client sent it."""
    path = environ.get('PATH_INFO', '')
    target = environ.get(REQUEST_TARGET, '').split('?', 1)[0]
    if target.startswith('//') and not environ.get('SCRIPT_NAME'):
        raw = urllib.parse.unquote(target, encoding='latin-1')
        if raw.lstrip('/') == path.lstrip('/'):
            return raw
    return path


def storage_domains(value):
    """The configured storage domains, each with its leading '.'."""
    return ['.' + d.lstrip('.') for d in csv(value)]


def split_host(environ):
    """(host name, ':port' or '') of the request."""
    host = environ.get('HTTP_HOST') or environ.get('SERVER_NAME', '')
    name, sep, port = host.rpartition(':')
    if sep and port.isdigit() and not name.endswith(']'):
        return name, sep + port
    return host, ''


def bad_request(environ, start_response, message):
    resp = webob.Response(status=400, body=message.encode(), content_type=None)
    resp.headers['Content-Type'] = 'text/plain; charset=UTF-8'
    return resp(environ, start_response)


def rewrite_locations(app, environ, start_response, pattern, replacement):
    """Call app, with `pattern` (a regex over Location and Content-Location
    values) replaced in its answer's headers."""
    def start(status, headers, exc_info=None):
        headers = [(k, pattern.sub(replacement, v)
                    if k.lower() in ('location', 'content-location') else v)
                   for k, v in headers]
        return start_response(status, headers, exc_info)
    return app(environ, start)


class DomainRemap:

    def __init__(self, app, conf):
        self.app = app
        self.storage_domain = storage_domains(conf.get('storage_domain', 'example.com'))
        self.path_root = conf.get('path_root', 'v1').strip('/')
        self.reseller_prefixes = csv(conf.get('reseller_prefixes', 'AUTH'))
        self.default_reseller_prefix = conf.get('default_reseller_prefix') or None
        self.mangle_client_paths = str(conf.get('mangle_client_paths', '')).lower() in (
            '1', 'true', 'yes', 'on')

    def account_name(self, label):
        """The account a host label names, or None when it is left alone."""
        if not self.reseller_prefixes:
            return label
        if '_' not in label and '-' in label:
            label = label.replace('-', '_', 1)
        found = label.split('_', 1)[0].lower()
        for prefix in self.reseller_prefixes:
            if prefix.lower() == found:
                return prefix + label[len(prefix):]
        if self.default_reseller_prefix:
            return '%s_%s' % (self.default_reseller_prefix, label)
        return None

    def __call__(self, environ, start_response):
        host, _ = split_host(environ)
        domain = next((d for d in self.storage_domain if host.endswith(d)), None)
        if domain is None:
            return self.app(environ, start_response)
        labels = host[:-len(domain)].strip('.').split('.')
        if len(labels) == 2:
            container, label = labels
        elif len(labels) == 1 and labels[0]:
            container, label = None, labels[0]
        else:
            return bad_request(environ, start_response, 'Bad domain in host header')
        account = self.account_name(label)
        if account is None:
            return self.app(environ, start_response)
        requested = client_path(environ)
        path = requested[1:]
        if self.mangle_client_paths and (path + '/').startswith(self.path_root + '/'):
            path = path[len(self.path_root) + 1:]
        parts = ['', self.path_root, account] + ([container] if container else []) + [path]
        new = '/'.join(parts)
        environ['PATH_INFO'] = new
        pattern = re.compile(r'^(https?://[^/]+)%s(.*)$' % re.escape(wsgi_quote(new)))
        return rewrite_locations(self.app, environ, start_response, pattern,
                                 lambda m: m.group(1) + wsgi_quote(requested) + m.group(2))


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    middleware.register_info('domain_remap', default_reseller_prefix=conf.get(
        'default_reseller_prefix') or None)

    def make(app):
        return DomainRemap(app, conf)
    return make
