"""Metadata definitions (/v2/metadefs) through the whole paste app."""
import pytest

MD = '/image/v2/metadefs'
NS = MD + '/namespaces'
SCHEMAS = '/image/v2/schemas/metadefs/'


def _ns(client, name, **body):
    body.setdefault('visibility', 'public')
    resp = client.post(NS, dict(body, namespace=name))
    assert resp.status_int == 201, resp.text
    return resp.json


@pytest.mark.parametrize('path,name', [
    ('namespace', 'namespace'), ('namespaces', 'namespaces'),
    ('resource_type', 'resource_type_association'),
    ('resource_types', 'resource_type_associations'),
    ('object', 'object'), ('objects', 'objects'),
    ('property', 'property'), ('properties', 'properties'),
    ('tag', 'tag'), ('tags', 'tags')])
def test_schemas_are_served_to_readers(users, path, name):
    resp = users['carol'].get(SCHEMAS + path)
    assert resp.status_int == 200, resp.text
    assert resp.json['name'] == name
    assert 'properties' in resp.json


def test_unknown_schema_is_404(users):
    assert users['carol'].get(SCHEMAS + 'nope').status_int == 404


def test_shipped_resource_types_are_listed(users):
    resp = users['carol'].get(MD + '/resource_types')
    assert resp.status_int == 200, resp.text
    names = [r['name'] for r in resp.json['resource_types']]
    for name in ('OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor',
                 'OS::Nova::Server'):
        assert name in names
    assert len(names) == len(set(names))
    assert all(r['created_at'].endswith('Z') for r in resp.json['resource_types'])


def test_namespace_life_cycle(users):
    boss = users['boss']
    resp = boss.post(NS, {'namespace': 'ns0'})
    assert resp.status_int == 201, resp.text
    assert resp.headers['Location'].endswith('/image/v2/metadefs/namespaces/ns0')
    assert resp.json['visibility'] == 'private'     # the default
    created = _ns(boss, 'ns1', display_name='One', description='d', protected=True,
                  resource_type_associations=[{'name': 'OS::Glance::Image',
                                               'prefix': 'hw_'}],
                  properties={'cpu': {'title': 'CPU', 'type': 'integer',
                                      'minimum': 1}},
                  objects=[{'name': 'obj', 'properties': {
                      'x': {'title': 'X', 'type': 'string'}}}],
                  tags=[{'name': 't1'}, {'name': 't2'}])
    assert created['namespace'] == 'ns1'
    assert created['owner'] == boss.project_id
    assert created['protected'] is True
    assert created['self'] == '/v2/metadefs/namespaces/ns1'
    assert created['schema'] == '/v2/schemas/metadefs/namespace'

    shown = boss.get(NS + '/ns1').json
    assert shown['display_name'] == 'One'
    assert [a['name'] for a in shown['resource_type_associations']] == [
        'OS::Glance::Image']
    assert shown['properties'] == {'cpu': {'title': 'CPU', 'type': 'integer',
                                           'minimum': 1}}
    assert [o['name'] for o in shown['objects']] == ['obj']
    assert sorted(t['name'] for t in shown['tags']) == ['t1', 't2']
    # The association's prefix applies when asked for that resource type.
    shown = boss.get(NS + '/ns1?resource_type=OS::Glance::Image').json
    assert list(shown['properties']) == ['hw_cpu']
    assert list(shown['objects'][0]['properties']) == ['hw_x']

    assert boss.post(NS, {'namespace': 'ns1'}).status_int == 409
    assert 'ns1' in [n['namespace'] for n in boss.get(NS).json['namespaces']]

    # Protected: neither it nor its contents can be deleted.
    assert boss.delete(NS + '/ns1').status_int == 403
    assert boss.delete(NS + '/ns1/objects').status_int == 403
    assert boss.delete(NS + '/ns1/tags/t1').status_int == 403
    assert boss.delete(NS + '/ns1/properties/cpu').status_int == 403
    assert boss.delete(NS + '/ns1/resource_types/OS::Glance::Image'
                       ).status_int == 403
    assert len(boss.get(NS + '/ns1').json['tags']) == 2

    # Server-set attributes cannot be sent back (as Glance: 403).
    resp = boss.put(NS + '/ns1', dict(shown, protected=False))
    assert resp.status_int == 403, resp.text
    assert 'read-only' in resp.text
    resp = boss.put(NS + '/ns1', {'namespace': 'ns1', 'visibility': 'private',
                                  'protected': False, 'description': 'new'})
    assert resp.status_int == 200, resp.text
    assert (resp.json['visibility'], resp.json['protected'],
            resp.json['description']) == ('private', False, 'new')
    assert boss.delete(NS + '/ns1').status_int == 204
    assert boss.get(NS + '/ns1').status_int == 404
    assert boss.delete(NS + '/ns1').status_int == 404


