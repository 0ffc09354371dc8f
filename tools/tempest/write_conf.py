#!/usr/bin/env python3
"""Write a tempest.conf for a cloudstack deployment (or any Keystone v3 cloud).

usage: write_conf.py WORKSPACE [--extra-conf FILE ...]

Credentials come from OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME,
OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME. It authenticates as
that admin, and from the catalog and the services' own documents fills in which
services exist, their microversions and extensions, and an image and flavor for
compute tests (creating a small raw image / flavor when the cloud has none).
Tests run with dynamic credentials (tempest creates a project and user per test
class) and no guest validation. Writes WORKSPACE/etc/tempest.conf and prints the
services found.
"""
import uuid
import argparse
import configparser
import json
import os
import sys
import urllib.error
import urllib.request

# catalog type -> tempest [service_available] key, in order of preference
SERVICES = [('compute', 'nova'), ('image', 'glance'), ('block-storage', 'cinder'),
            ('volumev3', 'cinder'), ('network', 'neutron'), ('object-store', 'swift')]


def log(msg):
    print('[tempest.conf] %s' % msg, file=sys.stderr)


class Cloud:
    def __init__(self, env):
        self.auth_url = env['OS_AUTH_URL'].rstrip('/')
        if not self.auth_url.endswith('/v3'):
            self.auth_url += '/v3'
        self.region = env.get('OS_REGION_NAME') or 'RegionOne'
        self.admin = {
            'admin_username': env['OS_USERNAME'], 'admin_password': env['OS_PASSWORD'],
            'admin_project_name': env['OS_PROJECT_NAME'],
            'admin_domain_name': env.get('OS_USER_DOMAIN_NAME') or 'Default',
            'admin_user_domain_name': env.get('OS_USER_DOMAIN_NAME') or 'Default',
            'admin_project_domain_name': env.get('OS_PROJECT_DOMAIN_NAME') or 'Default'}
        auth = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': self.admin['admin_username'], 'password': self.admin['admin_password'],
                'domain': {'name': self.admin['admin_user_domain_name']}}}},
            'scope': {'project': {'name': self.admin['admin_project_name'],
                                  'domain': {'name': self.admin['admin_project_domain_name']}}}}}
        status, headers, body = self.request('POST', self.auth_url + '/auth/tokens', auth)
        if status != 201:
            raise SystemExit('cannot authenticate at %s: %s %s' % (self.auth_url, status, body))
        self.token = headers['X-Subject-Token']
        self.catalog = body['token'].get('catalog', [])
        self.domain_id = body['token']['user']['domain']['id']

    def request(self, method, url, body=None, data=None, content_type='application/json'):
        """Return (status, headers, parsed JSON or None); never raises for HTTP errors."""
        headers = {'Accept': 'application/json'}
        if getattr(self, 'token', None):
            headers['X-Auth-Token'] = self.token
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers['Content-Type'] = content_type
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            status, headers, raw = exc.code, exc.headers, exc.read()
        except OSError as exc:
            log('%s %s: %s' % (method, url, exc))
            return None, {}, None
        try:
            return status, headers, json.loads(raw) if raw else None
        except ValueError:
            return status, headers, None

    def get(self, url):
        status, _, body = self.request('GET', url)
        return body if status == 200 else None

    def endpoint(self, service_type):
        for service in self.catalog:
            if service.get('type') != service_type:
                continue
            public = [e for e in service.get('endpoints', []) if e.get('interface') == 'public']
            for ep in public:
                if self.region in (ep.get('region'), ep.get('region_id')):
                    return ep['url'].rstrip('/')
            if public:
                return public[0]['url'].rstrip('/')
        return None


def max_microversion(cloud, url):
    """The highest microversion in the version document at url (or its parent)."""
    for candidate in (url, url.rsplit('/', 1)[0]):
        doc = cloud.get(candidate + '/') or {}
        versions = [doc['version']] if isinstance(doc.get('version'), dict) else \
            doc.get('versions') or []
        found = [v.get('version') for v in versions if v.get('version')]
        if found:
            return max(found, key=lambda v: tuple(int(x) for x in v.split('.')))
    return None


def extension_aliases(cloud, url):
    doc = cloud.get(url + '/extensions')
    return ','.join(e['alias'] for e in doc.get('extensions', [])) if doc else None


def public_network(cloud, v2):
    """The cloud's external network, else a new flat one named public (as
    DevStack makes), for floating IP and router gateway tests."""
    found = (cloud.get(v2 + '/networks?router:external=True') or {}).get('networks')
    if found:
        return found[0]
    status, _, body = cloud.request('POST', v2 + '/networks', {'network': {
        'name': 'public', 'router:external': True, 'shared': False,
        'provider:network_type': 'flat', 'provider:physical_network': 'public'}})
    if status != 201:
        log('cannot create the public network: %s %s' % (status, body))
        return None
    network = body['network']
    status, _, body = cloud.request('POST', v2 + '/subnets', {'subnet': {
        'name': 'public-subnet', 'network_id': network['id'], 'ip_version': 4,
        'cidr': '172.24.4.0/24', 'gateway_ip': '172.24.4.1', 'enable_dhcp': False}})
    if status != 201:
        log('cannot create the public subnet: %s %s' % (status, body))
    log('created network public %s' % network['id'])
    return network


