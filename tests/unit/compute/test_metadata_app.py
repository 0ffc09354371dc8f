import json

import pytest
import webob

from cloudstack import exception
from cloudstack.compute.metadata import app as metadata_app
from tests.unit.compute.libvirt_fixtures import instance, vif

SECRET = 'proxy-secret'
UUID = '6e0d4a2b-1c3f-4e5a-9b7d-0a1b2c3d4e5f'


class Source:
    """Plain data for one instance, as the compute manager hands it over."""

    def __init__(self):
        self.instances = {UUID: (instance(), [vif()], {'security_groups': ['default']})}
        self.passwords = {}
        self.calls = 0

    def get(self, instance_id):
        self.calls += 1
        if instance_id not in self.instances:
            raise exception.NotFound()
        inst, nets, extra = self.instances[instance_id]
        extra = dict(extra)
        if instance_id in self.passwords:
            extra['password'] = self.passwords[instance_id]
        return inst, nets, extra

    def set_password(self, instance_id, password):
        if instance_id in self.passwords:
            raise exception.Conflict()
        self.passwords[instance_id] = password


@pytest.fixture
def md(conf):
    conf.set_override('shared_secret', SECRET, group='metadata')
    conf.set_override('cache_expiration', 0, group='metadata')
    source = Source()
    yield metadata_app.MetadataApp(source), source
    conf.clear_override('shared_secret', group='metadata')
    conf.clear_override('cache_expiration', group='metadata')


def get(app, path, instance_id=UUID, signature=None, method='GET', body=None, **headers):
    req = webob.Request.blank(path, method=method)
    if instance_id is not None:
        req.headers['X-Instance-ID'] = instance_id
        req.headers['X-Instance-ID-Signature'] = (
            signature if signature is not None else metadata_app.sign(instance_id, SECRET))
    req.headers.update(headers)
    if body is not None:
        req.body = body
    return req.get_response(app)


def test_refuses_unsigned_and_badly_signed(md):
    app, _ = md
    assert get(app, '/openstack/latest/meta_data.json', instance_id=None).status_int == 400
    assert get(app, '/openstack/latest/meta_data.json', signature='0' * 64).status_int == 403
    assert get(app, '/openstack/latest/meta_data.json', signature='').status_int == 403
    assert get(app, '/latest/meta-data/', signature='').status_int == 403
    other = metadata_app.sign(UUID, 'another-secret')
    assert get(app, '/openstack/latest/meta_data.json', signature=other).status_int == 403
    # a forged source address chooses nothing
    resp = get(app, '/openstack/latest/meta_data.json', instance_id=None,
               **{'X-Forwarded-For': '10.0.0.5'})
    assert resp.status_int == 400


def test_refuses_everything_without_a_secret(md, conf):
    app, _ = md
    conf.set_override('shared_secret', '', group='metadata')
    resp = get(app, '/openstack/latest/meta_data.json', signature=metadata_app.sign(UUID, ''))
    assert resp.status_int == 403


def test_openstack_documents(md):
    app, _ = md
    versions = get(app, '/openstack').text.split('\n')
    assert versions[0] == '2012-08-10' and versions[-1] == 'latest'
    listing = get(app, '/openstack/latest/').text.split('\n')
    assert set(listing) == {'meta_data.json', 'password', 'vendor_data.json',
                            'network_data.json', 'vendor_data2.json', 'user_data'}
    resp = get(app, '/openstack/latest/meta_data.json')
    assert resp.content_type == 'application/json'
    doc = json.loads(resp.body)
    assert doc['uuid'] == UUID and doc['public_keys'] == {'mykey': 'ssh-ed25519 AAAAC3Nza me@laptop'}
    net = json.loads(get(app, '/openstack/2015-10-15/network_data.json').body)
    assert net['links'][0]['ethernet_mac_address'] == 'fa:16:3e:11:22:33'
    assert get(app, '/openstack/latest/user_data').body == b'#!/bin/sh\necho hi\n'
    assert get(app, '/openstack/2012-08-10/network_data.json').status_int == 404
    assert get(app, '/openstack/1999-01-01/meta_data.json').status_int == 404
    assert get(app, '/openstack/latest/nothing').status_int == 404


def test_unknown_instance_and_other_project(md):
    app, _ = md
    other = '00000000-0000-0000-0000-000000000000'
    assert get(app, '/openstack/latest/meta_data.json', instance_id=other).status_int == 404
    assert get(app, '/openstack/latest/meta_data.json',
               **{'X-Tenant-ID': 'someone-else'}).status_int == 404
    assert get(app, '/openstack/latest/meta_data.json',
               **{'X-Tenant-ID': 'proj-1'}).status_int == 200


