"""/image: version discovery, schemas, info, and image metadata."""
import uuid

from tests.unit.image.conftest import IMG


def test_versions_are_public(client):
    resp = client.get('/image/')
    assert resp.status_int == 300
    versions = resp.json['versions']
    assert versions[0]['status'] == 'CURRENT'
    assert {v['status'] for v in versions[1:]} == {'SUPPORTED'}
    assert all(v['id'].startswith('v2.') for v in versions)
    assert versions[0]['links'][0]['href'] == 'http://localhost/image/v2/'
    resp = client.get('/image/versions')
    assert resp.status_int == 200 and resp.json['versions'] == versions


def test_api_needs_a_token(client):
    assert client.get(IMG).status_int == 401


def test_schemas_and_info(users):
    a = users['alice']
    image = a.get('/image/v2/schemas/image').json
    assert image['name'] == 'image'
    assert 'qcow2' in image['properties']['disk_format']['enum']
    assert image['additionalProperties'] == {'type': 'string'}
    assert a.get('/image/v2/schemas/images').json['properties']['images']['items'][
        'name'] == 'image'
    assert a.get('/image/v2/schemas/member').json['name'] == 'member'
    assert a.get('/image/v2/schemas/members').json['name'] == 'members'
    assert a.get('/image/v2/info/import').json['import-methods']['value'] == [
        'glance-direct']
    stores = a.get('/image/v2/info/stores').json['stores']
    assert {'id': 'file', 'description': 'file store', 'default': True} in stores


def test_create_show_and_defaults(users):
    a = users['alice']
    resp = a.post(IMG, {'name': 'cirros', 'min_ram': 64, 'tags': ['t2', 't1', 't1'],
                        'os_distro': 'cirros', 'disk_format': 'raw',
                        'container_format': 'bare'})
    assert resp.status_int == 201
    assert resp.headers['OpenStack-image-import-methods'] == 'glance-direct'
    assert resp.headers['Location'].endswith('/image/v2/images/' + resp.json['id'])
    img = resp.json
    assert img['status'] == 'queued'
    assert img['visibility'] == 'shared'
    assert img['owner'] == a.project_id
    assert img['tags'] == ['t1', 't2']
    assert img['os_distro'] == 'cirros' and img['min_ram'] == 64
    assert img['size'] is None and img['checksum'] is None
    assert img['self'] == '/v2/images/' + img['id']
    assert img['file'] == '/v2/images/%s/file' % img['id']
    assert 'stores' not in img
    assert a.get(IMG + '/' + img['id']).json == img
    uuid.UUID(img['id'])


def test_create_with_id_and_conflict(users):
    a = users['alice']
    image_id = str(uuid.uuid4())
    assert a.create_image(id=image_id)['id'] == image_id
    assert a.post(IMG, {'id': image_id}).status_int == 409
    assert a.post(IMG, {'id': 'not-a-uuid'}).status_int == 400


def test_create_validation(users):
    a, boss = users['alice'], users['boss']
    assert a.post(IMG, {'disk_format': 'bogus'}).status_int == 400
    assert a.post(IMG, {'container_format': 'bogus'}).status_int == 400
    assert a.post(IMG, {'visibility': 'bogus'}).status_int == 400
    assert a.post(IMG, {'min_ram': -1}).status_int == 400
    assert a.post(IMG, {'protected': 'yes'}).status_int == 400
    assert a.post(IMG, {'name': 'x' * 256}).status_int == 400
    assert a.post(IMG, {'custom': 5}).status_int == 400
    assert a.post(IMG, [1]).status_int == 400
    for attr in ('status', 'size', 'checksum', 'created_at', 'self', 'os_hash_value'):
        assert a.post(IMG, {attr: 'x'}).status_int == 403, attr
    assert a.post(IMG, {'os_glance_foo': 'x'}).status_int == 403
    # public needs admin; community is fine for owners
    assert a.post(IMG, {'visibility': 'public'}).status_int == 403
    assert a.post(IMG, {'visibility': 'community'}).status_int == 201
    assert boss.post(IMG, {'visibility': 'public'}).status_int == 201
    # owner of another project needs admin
    assert a.post(IMG, {'owner': users['bob'].project_id}).status_int == 403
    assert boss.post(IMG, {'owner': a.project_id}).json['owner'] == a.project_id
    # a reader cannot create
    assert users['carol'].post(IMG, {'name': 'r'}).status_int == 403


