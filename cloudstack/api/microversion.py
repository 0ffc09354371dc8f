"""Microversion negotiation, generic for every service that has them.

A client asks with `OpenStack-API-Version: <service-type> X.Y` (or a legacy
per-service header); the answer echoes the chosen version, and the version
document advertises min and max.
"""
import functools
import re

from cloudstack import exception

_VERSION_RE = re.compile(r'^([1-9]\d*)\.(0|[1-9]\d*)$')


class APIVersion(tuple):
    """A (major, minor) pair that compares naturally."""

    def __new__(cls, text):
        m = _VERSION_RE.match(str(text).strip())
        if not m:
            raise exception.BadRequest('Invalid API version %r.' % text)
        return super().__new__(cls, (int(m.group(1)), int(m.group(2))))

    def __str__(self):
        return '%d.%d' % self


class Negotiator:
    def __init__(self, service_type, min_version, max_version, legacy_header=None):
        self.service_type = service_type
        self.min = APIVersion(min_version)
        self.max = APIVersion(max_version)
        self.legacy_header = legacy_header

    def requested(self, headers):
        """The version string a client asked for, or None."""
        for value in headers.getall('OpenStack-API-Version') if hasattr(
                headers, 'getall') else [headers.get('OpenStack-API-Version', '')]:
            for item in value.split(','):
                parts = item.strip().split()
                if len(parts) == 2 and parts[0].lower() == self.service_type:
                    return parts[1]
        if self.legacy_header:
            return headers.get(self.legacy_header)
        return None

    def negotiate(self, headers):
        asked = self.requested(headers)
        if not asked:
            return self.min
        if asked.strip().lower() == 'latest':
            return self.max
        version = APIVersion(asked)
        if not self.min <= version <= self.max:
            raise exception.NotAcceptable(
                'Version %s is not supported by the API. Minimum is %s and '
                'maximum is %s.' % (version, self.min, self.max))
        return version

    def response_headers(self, version):
        headers = {'OpenStack-API-Version': '%s %s' % (self.service_type, version),
                   'Vary': 'OpenStack-API-Version'}
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            headers['Vary'] += ', ' + self.legacy_header
        return headers


def since(min_version, max_version=None):
    """Decorator: the method exists only from `min_version` (to `max_version`)."""
    low = APIVersion(min_version)
    high = APIVersion(max_version) if max_version else None

    def wrap(func):
        @functools.wraps(func)
        def wrapper(self, req, **kwargs):
            v = req.api_version
            if v < low or (high and v > high):
                raise exception.NotFound('The resource could not be found.')
            return func(self, req, **kwargs)
        return wrapper
    return wrap
