"""Accounts, containers and listings of the Swift API."""
import json
import time
import urllib.parse
from xml.etree import ElementTree

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _fill(swift, names, container='/c'):
    assert swift('PUT', container).status_int in (201, 202)
    for n in names:
        r = swift('PUT', '%s/%s' % (container, n), body=n.encode())
        assert r.status_int == 201, r.text


def _list(swift, query='', container='/c', accept=None):
    r = swift('GET', container + query,
              headers={'Accept': accept} if accept else None)
    assert r.status_int in (200, 204), r.text
    return [n for n in r.text.split('\n') if n]


def test_account_head_and_autocreate(swift):
    r = swift('HEAD')
    assert r.status_int == 204
    assert r.headers['X-Account-Container-Count'] == '0'
    assert r.headers['X-Account-Object-Count'] == '0'
    assert r.headers['X-Account-Bytes-Used'] == '0'
    assert 'X-Timestamp' in r.headers
    assert r.headers['X-Trans-Id'].startswith('tx')
    assert 'Content-Type' in r.headers and 'Date' in r.headers


def test_account_empty_listing(swift):
    r = swift('GET')
    assert r.status_int == 204
    r = swift('GET', '?format=json')
    assert r.status_int == 200 and r.json == []


def test_account_stats_and_listing(swift):
    _fill(swift, ['o1', 'o2'])
    _fill(swift, ['x'], container='/d')
    r = swift('HEAD')
    assert r.headers['X-Account-Container-Count'] == '2'
    assert r.headers['X-Account-Object-Count'] == '3'
    assert r.headers['X-Account-Bytes-Used'] == str(2 + 2 + 1)
    assert r.headers['X-Account-Storage-Policy-Policy-0-Object-Count'] == '3'
    r = swift('GET')
    assert r.text == 'c\nd\n'
    assert r.headers['Content-Type'] == 'text/plain; charset=utf-8'
    r = swift('GET', '?format=json')
    body = r.json
    assert [c['name'] for c in body] == ['c', 'd']
    assert body[0]['count'] == 2 and body[0]['bytes'] == 4
    assert 'last_modified' in body[0]
    r = swift('GET', headers={'Accept': 'application/json'})
    assert r.headers['Content-Type'].startswith('application/json')
    r = swift('GET', '?format=xml')
    root = ElementTree.fromstring(r.body)
    assert root.tag == 'account' and root.get('name') == swift.account
    assert [c.find('name').text for c in root] == ['c', 'd']
    assert _list(swift, '?marker=c', container='') == ['d']
    assert _list(swift, '?end_marker=d', container='') == ['c']
    assert _list(swift, '?limit=1', container='') == ['c']
    assert _list(swift, '?prefix=d', container='') == ['d']
    assert _list(swift, '?reverse=true', container='') == ['d', 'c']


def test_account_metadata(swift):
    r = swift('POST', headers={'X-Account-Meta-Color': 'blue',
                               'X-Account-Meta-Size': 'L'})
    assert r.status_int == 204
    r = swift('HEAD')
    assert r.headers['X-Account-Meta-Color'] == 'blue'
    r = swift('POST', headers={'X-Remove-Account-Meta-Color': 'x',
                               'X-Account-Meta-Size': ''})
    r = swift('HEAD')
    assert 'X-Account-Meta-Color' not in r.headers
    assert 'X-Account-Meta-Size' not in r.headers


def test_account_put_delete_not_allowed(swift):
    assert swift('PUT').status_int == 405
    assert swift('DELETE').status_int == 405


def test_container_crud(swift):
    r = swift('PUT', '/box', headers={'X-Container-Meta-Color': 'red'})
    assert r.status_int == 201
    assert r.headers['X-Trans-Id']
    r = swift('PUT', '/box', headers={'X-Container-Meta-Size': 'big'})
    assert r.status_int == 202
    r = swift('HEAD', '/box')
    assert r.status_int == 204
    assert r.headers['X-Container-Meta-Color'] == 'red'
    assert r.headers['X-Container-Meta-Size'] == 'big'
    assert r.headers['X-Container-Object-Count'] == '0'
    assert r.headers['X-Container-Bytes-Used'] == '0'
    assert r.headers['X-Storage-Policy'] == 'Policy-0'
    assert 'X-Timestamp' in r.headers and 'Last-Modified' in r.headers
    r = swift('POST', '/box', headers={'X-Remove-Container-Meta-Color': 'x',
                                       'X-Container-Meta-New': 'v'})
    assert r.status_int == 204
    r = swift('HEAD', '/box')
    assert 'X-Container-Meta-Color' not in r.headers
    assert r.headers['X-Container-Meta-New'] == 'v'
    assert swift('DELETE', '/box').status_int == 204
    assert swift('HEAD', '/box').status_int == 404
    assert swift('DELETE', '/box').status_int == 404
    assert swift('POST', '/box').status_int == 404
    assert swift('GET', '/box').status_int == 404


