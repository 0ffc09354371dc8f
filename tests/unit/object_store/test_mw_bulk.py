"""Bulk delete and archive extraction (middleware/bulk.py) through the paste app."""
import io
import json
import tarfile

from tests.unit.object_store.test_api_fixtures import (  # noqa: F401
    backend, other, raw, swift)


def archive(files, mode='w'):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files:
            if data is None:
                info = tarfile.TarInfo(name)
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_info(app):
    info = raw(app, 'GET', '/info').json
    assert info['bulk_delete'] == {'max_deletes_per_request': 10000,
                                   'max_failed_deletes': 1000}
    assert info['bulk_upload'] == {'max_containers_per_extraction': 10000,
                                   'max_failed_extractions': 1000}


def test_extract_into_account(swift):
    body = archive([('c1', None), ('c1/a.txt', b'aaa'), ('c1/d/b.txt', b'bb'),
                    ('c2/x', b'x')])
    r = swift('PUT', '?extract-archive=tar', body)
    assert r.status_int == 200, r.text
    assert r.content_type == 'text/plain'
    assert 'Number Files Created: 3' in r.text
    assert 'Response Status: 201 Created' in r.text
    assert swift('GET', '/c1/d/b.txt').body == b'bb'
    assert swift('GET', '/c2/x').body == b'x'


def test_extract_gz_into_container_json(swift):
    swift('PUT', '/c')
    body = archive([('a.txt', b'1'), ('./b/c.txt', b'2')], mode='w:gz')
    r = swift('PUT', '/c/pre/?extract-archive=tar.gz', body,
              headers={'Accept': 'application/json'})
    assert r.status_int == 200
    out = r.json
    assert out['Number Files Created'] == 2 and out['Errors'] == []
    assert swift('GET', '/c/pre/b/c.txt').body == b'2'


def test_extract_bad_archive(swift):
    r = swift('PUT', '?extract-archive=tar', b'not a tar file at all' * 30,
              headers={'Accept': 'application/json'})
    assert r.status_int == 200
    assert r.json['Response Status'] == '400 Bad Request'
    assert r.json['Number Files Created'] == 0
    r = swift('PUT', '?extract-archive=zip', b'x')
    assert r.status_int == 400


def test_extract_needs_rights(swift, other):
    body = archive([('c1/a.txt', b'aaa')])
    r = raw(swift.app, 'PUT', swift.url('?extract-archive=tar'), token=other.token,
            body=body, headers={'Accept': 'application/json'})
    assert r.status_int == 200
    assert r.json['Number Files Created'] == 0
    assert r.json['Errors'] and r.json['Errors'][0][1].startswith('403')
    assert swift('GET', '/c1/a.txt').status_int == 404


def test_bulk_delete(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/a b', b'1')
    swift('PUT', '/c/o2', b'2')
    swift('PUT', '/full')
    swift('PUT', '/full/keep', b'k')
    body = b'c/a%20b\n/c/o2\nc/missing\nc\nfull\n'
    r = swift('DELETE', '?bulk-delete', body, headers={'Content-Type': 'text/plain'})
    assert r.status_int == 200, r.text
    text = r.text
    assert 'Number Deleted: 3' in text and 'Number Not Found: 1' in text
    assert 'full, 409 Conflict' in text
    assert 'Response Status: 400 Bad Request' in text
    assert swift('HEAD', '/c').status_int == 404
    assert swift('HEAD', '/full').status_int == 204


def test_bulk_delete_by_post_json_and_xml(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/o', b'1')
    r = swift('POST', '?bulk-delete', b'c/o\nc', headers={'Accept': 'application/json'})
    assert r.status_int == 200
    assert json.loads(r.body) == {'Number Deleted': 2, 'Number Not Found': 0,
                                  'Response Body': '', 'Response Status': '200 OK',
                                  'Errors': []}
    r = swift('POST', '?bulk-delete', b'gone', headers={'Accept': 'application/xml'})
    assert r.content_type == 'application/xml'
    assert b'<number_not_found>1</number_not_found>' in r.body


def test_bulk_delete_is_as_the_caller(swift, other):
    swift('PUT', '/c')
    swift('PUT', '/c/o', b'1')
    r = raw(swift.app, 'DELETE', swift.url('?bulk-delete'), token=other.token,
            body=b'c/o', headers={'Accept': 'application/json'})
    assert r.json['Number Deleted'] == 0 and r.json['Errors'][0][1].startswith('403')
    assert swift('GET', '/c/o').body == b'1'