def image_and_flavor(cloud, conf, image_url, compute_url):
    """Two images (the cloud's, else new small ones) and two flavors of our own for compute tests."""
    base = image_url if image_url.endswith('/v2') else image_url + '/v2'
    images = [i['id'] for i in (cloud.get(base + '/images?status=active&visibility=public')
                                or {}).get('images', [])]
    # Two images, so that rebuild tests have another one to go to.
    for name in ('tempest-image', 'tempest-image-alt')[len(images):]:
        status, _, image = cloud.request('POST', base + '/images', {
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'})
        if status == 201:
            cloud.request('PUT', '%s/images/%s/file' % (base, image['id']), data=b'\0' * 1048576,
                          content_type='application/octet-stream')
            images.append(image['id'])
            log('created image %s %s' % (name, image['id']))
    # Two flavors of our own (found by name, made when missing), so that resize
    # tests have somewhere to go whatever flavors other tests made or removed.
    flavors = []
    if compute_url:
        listed = (cloud.get(compute_url + '/flavors/detail?is_public=None') or {})
        existing = {f['name']: f for f in listed.get('flavors', [])}
        for name, ram in (('tempest-flavor', 128), ('tempest-flavor-alt', 192)):
            flavor = existing.get(name)
            if flavor is None:
                status, _, body = cloud.request('POST', compute_url + '/flavors', {'flavor': {
                    'name': name, 'ram': ram, 'vcpus': 1, 'disk': 1}})
                if status == 200:
                    flavor = body['flavor']
                    log('created flavor %s' % name)
            if flavor is None and name.endswith('-alt'):   # hidden from our listing
                status, _, body = cloud.request('POST', compute_url + '/flavors', {'flavor': {
                    'name': '%s-%s' % (name, uuid.uuid4().hex[:8]), 'ram': ram,
                    'vcpus': 1, 'disk': 1}})
                flavor = body['flavor'] if status == 200 else None
            if flavor is not None:
                flavors.append(flavor)
    if images:
        conf['compute'].update({'image_ref': images[0],
                                'image_ref_alt': images[min(1, len(images) - 1)]})
    if flavors:
        conf['compute'].update({'flavor_ref': str(flavors[0]['id']),
                                'flavor_ref_alt': str(flavors[min(1, len(flavors) - 1)]['id'])})


def volume_backends(cloud, conf, url, swift):
    """What the volume tests need to know of the backends: their names (two
    or more: the multi-backend tests run), protocol and vendor, the
    reference names of unmanaged volumes and snapshots, the backup store."""
    url = url.replace('%(tenant_id)s', '').replace('%(project_id)s', '').rstrip('/')
    pools = (cloud.get(url + '/scheduler-stats/get_pools?detail=true') or {}).get('pools', [])
    names = sorted({p['capabilities'].get('volume_backend_name') for p in pools
                    if p.get('capabilities')} - {None})
    if pools:
        caps = pools[0]['capabilities']
        conf['volume'].update({'storage_protocol': caps.get('storage_protocol', 'iSCSI'),
                               'vendor_name': caps.get('vendor_name', 'Open Source')})
    if len(names) >= 2:
        conf['volume']['backend_names'] = ','.join(names)
        conf['volume-feature-enabled']['multi_backend'] = 'true'
    conf['volume'].update({'manage_volume_ref': 'source-name,volume-%s',
                           'manage_snapshot_ref': 'source-name,snapshot-%s',
                           'backup_driver': 'swift'})
    conf['volume-feature-enabled'].update({
        'manage_volume': 'true', 'manage_snapshot': 'true',
        'backup': str(swift).lower(), 'extend_attached_volume': 'false'})


def multiattach_type(cloud, conf, url):
    """A volume type of multiattach volumes for Compute's multiattach tests
    (made when the cloud has none, as devstack does)."""
    types = (cloud.get(url + '/types') or {}).get('volume_types', [])
    name = next((t['name'] for t in types if (t.get('extra_specs') or {}).get(
        'multiattach') == '<is> True'), None)
    if name is None:
        status, _, body = cloud.request('POST', url + '/types', {'volume_type': {
            'name': 'multiattach', 'extra_specs': {'multiattach': '<is> True'}}})
        if status != 200:
            log('could not create a multiattach volume type: %s %s' % (status, body))
            return
        name = body['volume_type']['name']
    conf['volume']['volume_type_multiattach'] = name


def build(cloud, workspace):
    conf = configparser.ConfigParser(interpolation=None)
    for section in ('DEFAULT', 'oslo_concurrency', 'auth', 'identity', 'identity-feature-enabled',
                    'service_available', 'validation', 'compute', 'compute-feature-enabled',
                    'volume', 'volume-feature-enabled', 'network', 'network-feature-enabled',
                    'object-storage', 'object-storage-feature-enabled', 'image'):
        if section != 'DEFAULT':
            conf.add_section(section)
    conf['DEFAULT'].update({'log_dir': workspace, 'log_file': 'tempest.log'})
    conf['oslo_concurrency']['lock_path'] = os.path.join(workspace, 'locks')
    conf['auth'].update(cloud.admin, use_dynamic_credentials='true')
    conf['identity'].update({'uri_v3': cloud.auth_url, 'auth_version': 'v3',
                             'region': cloud.region, 'v3_endpoint_type': 'public',
                             'default_domain_id': cloud.domain_id})
    conf['identity-feature-enabled'].update({'security_compliance': 'false', 'trust': 'true'})
    conf['validation']['run_validation'] = 'false'

    found = {}
    for catalog_type, key in SERVICES:
        url = cloud.endpoint(catalog_type)
        if url and key not in found:
            found[key] = (catalog_type, url)
    for key in ('nova', 'glance', 'cinder', 'neutron', 'swift'):
        conf['service_available'][key] = str(key in found).lower()
    conf['service_available']['horizon'] = 'false'
    conf['auth']['create_isolated_networks'] = str('neutron' in found).lower()

    if 'nova' in found:
        url = found['nova'][1]
        version = max_microversion(cloud, url)
        if version:
            conf['compute']['max_microversion'] = version
        if 'glance' in found:
            image_and_flavor(cloud, conf, found['glance'][1], url)
        # Nova's manager (migrations) and service (external events) personas
        # need their roles to exist.
        for role in ('manager', 'service'):
            if not (cloud.get(cloud.auth_url + '/roles?name=' + role) or {}).get('roles'):
                cloud.request('POST', cloud.auth_url + '/roles', {'role': {'name': role}})
        # one all-in-one host: nowhere to migrate to, no consoles
        conf['compute-feature-enabled'].update({
            'live_migration': 'false', 'cold_migration': 'false',
            'attach_encrypted_volume': 'false'})
    if 'cinder' in found:
        catalog_type, url = found['cinder']
        conf['volume']['catalog_type'] = catalog_type
        version = max_microversion(cloud, url)
        if version:
            conf['volume']['max_microversion'] = version
        aliases = extension_aliases(cloud, url)
        if aliases is not None:
            conf['volume-feature-enabled']['api_extensions'] = aliases
        volume_backends(cloud, conf, url, 'swift' in found)
        multiattach_type(cloud, conf, url)
        if 'glance' in found and 'nova' not in found:
            image_and_flavor(cloud, conf, found['glance'][1], None)
    if 'neutron' in found:
        url = found['neutron'][1]
        v2 = url if url.endswith('/v2.0') else url + '/v2.0'
        aliases = extension_aliases(cloud, v2)
        if aliases is not None:
            conf['network-feature-enabled']['api_extensions'] = aliases
        conf['network-feature-enabled'].update({'ipv6': 'true',
                                                'ipv6_subnet_attributes': 'true'})
        public = public_network(cloud, v2)
        if public:
            conf['network'].update({'public_network_id': public['id'],
                                    'floating_network_name': public['name']})
    if 'swift' in found:
        info = cloud.get(found['swift'][1].split('/v1')[0] + '/info')
        conf['object-storage-feature-enabled']['discoverability'] = str(bool(info)).lower()
        if info:
            conf['object-storage-feature-enabled']['discoverable_apis'] = ','.join(sorted(info))
        conf['object-storage'].update({'operator_role': 'member',
                                       'reseller_admin_role': 'ResellerAdmin'})
        roles = cloud.get(cloud.auth_url + '/roles?name=ResellerAdmin') or {}
        if not roles.get('roles'):
            cloud.request('POST', cloud.auth_url + '/roles', {'role': {'name': 'ResellerAdmin'}})
    return conf, sorted(catalog_type for catalog_type, _ in found.values())


def main():
    ap = argparse.ArgumentParser(description='write tempest.conf for a Keystone v3 cloud')
    ap.add_argument('workspace')
    ap.add_argument('--extra-conf', action='append', default=[],
                    help='ini file whose options override the generated ones (repeatable)')
    args = ap.parse_args()
    for var in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME'):
        if not os.environ.get(var):
            raise SystemExit('%s is not set' % var)
    conf, services = build(Cloud(os.environ), os.path.abspath(args.workspace))
    if args.extra_conf:
        extra = configparser.ConfigParser(interpolation=None)
        extra.read(args.extra_conf)
        for section in extra.sections():
            if not conf.has_section(section):
                conf.add_section(section)
            conf[section].update(extra[section])
        conf['DEFAULT'].update(extra.defaults())
    for section in conf.sections():
        if not set(conf[section]) - set(conf.defaults()):
            conf.remove_section(section)
    os.makedirs(os.path.join(args.workspace, 'etc'), exist_ok=True)
    os.makedirs(os.path.join(args.workspace, 'locks'), exist_ok=True)
    with open(os.path.join(args.workspace, 'etc', 'tempest.conf'), 'w') as f:
        conf.write(f)
    print(','.join(['identity'] + services))


if __name__ == '__main__':
    main()