def test_delete_non_empty_container(swift):
    _fill(swift, ['a'])
    r = swift('DELETE', '/c')
    assert r.status_int == 409
    assert b'conflict' in r.body
    assert swift('DELETE', '/c/a').status_int == 204
    assert swift('DELETE', '/c').status_int == 204
    assert swift('HEAD').headers['X-Account-Container-Count'] == '0'


def test_container_stats(swift):
    _fill(swift, ['a', 'bb'])
    r = swift('HEAD', '/c')
    assert r.headers['X-Container-Object-Count'] == '2'
    assert r.headers['X-Container-Bytes-Used'] == '3'
    swift('PUT', '/c/a', body=b'12345')       # overwrite: size changes only
    r = swift('HEAD', '/c')
    assert r.headers['X-Container-Object-Count'] == '2'
    assert r.headers['X-Container-Bytes-Used'] == '7'
    swift('DELETE', '/c/bb')
    r = swift('HEAD', '/c')
    assert r.headers['X-Container-Object-Count'] == '1'
    assert r.headers['X-Container-Bytes-Used'] == '5'


def test_container_constraints(swift):
    assert swift('PUT', '/' + 'a' * 256).status_int == 201
    r = swift('PUT', '/' + 'a' * 257)
    assert r.status_int == 400
    assert r.text == 'Container name length of 257 longer than 256'
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'      # as Swift
    r = swift('PUT', '/m', headers={'X-Container-Meta-' + 'k' * 129: 'v'})
    assert r.status_int == 400 and 'Metadata name too long' in r.text
    r = swift('PUT', '/m', headers={'X-Container-Meta-k': 'v' * 257})
    assert r.status_int == 400
    headers = {'X-Container-Meta-k%d' % i: 'v' for i in range(91)}
    assert swift('PUT', '/m', headers=headers).status_int == 400
    headers = {'X-Container-Meta-k%d' % i: 'v' * 250 for i in range(17)}
    assert swift('PUT', '/m', headers=headers).status_int == 400
    headers = {'X-Container-Meta-k%d' % i: 'v' * 200 for i in range(10)}
    assert swift('PUT', '/m', headers=headers).status_int == 201


def test_empty_container_listing(swift):
    swift('PUT', '/c')
    r = swift('GET', '/c')
    assert r.status_int == 204
    assert r.headers['X-Container-Object-Count'] == '0'
    r = swift('GET', '/c?format=json')
    assert r.status_int == 200 and r.json == []
    r = swift('GET', '/c?format=xml')
    assert r.status_int == 200
    assert ElementTree.fromstring(r.body).tag == 'container'


NAMES = ['a', 'a/b', 'a/b/c', 'a/d', 'b', 'b/x', 'c', 'dir/', 'dir/f']