def test_visibility_rules(users):
    a, b, c, boss = users['alice'], users['bob'], users['carol'], users['boss']
    private = a.create_image(name='private', visibility='private')
    shared = a.create_image(name='shared')
    community = a.create_image(name='community', visibility='community')
    public = boss.create_image(name='public', visibility='public')

    def names(client, query=''):
        resp = client.get(IMG + query)
        assert resp.status_int == 200, resp.text
        return sorted(i['name'] for i in resp.json['images'])

    assert names(a) == ['community', 'private', 'public', 'shared']
    assert names(c) == ['community', 'private', 'public', 'shared']   # same project
    assert names(b) == ['public']
    assert names(b, '?visibility=community') == ['community']
    assert names(b, '?visibility=all') == ['community', 'public']
    assert names(a, '?visibility=private') == ['private']
    assert names(boss) == ['community', 'private', 'public', 'shared']
    assert b.get(IMG + '/' + private['id']).status_int == 404
    assert b.get(IMG + '/' + shared['id']).status_int == 404
    assert b.get(IMG + '/' + community['id']).status_int == 200
    assert b.get(IMG + '/' + public['id']).status_int == 200
    assert boss.get(IMG + '/' + private['id']).status_int == 200
    # others cannot modify or delete
    assert b.patch_image(public['id'], [
        {'op': 'replace', 'path': '/name', 'value': 'x'}]).status_int == 403
    assert b.delete(IMG + '/' + community['id']).status_int == 403
    assert c.delete(IMG + '/' + private['id']).status_int == 403   # reader
    assert a.get(IMG + '/' + str(uuid.uuid4())).status_int == 404


def test_list_filters(users):
    a = users['alice']
    one = a.create_image(name='one', disk_format='qcow2', tags=['x', 'y'],
                         hw_cpu_cores='2', protected=True)
    two = a.create_image(name='two', container_format='ova', tags=['x'])
    a.upload(two['id'], b'\x05' * 100)
    hidden = a.create_image(name='hidden', os_hidden=True)

    def names(query):
        resp = a.get(IMG + query)
        assert resp.status_int == 200, resp.text
        return sorted(i['name'] for i in resp.json['images'])

    assert names('') == ['one', 'two']
    assert names('?os_hidden=true') == ['hidden']
    assert names('?name=one') == ['one']
    assert names('?status=active') == ['two']
    assert names('?disk_format=qcow2') == ['one']
    assert names('?container_format=ova') == ['two']
    assert names('?tag=x') == ['one', 'two']
    assert names('?tag=x&tag=y') == ['one']
    assert names('?hw_cpu_cores=2') == ['one']
    assert names('?protected=true') == ['one']
    assert names('?size_min=50&size_max=100') == ['two']
    assert names('?size_min=101') == []
    assert names('?size=100') == ['two']
    assert names('?id=in:%s,%s' % (one['id'], hidden['id'])) == ['one']
    assert names('?owner=' + a.project_id) == ['one', 'two']
    assert names('?created_at=gte:2000-01-01T00:00:00Z') == ['one', 'two']
    assert a.get(IMG + '?size_min=x').status_int == 400
    assert a.get(IMG + '?size=x').status_int == 400
    assert a.get(IMG + '?visibility=bogus').status_int == 400
    assert a.get(IMG + '?sort_key=bogus').status_int == 400
    assert a.get(IMG + '?limit=-1').status_int == 400
    assert a.get(IMG + '?marker=' + str(uuid.uuid4())).status_int == 400


def test_sort_and_pagination(users):
    a = users['alice']
    for name in ('c', 'a', 'd', 'b', 'e'):
        a.create_image(name=name)
    a.create_image()      # no name: sorts first ascending
    resp = a.get(IMG + '?sort_key=name&sort_dir=asc&limit=2')
    body = resp.json
    assert [i['name'] for i in body['images']] == [None, 'a']
    assert body['first'] == '/v2/images' and body['schema'] == '/v2/schemas/images'
    seen = [i['name'] for i in body['images']]
    while 'next' in body:
        assert body['next'].startswith('/v2/images?')
        body = a.get('/image' + body['next']).json
        seen += [i['name'] for i in body['images']]
    assert seen == [None, 'a', 'b', 'c', 'd', 'e']
    names = [i['name'] for i in a.get(IMG + '?sort=name:desc').json['images']]
    assert names == ['e', 'd', 'c', 'b', 'a', None]
    # default: newest first
    names = [i['name'] for i in a.get(IMG).json['images']]
    assert names == [None, 'e', 'b', 'd', 'a', 'c']