def test_namespace_rename_and_conflict(users):
    boss = users['boss']
    _ns(boss, 'a')
    _ns(boss, 'b')
    assert boss.put(NS + '/a', {'namespace': 'b'}).status_int == 409
    resp = boss.put(NS + '/a', {'namespace': 'c'})
    assert resp.status_int == 200, resp.text
    assert boss.get(NS + '/a').status_int == 404
    assert boss.get(NS + '/c').json['namespace'] == 'c'


def test_namespace_bodies_are_validated(users):
    boss = users['boss']
    for body in ({}, {'namespace': ''}, {'namespace': 'x', 'visibility': 'shared'},
                 {'namespace': 'x', 'protected': 'yes'},
                 {'namespace': 'x', 'bogus': 1},
                 {'namespace': 'x', 'properties': {'p': {'type': 'string'}}},
                 {'namespace': 'x' * 81},
                 {'namespace': 'x', 'properties': {
                     'p' * 81: {'title': 'P', 'type': 'string'}}},
                 {'namespace': 'x', 'objects': [{'name': 'o' * 81}]},
                 {'namespace': 'x', 'tags': [{'name': 't' * 81}]},
                 {'namespace': 'x', 'resource_type_associations': [
                     {'name': 'OS::Nova::Flavor', 'prefix': 'p' * 81}]}):
        resp = boss.post(NS, body)
        assert resp.status_int == 400, (body, resp.text)
    assert boss.get(NS + '/x').status_int == 404


def test_unknown_resource_type_is_created_with_the_namespace(users):
    """As Glance: an association names any resource type; a new one is made."""
    boss = users['boss']
    resp = boss.post(NS, {'namespace': 'x', 'resource_type_associations': [
        {'name': 'OS::No::Such'}]})
    assert resp.status_int == 201, resp.text
    assert [a['name'] for a in boss.get(NS + '/x').json['resource_type_associations']] \
        == ['OS::No::Such']
    assert 'OS::No::Such' in [
        r['name'] for r in boss.get(MD + '/resource_types').json['resource_types']]


def test_visibility_and_policy(users):
    boss, alice, bob, carol = (users['boss'], users['alice'], users['bob'],
                               users['carol'])
    _ns(boss, 'pub')
    _ns(boss, 'adminpriv', visibility='private')
    _ns(boss, 'p1priv', visibility='private', owner=alice.project_id)

    def names(client, query=''):
        resp = client.get(NS + query)
        assert resp.status_int == 200, resp.text
        return {n['namespace'] for n in resp.json['namespaces']}

    assert names(boss) == {'pub', 'adminpriv', 'p1priv'}
    assert names(alice) == {'pub', 'p1priv'}
    assert names(carol) == {'pub', 'p1priv'}
    assert names(bob) == {'pub'}
    assert names(alice, '?visibility=private') == {'p1priv'}
    assert alice.get(NS + '?visibility=shared').status_int == 400

    assert alice.get(NS + '/adminpriv').status_int == 404
    assert bob.get(NS + '/p1priv').status_int == 404
    assert carol.get(NS + '/p1priv').status_int == 200
    assert bob.get(NS + '/p1priv/objects').status_int == 404

    # Writes are an admin's, even in the caller's own namespace.
    assert alice.post(NS, {'namespace': 'mine'}).status_int == 403
    assert alice.put(NS + '/p1priv', {'namespace': 'p1priv'}).status_int == 403
    assert alice.delete(NS + '/p1priv').status_int == 403
    assert alice.post(NS + '/p1priv/tags/t').status_int == 403
    assert alice.post(NS + '/p1priv/objects', {'name': 'o'}).status_int == 403
    # ... and an invisible namespace stays invisible to a writer too.
    assert bob.delete(NS + '/p1priv').status_int == 404


