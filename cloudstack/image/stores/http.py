"""A read-only store serving image data from an http(s) URL.

Nothing is written here: an image gets an http location when a client adds
one (the locations API), and reads stream from that URL; deleting the image
leaves the remote data alone. Only hosts in [image] location_allowed_hosts are
accepted or read from, redirects included: a client must not make the cloud
fetch from wherever it likes.
"""
import urllib.error
import urllib.parse
import urllib.request

from cloudstack.image.stores import base

SCHEMES = ('http', 'https')
TIMEOUT = 60        # seconds to connect or between two reads


def host_allowed(entries, host, port, default_port):
    """Whether host:port matches one of `entries` (a name or address, a leading
    "." for a domain and its subdomains, ":port" for another port than the
    scheme's default)."""
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        want_port = None
        name, sep, tail = entry.rpartition(':')
        if sep and tail.isdigit() and ':' not in name.strip('[]'):
            entry, want_port = name, int(tail)
        entry = entry.strip('[]')
        if port != (want_port or default_port):
            continue
        if entry.startswith('.'):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def check_url(url, allowed_hosts):
    """ValueError unless `url` is an absolute http(s) URL of an allowed host."""
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    try:
        port = parts.port if parts else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise ValueError('%r is not an http(s) URL' % (url,))
    if parts.username or parts.password:
        raise ValueError('credentials in a location URL are not accepted')
    default_port = 443 if parts.scheme.lower() == 'https' else 80
    if not host_allowed(allowed_hosts, parts.hostname.lower(), port or default_port,
                        default_port):
        raise ValueError('%s does not pass filtering: its host is not in [image] '
                         'location_allowed_hosts' % url)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allowed_hosts):
        self.allowed_hosts = allowed_hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_url(urllib.parse.urljoin(req.full_url, newurl), self.allowed_hosts)
        except ValueError as exc:
            raise base.StoreError('redirect refused: %s' % exc)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _request(url, allowed_hosts, method='GET', headers=None):
    try:
        check_url(url, allowed_hosts)
    except ValueError as exc:
        raise base.StoreError(str(exc))
    req = urllib.request.Request(url.split('#', 1)[0], method=method,
                                 headers=headers or {})
    opener = urllib.request.build_opener(_CheckedRedirects(allowed_hosts))
    try:
        return opener.open(req, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            raise base.NotFound('%s: HTTP %d' % (url, exc.code))
        raise base.StoreError('%s: HTTP %d' % (url, exc.code))
    except base.StoreError:
        raise
    except (OSError, ValueError) as exc:
        raise base.StoreError('%s: %s' % (url, exc))


class HttpStore(base.Store):
    name = 'http'
    read_only = True

    def check_location(self, url):
        check_url(url, self.conf.image.location_allowed_hosts)

    def add(self, image_id, chunks):
        raise base.StoreError('The http store is read-only.')

    def get(self, location, chunk_size=65536, offset=0, length=None):
        headers = {}
        if offset or length is not None:
            end = '' if length is None else str(offset + length - 1)
            headers['Range'] = 'bytes=%d-%s' % (offset, end)
        resp = _request(location, self.conf.image.location_allowed_hosts,
                        headers=headers)
        skip = offset if offset and resp.status != 206 else 0
        return self._stream(resp, chunk_size, skip, length)

    @staticmethod
    def _stream(resp, chunk_size, skip, length):
        with resp:
            left = length
            while left is None or left > 0:
                data = resp.read(chunk_size)
                if not data:
                    return
                if skip:            # the server ignored the Range header
                    cut = min(skip, len(data))
                    data, skip = data[cut:], skip - cut
                if left is not None:
                    data = data[:left]
                    left -= len(data)
                if data:
                    yield data

    def delete(self, location):
        """The data is not ours: nothing to remove."""

    def size(self, location):
        with _request(location, self.conf.image.location_allowed_hosts,
                      method='HEAD') as resp:
            value = resp.headers.get('Content-Length')
        if value is None or not value.isdigit():
            raise base.StoreError('%s did not say its size' % location)
        return int(value)
