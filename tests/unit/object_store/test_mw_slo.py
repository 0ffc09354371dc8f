"""Static large objects through the whole object_store pipeline."""
import hashlib
import json

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _md5(data):
    return hashlib.md5(data).hexdigest()


PARTS = (b'aaaa', b'bbbbbb', b'cc')


def _segments(swift, parts=PARTS, container='segs'):
    swift('PUT', '/c')
    swift('PUT', '/' + container)
    out = []
    for i, part in enumerate(parts):
        assert swift('PUT', '/%s/s%d' % (container, i), body=part).status_int == 201
        out.append({'path': '/%s/s%d' % (container, i), 'etag': _md5(part),
                    'size_bytes': len(part)})
    return out


def _put(swift, manifest, name='/c/big', headers=None):
    return swift('PUT', name + '?multipart-manifest=put',
                 body=json.dumps(manifest).encode(), headers=headers)


def _slo_etag(parts=PARTS):
    return _md5(''.join(_md5(p) for p in parts).encode())


def test_put_get_head(swift):
    r = _put(swift, _segments(swift), headers={'X-Object-Meta-Kind': 'big',
                                                'Content-Type': 'text/x-big'})
    assert r.status_int == 201, r.text
    assert r.headers['ETag'] == '"%s"' % _slo_etag()
    data = b''.join(PARTS)
    r = swift('GET', '/c/big')
    assert r.status_int == 200
    assert r.body == data
    assert r.headers['X-Static-Large-Object'] == 'True'
    assert r.headers['ETag'] == '"%s"' % _slo_etag()
    assert r.headers['Content-Length'] == str(len(data))
    assert r.headers['Content-Type'] == 'text/x-big'
    assert r.headers['X-Object-Meta-Kind'] == 'big'
    assert not any('sysmeta' in k.lower() for k in r.headers)
    r = swift('HEAD', '/c/big')
    assert r.status_int == 200 and r.body == b''
    assert r.headers['Content-Length'] == str(len(data))
    assert r.headers['ETag'] == '"%s"' % _slo_etag()
    assert r.headers['X-Static-Large-Object'] == 'True'


def test_ranges_and_conditions(swift):
    _put(swift, _segments(swift))
    data = b''.join(PARTS)
    r = swift('GET', '/c/big', headers={'Range': 'bytes=3-8'})
    assert r.status_int == 206 and r.body == data[3:9]
    r = swift('GET', '/c/big', headers={'Range': 'bytes=-5'})
    assert r.body == data[-5:]
    assert swift('GET', '/c/big', headers={'Range': 'bytes=50-'}).status_int == 416
    etag = '"%s"' % _slo_etag()
    assert swift('GET', '/c/big', headers={'If-None-Match': etag}).status_int == 304
    assert swift('GET', '/c/big', headers={'If-Match': 'nope'}).status_int == 412
    assert swift('GET', '/c/big', headers={'If-Match': etag}).body == data


def test_manifest_get_and_raw(swift):
    segs = _segments(swift)
    _put(swift, segs)
    r = swift('GET', '/c/big?multipart-manifest=get')
    assert r.status_int == 200
    stored = r.json
    assert [e['name'] for e in stored] == [s['path'] for s in segs]
    assert [e['hash'] for e in stored] == [s['etag'] for s in segs]
    assert [e['bytes'] for e in stored] == [s['size_bytes'] for s in segs]
    assert r.headers['Content-Type'].startswith('application/json')
    r = swift('GET', '/c/big?multipart-manifest=get&format=raw')
    assert r.json == segs


def test_segment_ranges_and_nested(swift):
    segs = _segments(swift)
    segs[1]['range'] = '1-3'
    assert _put(swift, segs, name='/c/inner').status_int == 201
    inner = b'aaaa' + b'bbb' + b'cc'
    assert swift('GET', '/c/inner').body == inner
    outer = [{'path': '/c/inner', 'etag': None, 'size_bytes': None},
             {'path': '/segs/s2', 'etag': None, 'size_bytes': None, 'range': '-1'}]
    r = _put(swift, outer, name='/c/outer')
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/outer')
    assert r.body == inner + b'c'
    assert r.headers['Content-Length'] == str(len(inner) + 1)
    r = swift('GET', '/c/outer', headers={'Range': 'bytes=2-8'})
    assert r.body == (inner + b'c')[2:9]
    stored = swift('GET', '/c/outer?multipart-manifest=get').json
    assert stored[0]['sub_slo'] is True