def test_listing_parameters(swift):
    _fill(swift, NAMES)
    assert _list(swift) == NAMES
    assert _list(swift, '?limit=2') == ['a', 'a/b']
    assert _list(swift, '?marker=a/d') == ['b', 'b/x', 'c', 'dir/', 'dir/f']
    assert _list(swift, '?end_marker=a/d') == ['a', 'a/b', 'a/b/c']
    assert _list(swift, '?marker=a&end_marker=b') == ['a/b', 'a/b/c', 'a/d']
    assert _list(swift, '?prefix=a/') == ['a/b', 'a/b/c', 'a/d']
    assert _list(swift, '?prefix=a/b') == ['a/b', 'a/b/c']
    assert _list(swift, '?prefix=zz') == []
    assert _list(swift, '?delimiter=/') == ['a', 'a/', 'b', 'b/', 'c', 'dir/']
    assert _list(swift, '?delimiter=/&prefix=a/') == ['a/b', 'a/b/', 'a/d']
    assert _list(swift, '?delimiter=/&limit=3') == ['a', 'a/', 'b']
    assert _list(swift, '?delimiter=/&marker=a/') == ['b', 'b/', 'c', 'dir/']
    assert _list(swift, '?reverse=on') == list(reversed(NAMES))
    assert _list(swift, '?reverse=true&marker=b') == ['a/d', 'a/b/c', 'a/b', 'a']
    assert _list(swift, '?reverse=true&end_marker=b') == [
        'dir/f', 'dir/', 'c', 'b/x']
    assert _list(swift, '?reverse=true&delimiter=/') == [
        'dir/', 'c', 'b/', 'b', 'a/', 'a']
    assert _list(swift, '?reverse=true&prefix=a/&limit=2') == ['a/d', 'a/b/c']
    assert _list(swift, '?path=a') == ['a/b', 'a/d']
    assert _list(swift, '?path=a/b') == ['a/b/c']
    assert _list(swift, '?path=dir') == ['dir/', 'dir/f']
    assert _list(swift, '?path=') == ['a', 'b', 'c']
    # a delimiter of several characters, as Swift's
    assert _list(swift, '?delimiter=/b') == ['a', 'a/b', 'a/d', 'b', 'b/x', 'c', 'dir/',
                                             'dir/f']
    assert _list(swift, '?delimiter=a/b') == ['a', 'a/b', 'a/d', 'b', 'b/x', 'c', 'dir/',
                                              'dir/f']


def test_listing_formats(swift):
    _fill(swift, ['a', 'd/e'])
    r = swift('GET', '/c?format=json&delimiter=/')
    assert r.headers['Content-Type'] == 'application/json; charset=utf-8'
    body = r.json
    assert body[0]['name'] == 'a'
    assert body[0]['bytes'] == 1
    assert body[0]['hash'] == '0cc175b9c0f1b6a831c399e269772661'
    assert body[0]['content_type'] == 'application/octet-stream'
    time.strptime(body[0]['last_modified'], '%Y-%m-%dT%H:%M:%S.%f')
    assert body[1] == {'subdir': 'd/'}
    r = swift('GET', '/c?delimiter=/', headers={'Accept': 'application/xml'})
    assert r.headers['Content-Type'] == 'application/xml; charset=utf-8'
    root = ElementTree.fromstring(r.body)
    assert root.tag == 'container' and root.get('name') == 'c'
    assert root[0].tag == 'object'
    assert root[0].find('name').text == 'a'
    assert root[0].find('hash').text == '0cc175b9c0f1b6a831c399e269772661'
    assert root[0].find('bytes').text == '1'
    assert root[1].tag == 'subdir' and root[1].get('name') == 'd/'
    r = swift('GET', '/c', headers={'Accept': 'text/xml'})
    assert r.headers['Content-Type'].startswith('application/xml')
    r = swift('GET', '/c?format=json', headers={'Accept': 'text/plain'})
    assert json.loads(r.body)[0]['name'] == 'a'
    r = swift('GET', '/c', headers={'Accept': '*/*'})
    assert r.text == 'a\nd/e\n'


def test_listing_limits(swift):
    _fill(swift, ['a'])
    r = swift('GET', '/c?limit=10001')
    assert r.status_int == 412
    assert r.text == 'Maximum limit is 10000'
    assert swift('GET', '/c?limit=abc').status_int == 412
    assert swift('GET', '?limit=10001').status_int == 412
    assert _list(swift, '?limit=10000') == ['a']


def test_expired_objects_hidden_from_listing(swift, backend):
    _fill(swift, ['keep'])
    swift('PUT', '/c/gone', body=b'x',
          headers={'X-Delete-At': str(int(time.time()) + 100)})
    assert _list(swift) == ['gone', 'keep']
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    from cloudstack.object_store import models
    with db_api.writer() as session:
        session.execute(sa.update(models.Object).where(
            models.Object.name == 'gone').values(delete_at=int(time.time()) - 1))
    assert _list(swift) == ['keep']