def test_patch(users):
    a = users['alice']
    img = a.create_image(name='old', foo='bar', gone='soon')
    resp = a.patch_image(img['id'], [
        {'op': 'replace', 'path': '/name', 'value': 'new'},
        {'op': 'add', 'path': '/extra', 'value': 'x'},
        {'op': 'add', 'path': '/foo', 'value': 'baz'},          # add existing = replace
        {'op': 'remove', 'path': '/gone'},
        {'op': 'replace', 'path': '/tags', 'value': ['b', 'a']},
        {'op': 'replace', 'path': '/min_disk', 'value': 3},
        {'op': 'replace', 'path': '/protected', 'value': True},
        {'op': 'add', 'path': '/trait:STORAGE~1SSD', 'value': 'required'},
    ])
    assert resp.status_int == 200, resp.text
    body = resp.json
    assert (body['name'], body['extra'], body['foo'], body['tags'], body['min_disk'],
            body['protected']) == ('new', 'x', 'baz', ['a', 'b'], 3, True)
    assert 'gone' not in body and body['trait:STORAGE/SSD'] == 'required'
    assert a.get(IMG + '/' + img['id']).json == body
    # the v2.0 dialect Tempest speaks
    resp = a.patch_image(img['id'], [{'replace': '/name', 'value': 'v20'}],
                         content_type='application/openstack-images-v2.0-json-patch')
    assert resp.status_int == 200 and resp.json['name'] == 'v20'


def test_patch_errors(users):
    a, boss = users['alice'], users['boss']
    img = a.create_image(name='x')
    iid = img['id']

    def patch(*ops, **kw):
        return a.patch_image(iid, list(ops), **kw).status_int

    assert patch({'op': 'replace', 'path': '/name', 'value': 'y'},
                 content_type='application/json') == 415
    assert patch({'op': 'replace', 'path': '/status', 'value': 'active'}) == 403
    assert patch({'op': 'replace', 'path': '/id', 'value': str(uuid.uuid4())}) == 403
    assert patch({'op': 'add', 'path': '/checksum', 'value': 'x'}) == 403
    assert patch({'op': 'add', 'path': '/os_glance_import_task', 'value': 'x'}) == 403
    assert patch({'op': 'remove', 'path': '/name'}) == 403
    assert patch({'op': 'replace', 'path': '/locations', 'value': []}) == 403
    assert patch({'op': 'replace', 'path': '/visibility', 'value': 'public'}) == 403
    assert patch({'op': 'replace', 'path': '/nope', 'value': 'x'}) == 409
    assert patch({'op': 'remove', 'path': '/nope'}) == 409
    assert patch({'op': 'move', 'path': '/name', 'from': '/x'}) == 400
    assert patch({'op': 'replace', 'path': 'name', 'value': 'x'}) == 400
    assert patch({'op': 'replace', 'path': '/name'}) == 400
    assert patch({'op': 'replace', 'path': '/min_ram', 'value': 'big'}) == 400
    assert patch({'op': 'replace', 'path': '/disk_format', 'value': 'exe'}) == 400
    assert patch({'op': 'add', 'path': '/custom', 'value': 1}) == 400
    assert a.raw('PATCH', IMG + '/' + iid, b'{}',
                 content_type='application/openstack-images-v2.1-json-patch'
                 ).status_int == 400
    # nothing of the failed patches stuck
    assert a.get(IMG + '/' + iid).json == img
    assert boss.patch_image(iid, [{'op': 'replace', 'path': '/visibility',
                                   'value': 'public'}]).json['visibility'] == 'public'


def test_delete_and_protected(users):
    a = users['alice']
    img = a.create_image(protected=True)
    assert a.delete(IMG + '/' + img['id']).status_int == 403
    a.patch_image(img['id'], [{'op': 'replace', 'path': '/protected', 'value': False}])
    assert a.delete(IMG + '/' + img['id']).status_int == 204
    assert a.get(IMG + '/' + img['id']).status_int == 404
    assert a.delete(IMG + '/' + img['id']).status_int == 404


def test_tags(users):
    a, b = users['alice'], users['bob']
    img = a.create_image()
    assert a.put(IMG + '/%s/tags/blue' % img['id']).status_int == 204
    assert a.put(IMG + '/%s/tags/blue' % img['id']).status_int == 204
    assert a.put(IMG + '/%s/tags/red%%20car' % img['id']).status_int == 204
    assert a.get(IMG + '/' + img['id']).json['tags'] == ['blue', 'red car']
    assert a.delete(IMG + '/%s/tags/blue' % img['id']).status_int == 204
    assert a.delete(IMG + '/%s/tags/blue' % img['id']).status_int == 404
    assert a.put(IMG + '/%s/tags/x' % uuid.uuid4()).status_int == 404
    assert b.put(IMG + '/%s/tags/x' % img['id']).status_int == 404
    assert a.get(IMG + '/' + img['id']).json['tags'] == ['red car']