def test_validation_errors(swift):
    segs = _segments(swift)
    r = swift('PUT', '/c/m?multipart-manifest=put', body=b'not json')
    assert r.status_int == 400 and b'valid JSON' in r.body
    r = _put(swift, [{'path': '/segs/s0', 'etag': None, 'size_bytes': None,
                      'foo': 1}], name='/c/m')
    assert r.status_int == 400 and b'extraneous' in r.body
    r = _put(swift, [{'path': 'nocontainer'}], name='/c/m')
    assert r.status_int == 400
    bad = [dict(segs[0], etag='0' * 32), dict(segs[1], size_bytes=1),
           {'path': '/segs/missing'}]
    r = _put(swift, bad, name='/c/m')
    assert r.status_int == 400
    assert b'Errors:' in r.body
    assert b'/segs/s0, Etag Mismatch' in r.body
    assert b'/segs/s1, Size Mismatch' in r.body
    assert b'/segs/missing, 404 Not Found' in r.body
    r = _put(swift, bad, name='/c/m', headers={'Accept': 'application/json'})
    assert len(r.json['Errors']) == 3
    assert swift('GET', '/c/m').status_int == 404
    r = _put(swift, segs, name='/c/m', headers={'ETag': '0' * 32})
    assert r.status_int == 422
    r = swift('PUT', '/c/x', body=b'[]', headers={'X-Static-Large-Object': 'True'})
    assert r.status_int == 400


def test_limits(swift, monkeypatch):
    segs = _segments(swift)
    r = _put(swift, segs * 400, name='/c/m')
    assert r.status_int == 400 and b'segments' in r.body


def test_delete_with_segments(swift):
    _put(swift, _segments(swift))
    r = swift('DELETE', '/c/big?multipart-manifest=delete')
    assert r.status_int == 200
    assert b'Number Deleted: 4' in r.body
    assert swift('GET', '/c/big').status_int == 404
    assert swift('HEAD', '/segs').headers['X-Container-Object-Count'] == '0'


def test_plain_delete_keeps_segments(swift):
    _put(swift, _segments(swift))
    assert swift('DELETE', '/c/big').status_int == 204
    assert swift('HEAD', '/segs').headers['X-Container-Object-Count'] == '3'


def test_changed_segment_is_an_error(swift):
    _put(swift, _segments(swift))
    swift('PUT', '/segs/s0', body=b'zzzz')
    assert swift('GET', '/c/big').status_int == 409


def test_post_keeps_manifest(swift):
    _put(swift, _segments(swift))
    assert swift('POST', '/c/big', headers={'X-Object-Meta-A': 'b'}).status_int == 202
    r = swift('GET', '/c/big')
    assert r.body == b''.join(PARTS)
    assert r.headers['X-Object-Meta-A'] == 'b'


def test_info(swift, app):
    info = raw(app, 'GET', '/info').json['slo']
    assert info['max_manifest_segments'] == 1000
    assert info['max_manifest_size'] == 8 * 1024 * 1024


def test_copy_makes_plain_object_or_manifest_copy(swift):
    _put(swift, _segments(swift), headers={'X-Object-Meta-A': '1'})
    data = b''.join(PARTS)
    r = swift('COPY', '/c/big', headers={'Destination': 'c/plain',
                                         'X-Object-Meta-B': '2'})
    assert r.status_int == 201, r.text
    assert r.headers['X-Copied-From'] == 'c/big'
    r = swift('GET', '/c/plain')
    assert r.body == data and 'X-Static-Large-Object' not in r.headers
    assert r.headers['ETag'] == _md5(data)
    assert r.headers['X-Object-Meta-A'] == '1' and r.headers['X-Object-Meta-B'] == '2'
    r = swift('PUT', '/c/plain2', body=b'', headers={'X-Copy-From': 'c/big'})
    assert r.status_int == 201
    assert swift('GET', '/c/plain2').body == data
    r = swift('COPY', '/c/big?multipart-manifest=get',
              headers={'Destination': 'c/man'})
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/man')
    assert r.body == data and r.headers['X-Static-Large-Object'] == 'True'
    assert r.headers['ETag'] == '"%s"' % _slo_etag()


def test_inline_data_segments(swift):
    import base64
    segs = _segments(swift)
    manifest = [{'data': base64.b64encode(b'<<').decode()}, segs[0],
                {'data': base64.b64encode(b'--').decode()}, segs[1]]
    r = _put(swift, manifest)
    assert r.status_int == 201, r.text
    etag = _md5(''.join(_md5(p) for p in (b'<<', b'aaaa', b'--', b'bbbbbb')).encode())
    assert r.headers['ETag'] == '"%s"' % etag
    r = swift('GET', '/c/big')
    assert r.body == b'<<aaaa--bbbbbb' and r.headers['ETag'] == '"%s"' % etag
    assert swift('GET', '/c/big', headers={'Range': 'bytes=1-6'}).body == b'<aaaa-'
    assert swift('HEAD', '/c/big').headers['Content-Length'] == '14'
    raw = swift('GET', '/c/big?multipart-manifest=get&format=raw').json
    assert raw[0] == {'data': base64.b64encode(b'<<').decode()}
    r = swift('DELETE', '/c/big?multipart-manifest=delete',
              headers={'Accept': 'application/json'})
    assert r.json['Number Deleted'] == 3, r.json
    # bad inline segments
    for bad in ([{'data': 'not base64!'}, segs[2]], [{'data': ''}, segs[2]],
                [{'data': 'eHg=', 'etag': 'x'}, segs[2]], [{'data': 'eHg='}]):
        r = _put(swift, bad)
        assert r.status_int == 400, (bad, r.text)