def test_large_listing(swift):
    """10,000 rows list whole and in pages (the index, keyset pages); their
    speed is tools/bench_object_store.py's to measure."""
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    from cloudstack.object_store import models
    swift('PUT', '/big')
    with db_api.reader() as session:
        cid = session.scalar(sa.select(models.Container.id).where(
            models.Container.name == 'big'))
    rows = [{'container_id': cid, 'name': 'obj-%05d' % i, 'size': 1, 'etag': 'e',
             'content_type': 'text/plain', 'timestamp': '1700000000.00000',
             'meta': {}, 'delete_at': None} for i in range(10000)]
    with db_api.writer() as session:
        session.execute(sa.insert(models.Object), rows)
    for query in ('?format=json', '?marker=obj-05000&limit=100',
                  '?prefix=obj-09&format=json', '?delimiter=-'):
        r = swift('GET', '/big' + query)
        assert r.status_int == 200
    assert len(swift('GET', '/big?format=json').json) == 10000
    assert swift('GET', '/big?delimiter=-').text == 'obj-\n'
    assert _list(swift, '?marker=obj-09997', container='/big') == [
        'obj-09998', 'obj-09999']
    # many pseudo-directories: each costs a bounded query, not a rescan
    rows = [dict(r, name='d%04d/x%d' % (i // 3, i % 3)) for i, r in enumerate(rows[:6000])]
    with db_api.writer() as session:
        session.execute(sa.insert(models.Object), rows)
    listed = _list(swift, '?delimiter=/&limit=2500', container='/big')
    assert len(listed) == 2500 and listed[0] == 'd0000/'
    assert listed[1999] == 'd1999/' and listed[2000] == 'obj-00000'
    assert _list(swift, '?delimiter=/&reverse=1&marker=obj-00000&limit=2',
                 container='/big') == ['d1999/', 'd1998/']


def test_json_listing_made_by_the_database_matches(swift):
    """The database's JSON (manager.list_objects_json) says what the rows
    rendered here say, for every bound a listing takes."""
    import json
    from cloudstack.object_store import manager
    from cloudstack.object_store.api import util
    swift('PUT', '/j')
    for name in ('a', 'b/1', 'b/2', 'caf\u00e9', 'q"uote\\', 'z\u2603', 'zz'):
        assert swift('PUT', '/j/' + urllib.parse.quote(name), b'x' * len(name),
                     headers={'Content-Type': 'text/x-%d' % len(name)}).status_int == 201
    mgr = manager.get()
    for params in ({}, {'reverse': True}, {'prefix': 'b/'}, {'marker': 'b/1', 'limit': 3},
                   {'end_marker': 'c', 'reverse': True, 'marker': 'zz'}, {'limit': 0}):
        listing = manager.Listing(**params)
        _, body = mgr.list_objects_json(None, swift.account, 'j', listing)
        _, rows = mgr.list_objects(None, swift.account, 'j', listing)
        assert json.loads(body) == json.loads(util._json_objects(rows)), params
    r = swift('GET', '/j?format=json&prefix=b/')
    assert [o['name'] for o in r.json] == ['b/1', 'b/2']
    assert r.headers['Content-Type'] == 'application/json; charset=utf-8'
    assert swift('GET', '/j?format=json&prefix=nothing').json == []


def test_json_listing_entries_kept_with_the_rows(swift):
    """Each row keeps its listing entry (json.dumps of what the rows render);
    a POST's content type reaches it, and rows without one (written before
    0010) are listed the same."""
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    from cloudstack.object_store import manager, models
    from cloudstack.object_store.api import util
    swift('PUT', '/e')
    for name in ('a', 'caf\u00e9', 'q"uote\\', 'z\u2603'):
        assert swift('PUT', '/e/' + urllib.parse.quote(name), b'x' * len(name),
                     headers={'Content-Type': 'text/x-%d' % len(name)}).status_int == 201
    assert swift('POST', '/e/a', headers={'Content-Type': 'text/posted'}).status_int == 202
    mgr = manager.get()
    listing = manager.Listing()
    _, rows = mgr.list_objects(None, swift.account, 'e', listing)
    table = models.Object.__table__
    with db_api.reader() as session:
        kept = session.execute(sa.select(table.c.listing).order_by(table.c.name)).scalars()
        assert '[%s]' % ', '.join(kept) == util._json_objects(rows)
    _, body = mgr.list_objects_json(None, swift.account, 'e', listing)
    assert body == util._json_objects(rows)
    assert json.loads(body)[0]['content_type'] == 'text/posted'
    with db_api.writer() as session:
        session.execute(sa.update(table).values(listing=None))
    _, without = mgr.list_objects_json(None, swift.account, 'e', listing)
    assert json.loads(without) == json.loads(body)