def test_list_filters_sorting_and_pages(users):
    boss = users['boss']
    for name in ('n1', 'n2', 'n3', 'n4'):
        _ns(boss, name)
    resp = boss.post(NS + '/n2/resource_types', {'name': 'OS::Nova::Flavor'})
    assert resp.status_int == 201, resp.text
    boss.post(NS + '/n3/resource_types', {'name': 'OS::Cinder::Volume'})

    got = boss.get(NS + '?resource_types=OS::Nova::Flavor,OS::Cinder::Volume').json
    assert sorted(n['namespace'] for n in got['namespaces']) == ['n2', 'n3']
    n2 = [n for n in got['namespaces'] if n['namespace'] == 'n2'][0]
    assert n2['resource_type_associations'][0]['name'] == 'OS::Nova::Flavor'

    page = boss.get(NS + '?sort_key=namespace&sort_dir=asc&limit=3').json
    assert [n['namespace'] for n in page['namespaces']] == ['n1', 'n2', 'n3']
    assert page['next'].startswith('/v2/metadefs/namespaces?')
    assert 'marker=n3' in page['next']
    assert page['first'].startswith('/v2/metadefs/namespaces?')
    assert 'marker' not in page['first']
    page = boss.get(NS + '?sort_key=namespace&sort_dir=asc&limit=3&marker=n3').json
    assert [n['namespace'] for n in page['namespaces']] == ['n4']
    assert 'next' not in page
    assert boss.get(NS + '?sort_key=bogus').status_int == 400
    assert boss.get(NS + '?marker=nope').status_int == 404


def test_resource_type_associations(users):
    boss = users['boss']
    _ns(boss, 'ns')
    url = NS + '/ns/resource_types'
    resp = boss.post(url, {'name': 'OS::Cinder::Volume', 'prefix': 'hw_',
                           'properties_target': 'image'})
    assert resp.status_int == 201, resp.text
    assert resp.json['name'] == 'OS::Cinder::Volume'
    assert resp.json['prefix'] == 'hw_'
    assert boss.post(url, {'name': 'OS::Cinder::Volume'}).status_int == 409
    # An unknown resource type is created by its first association (as Glance).
    assert boss.post(url, {'name': 'OS::Cloudstack::New'}).status_int == 201
    assert 'OS::Cloudstack::New' in [
        r['name'] for r in boss.get(MD + '/resource_types').json['resource_types']]
    assert boss.delete(url + '/OS::Cloudstack::New').status_int == 204
    assert boss.post(url, {'prefix': 'x'}).status_int == 400
    assert boss.post(NS + '/none/resource_types',
                     {'name': 'OS::Cinder::Volume'}).status_int == 404

    listed = users['alice'].get(url).json['resource_type_associations']
    assert [(a['name'], a['properties_target']) for a in listed] == [
        ('OS::Cinder::Volume', 'image')]
    assert users['alice'].delete(url + '/OS::Cinder::Volume').status_int == 403
    assert boss.delete(url + '/OS::Cinder::Volume').status_int == 204
    assert boss.get(url).json['resource_type_associations'] == []
    assert boss.delete(url + '/OS::Cinder::Volume').status_int == 404
    # The resource type itself stays.
    names = [r['name'] for r in boss.get(MD + '/resource_types').json['resource_types']]
    assert 'OS::Cinder::Volume' in names


def test_objects(users):
    boss = users['boss']
    _ns(boss, 'ns')
    url = NS + '/ns/objects'
    body = {'name': 'o1', 'description': 'first', 'required': ['a'],
            'properties': {'a': {'title': 'A', 'type': 'string',
                                 'enum': ['x', 'y']}}}
    resp = boss.post(url, body)
    assert resp.status_int == 201, resp.text
    assert resp.json['self'] == '/v2/metadefs/namespaces/ns/objects/o1'
    assert resp.json['required'] == ['a']
    assert boss.post(url, {'name': 'o1'}).status_int == 409
    assert boss.post(url, {'description': 'no name'}).status_int == 400
    assert boss.post(url, {'name': 'o2', 'properties': {
        'a': {'title': 'A', 'type': 'float'}}}).status_int == 400
    assert boss.post(url, {'name': 'o2'}).status_int == 201

    assert users['alice'].get(url + '/o1').json['properties']['a']['enum'] == [
        'x', 'y']
    assert sorted(o['name'] for o in boss.get(url).json['objects']) == ['o1', 'o2']

    assert boss.put(url + '/o1', {'name': 'o2'}).status_int == 409
    resp = boss.put(url + '/o1', {'name': 'renamed'})
    assert resp.status_int == 200, resp.text
    assert resp.json['name'] == 'renamed'
    assert resp.json['properties'] == {}     # PUT replaces the object
    assert boss.get(url + '/o1').status_int == 404
    assert boss.delete(url + '/renamed').status_int == 204
    assert boss.delete(url + '/renamed').status_int == 404
    assert [o['name'] for o in boss.get(url).json['objects']] == ['o2']

    assert boss.delete(url).status_int == 204
    assert boss.get(url).json['objects'] == []


