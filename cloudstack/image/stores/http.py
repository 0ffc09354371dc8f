"""A read-only store serving image data from an http(s) URL.

Nothing is written here: an image gets an http location when a client adds
one (the locations API), and reads stream from that URL; deleting the image
leaves the remote data alone.
"""
import urllib.error
import urllib.parse
import urllib.request

from cloudstack.image.stores import base

SCHEMES = ('http', 'https')
TIMEOUT = 60        # seconds to connect or between two reads


def check_url(url):
    """ValueError unless `url` is an absolute http(s) URL with a host."""
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise ValueError('%r is not an http(s) URL' % (url,))
    if parts.username or parts.password:
        raise ValueError('credentials in a location URL are not accepted')


def _request(url, method='GET', headers=None):
    check_url(url)
    req = urllib.request.Request(url.split('#', 1)[0], method=method,
                                 headers=headers or {})
    try:
        return urllib.request.urlopen(req, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            raise base.NotFound('%s: HTTP %d' % (url, exc.code))
        raise base.StoreError('%s: HTTP %d' % (url, exc.code))
    except (OSError, ValueError) as exc:
        raise base.StoreError('%s: %s' % (url, exc))


class HttpStore(base.Store):
    name = 'http'
    read_only = True
    check_url = staticmethod(check_url)

    def add(self, image_id, chunks):
        raise base.StoreError('The http store is read-only.')

    def get(self, location, chunk_size=65536, offset=0, length=None):
        headers = {}
        if offset or length is not None:
            end = '' if length is None else str(offset + length - 1)
            headers['Range'] = 'bytes=%d-%s' % (offset, end)
        resp = _request(location, headers=headers)
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
        with _request(location, method='HEAD') as resp:
            value = resp.headers.get('Content-Length')
        if value is None or not value.isdigit():
            raise base.StoreError('%s did not say its size' % location)
        return int(value)
