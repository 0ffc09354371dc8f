"""CNAME lookup (Swift's cname_lookup): custom host names for containers.

A request whose host is neither an IP address nor under `storage_domain`
has its host's CNAME looked up in DNS, and the chain followed for at most
`lookup_depth` records (default 1); a name under the storage domain found so
becomes the request's host (for domain_remap, which runs next), and
Location/Content-Location answers name the client's host again. A chain
longer than lookup_depth is Swift's 400 'CNAME lookup failed after N tries'.

Off unless `enabled` (one port serves every API: most hosts are no bucket
names), and a host with no CNAME at all is left as it is, where Swift's proxy
(serving nothing else) answers 400. Answers are cached for their DNS TTL.
`nameservers` (ip[:port], comma-separated) replaces the system's resolvers;
tests give the filter a resolver of their own.
"""
import ipaddress
import re
import threading
import time

from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import domain_remap


def is_ip(host):
    try:
        ipaddress.ip_address(host.strip('[]'))
        return True
    except ValueError:
        return False


def parse_nameserver(item):
    """(ip, port or None) of 'ip', 'ip:port' or '[ipv6]:port'."""
    if item.startswith('['):
        host, _, rest = item[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else None
    elif item.count(':') == 1:
        host, port = item.split(':')
    else:
        host, port = item, None
    if not is_ip(host) or (port is not None and not port.isdigit()):
        raise ValueError('Invalid cname_lookup nameservers %r: each must be an IP '
                         'address with an optional :port' % item)
    return host, int(port) if port else None


def make_resolver(nameservers):
    import dns.nameserver
    import dns.resolver
    resolver = dns.resolver.Resolver()
    servers = [parse_nameserver(item) for item in nameservers]
    if servers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port or 53)
                                for ip, port in servers]
    return resolver


def lookup_cname(resolver, name):
    """(ttl, the CNAME's target, False when there is none, or None when DNS
    failed)."""
    import dns.exception
    import dns.resolver
    try:
        answer = resolver.resolve(name, 'CNAME').rrset
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return 60, False
    except dns.exception.DNSException:
        return 0, None
    return answer.ttl, list(answer.items)[0].to_text().rstrip('.')


class CnameLookup:

    def __init__(self, app, conf, resolver=None):
        self.app = app
        self.enabled = str(conf.get('enabled', 'false')).lower() in (
            '1', 'true', 'yes', 'on')
        self.storage_domain = domain_remap.storage_domains(
            conf.get('storage_domain', 'example.com'))
        self.lookup_depth = int(conf.get('lookup_depth', 1))
        self.resolver = resolver
        if self.enabled and resolver is None:
            self.resolver = make_resolver(domain_remap.csv(conf.get('nameservers')))
        self.cache = {}
        self.lock = threading.Lock()

    def under_storage_domain(self, name):
        return any(('.' + name).endswith(d) for d in self.storage_domain)

    def lookup(self, name):
        now = time.monotonic()
        with self.lock:
            hit = self.cache.get(name)
        if hit is not None and hit[0] > now:
            return hit[1]
        ttl, found = lookup_cname(self.resolver, name)
        if ttl > 0:
            with self.lock:
                self.cache[name] = (now + ttl, found)
        return found

    def __call__(self, environ, start_response):
        if not self.enabled or not self.storage_domain:
            return self.app(environ, start_response)
        host, port = domain_remap.split_host(environ)
        if not host or is_ip(host) or self.under_storage_domain(host):
            return self.app(environ, start_response)
        name = host
        for _ in range(self.lookup_depth):
            found = self.lookup(name)
            if not found or found == name:
                return self.app(environ, start_response)
            if self.under_storage_domain(found):
                environ['HTTP_HOST'] = found + port
                pattern = re.compile(r'^(https?://)%s(/.*)?$' % re.escape(found + port))
                return domain_remap.rewrite_locations(
                    self.app, environ, start_response, pattern,
                    lambda m: m.group(1) + host + port + (m.group(2) or ''))
            name = found
        return domain_remap.bad_request(environ, start_response,
                                        'CNAME lookup failed after %d tries'
                                        % self.lookup_depth)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    if str(conf.get('enabled', 'false')).lower() in ('1', 'true', 'yes', 'on'):
        middleware.register_info('cname_lookup',
                                 lookup_depth=int(conf.get('lookup_depth', 1)))

    def make(app):
        return CnameLookup(app, conf)
    return make