def test_ec2_tree(md):
    app, _ = md
    assert '2009-04-04' in get(app, '/').text.split('\n')
    assert get(app, '/latest').text == 'meta-data/\nuser-data'
    listing = get(app, '/latest/meta-data/').text.split('\n')
    assert 'placement/' in listing and 'local-ipv4' in listing and 'public-keys/' in listing
    assert get(app, '/latest/meta-data/local-ipv4').text == '10.0.0.5'
    assert get(app, '/2009-04-04/meta-data/placement/availability-zone').text == 'nova'
    assert get(app, '/latest/meta-data/public-keys/').text == '0=mykey'
    assert get(app, '/latest/meta-data/public-keys/0/').text == 'openssh-key'
    assert get(app, '/latest/meta-data/public-keys/0/openssh-key').text == \
        'ssh-ed25519 AAAAC3Nza me@laptop'
    assert get(app, '/latest/meta-data/public-keys/0=mykey/openssh-key').status_int == 200
    assert get(app, '/latest/user-data').body == b'#!/bin/sh\necho hi\n'
    assert get(app, '/latest/meta-data/nothing').status_int == 404
    assert get(app, '/latest/meta-data/local-ipv4/deeper').status_int == 404


def test_password_posted_once(md):
    app, source = md
    assert get(app, '/openstack/latest/password').text == ''
    assert get(app, '/openstack/latest/password', method='POST',
               body=b'x' * 257).status_int == 400
    assert get(app, '/openstack/latest/password', method='POST',
               body=b'encrypted').status_int == 200
    assert source.passwords[UUID] == 'encrypted'
    assert get(app, '/openstack/latest/password').text == 'encrypted'
    assert get(app, '/openstack/latest/password', method='POST',
               body=b'again').status_int == 409
    assert get(app, '/openstack/latest/meta_data.json', method='POST').status_int == 405
    assert get(app, '/openstack/latest/meta_data.json', method='PUT').status_int == 405


def test_documents_cached_per_instance(md, conf):
    app, source = md
    conf.set_override('cache_expiration', 60, group='metadata')
    get(app, '/openstack/latest/meta_data.json')
    get(app, '/latest/meta-data/hostname')
    assert source.calls == 1


def test_through_the_cloud(member, other, admin, override):
    """The service as deployed: /metadata in the cloud's pipeline, each server's
    data from the compute manager (ManagerSource), the guest's password kept
    where the compute API shows it."""
    import base64
    from tests.unit.compute.conftest import API
    override('shared_secret', SECRET, group='metadata')
    override('cache_expiration', 0, group='metadata')
    public_key = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINU9VsxleaMMl+aDCwUBWcmRvzIJLi/GkRX9lHVrvEoX'
                  ' alice@laptop')
    resp = member.post(API + '/os-keypairs', {'keypair': {'name': 'k1',
                                                          'public_key': public_key}})
    assert resp.status_int == 200, resp.text
    script = b'#!/bin/sh\necho "from the metadata service"\n'
    server_id = member.boot(name='md-vm', key_name='k1', metadata={'role': 'db'},
                            user_data=base64.b64encode(script).decode())
    someone_elses = other.boot(name='bob-vm')

    def md(path, instance_id=server_id, **kw):
        return get(admin.app, '/metadata' + path, instance_id=instance_id, **kw)

    resp = md('/openstack/latest/meta_data.json')
    assert resp.status_int == 200, resp.text
    doc = json.loads(resp.body)
    assert doc['uuid'] == server_id and doc['name'] == 'md-vm'
    assert doc['project_id'] == member.project_id
    assert doc['public_keys'] == {'k1': public_key}
    assert doc['keys'] == [{'name': 'k1', 'type': 'ssh', 'data': public_key}]
    assert doc['meta'] == {'role': 'db'}
    assert md('/openstack/latest/user_data').body == script
    net = json.loads(md('/openstack/latest/network_data.json').body)
    assert set(net) == {'links', 'networks', 'services'}
    assert md('/latest/meta-data/public-keys/0/openssh-key').text == public_key
    assert md('/latest/meta-data/instance-id').text.startswith('i-')
    assert md('/latest/user-data').body == script
    # each signed id reads its own server only
    other_doc = json.loads(md('/openstack/latest/meta_data.json', someone_elses).body)
    assert other_doc['uuid'] == someone_elses and 'public_keys' not in other_doc
    assert md('/openstack/latest/meta_data.json', signature=metadata_app.sign(
        someone_elses, SECRET)).status_int == 403
    assert md('/openstack/latest/meta_data.json', instance_id=None).status_int == 400
    assert md('/openstack/latest/meta_data.json',
              **{'X-Tenant-ID': other.project_id}).status_int == 404

    # the password a guest posts, once, is what the compute API shows
    assert md('/openstack/latest/password', method='POST', body=b'ENCRYPTED').status_int == 200
    assert md('/openstack/latest/password').text == 'ENCRYPTED'
    assert md('/openstack/latest/password', method='POST', body=b'again').status_int == 409
    resp = member.get('%s/servers/%s/os-server-password' % (API, server_id))
    assert resp.status_int == 200 and resp.json['password'] == 'ENCRYPTED'

    assert member.delete('%s/servers/%s' % (API, server_id)).status_int == 204
    from tests.unit.compute.conftest import run_tasks
    run_tasks()
    assert md('/openstack/latest/meta_data.json').status_int == 404