def test_properties(users):
    boss = users['boss']
    _ns(boss, 'ns')
    boss.post(NS + '/ns/resource_types', {'name': 'OS::Glance::Image',
                                          'prefix': 'hw_'})
    url = NS + '/ns/properties'
    body = {'name': 'watchdog', 'title': 'Watchdog', 'type': 'string',
            'enum': ['reset', 'none']}
    resp = boss.post(url, body)
    assert resp.status_int == 201, resp.text
    assert resp.json == body
    assert boss.post(url, body).status_int == 409
    for bad in ({'name': 'p', 'type': 'string'},              # no title
                {'name': 'p', 'title': 'P'},                   # no type
                {'title': 'P', 'type': 'string'},              # no name
                {'name': 'p', 'title': 'P', 'type': 'float'},
                {'name': 'p', 'title': 'P', 'type': 'string', 'color': 'red'}):
        assert boss.post(url, bad).status_int == 400, bad

    listed = users['alice'].get(url).json['properties']
    assert listed == {'watchdog': {'title': 'Watchdog', 'type': 'string',
                                   'enum': ['reset', 'none']}}
    assert boss.get(url + '/watchdog').json['name'] == 'watchdog'
    resp = boss.get(url + '/hw_watchdog?resource_type=OS::Glance::Image')
    assert resp.status_int == 200, resp.text
    assert resp.json['title'] == 'Watchdog'
    assert boss.get(url + '/watchdog?resource_type=OS::Glance::Image'
                    ).status_int == 404

    resp = boss.put(url + '/watchdog', {'name': 'watchdog', 'title': 'W2',
                                        'type': 'string'})
    assert resp.status_int == 200, resp.text
    assert resp.json == {'name': 'watchdog', 'title': 'W2', 'type': 'string'}
    assert boss.delete(url + '/watchdog').status_int == 204
    assert boss.get(url + '/watchdog').status_int == 404
    assert boss.get(url).json['properties'] == {}

    boss.post(url, body)
    assert boss.delete(url).status_int == 204
    assert boss.get(url).json['properties'] == {}


def test_tags(users):
    boss = users['boss']
    _ns(boss, 'ns')
    url = NS + '/ns/tags'
    resp = boss.post(url + '/solo')
    assert resp.status_int == 201, resp.text
    assert resp.json['name'] == 'solo'
    assert boss.post(url + '/solo').status_int == 409
    assert boss.post(url + '/' + 'x' * 81).status_int == 400

    def names():
        return sorted(t['name'] for t in boss.get(url).json['tags'])

    # A bulk create replaces the tags...
    resp = boss.post(url, {'tags': [{'name': 'a'}, {'name': 'b'}]})
    assert resp.status_int == 201, resp.text
    assert resp.json == {'tags': [{'name': 'a'}, {'name': 'b'}]}
    assert names() == ['a', 'b']
    # ... unless asked to append.
    resp = boss.post(url, {'tags': [{'name': 'c'}]},
                     headers={'X-Openstack-Append': 'True'})
    assert resp.status_int == 201, resp.text
    assert names() == ['a', 'b', 'c']
    assert boss.post(url, {'tags': [{'name': 'a'}]},
                     headers={'X-Openstack-Append': 'true'}).status_int == 409
    assert boss.post(url, {'tags': [{'name': 'd'}, {'name': 'd'}]}).status_int == 409
    assert names() == ['a', 'b', 'c']       # a failed request changed nothing
    assert boss.post(url, {'tags': [{'nom': 'd'}]}).status_int == 400

    assert users['carol'].get(url + '/a').json['name'] == 'a'
    assert boss.put(url + '/a', {'name': 'b'}).status_int == 409
    resp = boss.put(url + '/a', {'name': 'z'})
    assert resp.status_int == 200, resp.text
    assert resp.json['name'] == 'z'
    assert boss.get(url + '/a').status_int == 404
    assert boss.delete(url + '/z').status_int == 204
    assert boss.delete(url + '/z').status_int == 404
    assert names() == ['b', 'c']

    page = boss.get(url + '?sort_key=name&sort_dir=asc&limit=1').json['tags']
    assert [t['name'] for t in page] == ['b']
    assert boss.delete(url).status_int == 204
    assert boss.get(url).json['tags'] == []


def test_deleting_a_namespace_takes_its_contents(users):
    boss = users['boss']
    _ns(boss, 'ns', properties={'p': {'title': 'P', 'type': 'string'}},
        objects=[{'name': 'o'}], tags=[{'name': 't'}],
        resource_type_associations=[{'name': 'OS::Nova::Flavor'}])
    assert boss.delete(NS + '/ns').status_int == 204
    _ns(boss, 'ns')
    shown = boss.get(NS + '/ns').json
    for key in ('properties', 'objects', 'tags', 'resource_type_associations'):
        assert key not in shown