def test_a_deeply_nested_manifest_is_a_400(swift):
    r = swift('PUT', '/c/m?multipart-manifest=put', body=b'[' * 100000)
    assert r.status_int == 400 and b'valid JSON' in r.body
def test_copy_with_range_copies_the_range(swift):
    _put(swift, _segments(swift))
    r = swift('COPY', '/c/big', headers={'Destination': 'c/part', 'Range': 'bytes=2-6'})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/part').body == b''.join(PARTS)[2:7]
    r = swift('PUT', '/c/part2', headers={'X-Copy-From': 'c/big', 'Range': 'bytes=-3'})
    assert r.status_int == 201
    assert swift('GET', '/c/part2').body == b''.join(PARTS)[-3:]


def test_listing_shows_the_large_objects_size_and_etag(swift):
    _put(swift, _segments(swift))
    manifest_etag = swift('HEAD', '/c/big?multipart-manifest=get').headers['ETag'].strip('"')
    entry = [e for e in swift('GET', '/c?format=json').json if e['name'] == 'big'][0]
    assert entry['bytes'] == sum(len(p) for p in PARTS)
    assert entry['slo_etag'] == '"%s"' % _slo_etag()
    assert entry['hash'] == manifest_etag
    assert entry['content_type'] == 'application/octet-stream'
    xml = swift('GET', '/c?format=xml').body.decode()
    assert '<bytes>%d</bytes>' % sum(len(p) for p in PARTS) in xml
    assert 'swift_bytes' not in xml
    # a POST with a new type keeps them; the object never shows them
    assert swift('POST', '/c/big', headers={'Content-Type': 'text/x-new'}).status_int == 202
    entry = [e for e in swift('GET', '/c?format=json').json if e['name'] == 'big'][0]
    assert entry['bytes'] == sum(len(p) for p in PARTS)
    assert entry['content_type'] == 'text/x-new'
    for query in ('', '?multipart-manifest=get&format=raw'):
        assert swift('HEAD', '/c/big' + query).headers['Content-Type'] == 'text/x-new'


def test_part_number(swift):
    _put(swift, _segments(swift))
    total = sum(len(p) for p in PARTS)
    r = swift('GET', '/c/big?part-number=2')
    assert r.status_int == 206
    assert r.body == PARTS[1]
    assert r.headers['Content-Range'] == 'bytes 4-9/%d' % total
    assert r.headers['X-Parts-Count'] == '3'
    assert r.headers['ETag'] == '"%s"' % _slo_etag()
    assert r.headers['X-Manifest-Etag']
    r = swift('HEAD', '/c/big?part-number=3')
    assert r.status_int == 206 and r.headers['Content-Length'] == '2'
    r = swift('GET', '/c/big?part-number=4')
    assert r.status_int == 416
    assert r.body == b'The requested part number is not satisfiable'
    assert r.headers['Content-Range'] == 'bytes */%d' % total
    r = swift('GET', '/c/big?part-number=0')
    assert r.status_int == 400
    assert r.body == b'Part number must be an integer greater than 0'
    # a copy of one part
    r = swift('COPY', '/c/big?part-number=1', headers={'Destination': 'c/first'})
    assert r.status_int == 201
    assert swift('GET', '/c/first').body == PARTS[0]


def test_heartbeating_put(swift):
    segs = _segments(swift)
    r = swift('PUT', '/c/big?multipart-manifest=put&heartbeat=on',
              body=json.dumps(segs).encode())
    assert r.status_int == 202
    head, sep, result = r.body.partition(b'\r\n\r\n')
    assert sep and not head.strip()
    assert 'Response Status: 201 Created' in result.decode().split('\n')
    assert swift('GET', '/c/big').body == b''.join(PARTS)
    r = swift('PUT', '/c/bad?multipart-manifest=put&heartbeat=on',
              body=json.dumps(segs + [{'path': 'nowhere/seg'}]).encode(),
              headers={'Accept': 'application/json'})
    assert r.status_int == 202
    out = json.loads(r.body.partition(b'\r\n\r\n')[2])
    assert out['Response Status'] == '400 Bad Request'
    assert out['Errors'] == [['nowhere/seg', '404 Not Found']]
    assert 'Etag' not in out
    assert swift('HEAD', '/c/bad').status_int == 404
