"""The tasks API: legacy 'import' tasks run by the durable queue, listing,
schemas, expiry, and /v2/images/{id}/tasks."""
import datetime
import io

import pytest
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import manager, models
from cloudstack.image.manager import imports
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks

TASKS = '/image/v2/tasks'
URL = 'http://images.example.com/cirros.raw'


@pytest.fixture
def allowed(conf):
    CONF.set_override('web_download_allowed_hosts', ['images.example.com',
                                                     '.mirror.test'], group='image')
    yield
    CONF.clear_override('web_download_allowed_hosts', group='image')


class FakeResponse(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {'Content-Length': str(len(data))}


@pytest.fixture
def web(monkeypatch, allowed):
    """URL -> bytes the fake web serves; anything else fails to download."""
    pages = {}

    def fake_open(url):
        imports.check_url(url)
        if url not in pages:
            raise exception.BadRequest('Could not download %s: 404' % url)
        return FakeResponse(pages[url]), len(pages[url])
    monkeypatch.setattr(imports, 'open_url', fake_open)
    return pages


def _task(url=URL, fmt='raw', **props):
    props.setdefault('container_format', 'bare')
    props.setdefault('disk_format', fmt)
    props.setdefault('name', 'from-task')
    return {'type': 'import', 'input': {'import_from': url,
                                        'import_from_format': fmt,
                                        'image_properties': props}}


def test_import_task_makes_an_active_image(users, web):
    boss = users['boss']
    web[URL] = b'\x01' * 4096
    resp = boss.post(TASKS, _task())
    assert resp.status_int == 201, resp.text
    task = resp.json
    assert task['status'] == 'pending' and task['type'] == 'import'
    assert task['input']['import_from'] == URL and task['result'] is None
    assert task['self'] == '/v2/tasks/%s' % task['id']
    assert resp.headers['Location'].endswith('/v2/tasks/%s' % task['id'])
    assert run_tasks() == 1
    done = boss.get(TASKS + '/' + task['id']).json
    assert done['status'] == 'success' and done['message'] == ''
    assert done['expires_at'] > done['created_at']
    image_id = done['result']['image_id']
    img = boss.get(IMG + '/' + image_id).json
    assert img['status'] == 'active' and img['size'] == 4096
    assert img['name'] == 'from-task' and img['disk_format'] == 'raw'
    assert boss.get(IMG + '/%s/file' % image_id).body == web[URL]
    [shown] = boss.get(IMG + '/%s/tasks' % image_id).json['tasks']
    assert shown['id'] == task['id'] and shown['image_id'] == image_id
    assert shown['request_id'] and shown['user_id']


def test_a_failed_download_fails_the_task_and_drops_the_image(users, web):
    boss = users['boss']
    task = boss.post(TASKS, _task(url='http://images.example.com/missing')).json
    run_tasks()
    done = boss.get(TASKS + '/' + task['id']).json
    assert done['status'] == 'failure' and '404' in done['message']
    assert done['result'] is None
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Image)) == 0


def test_format_mismatch_fails_the_task(users, web):
    from tests.unit.image.test_inspection import qcow2
    boss = users['boss']
    web[URL] = qcow2()
    task = boss.post(TASKS, _task()).json
    run_tasks()
    done = boss.get(TASKS + '/' + task['id']).json
    assert done['status'] == 'failure' and 'qcow2' in done['message']


@pytest.mark.parametrize('body', [
    None, [], {'type': 'import'}, {'type': 'convert', 'input': {}},
    {'type': 'import', 'input': {'import_from': URL}},
    _task(url='ftp://images.example.com/x'),
    _task(url='http://elsewhere.example.org/x.qcow2'),
    _task(url='http://images.example.com:8080/x'),
    _task(fmt='exe'),
    dict(_task(), extra=1),
])
def test_bad_tasks_are_refused(users, allowed, body):
    resp = users['boss'].post(TASKS, body)
    assert resp.status_int == 400, resp.text
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Image)) == 0


def test_hosts_are_refused_when_none_are_allowed(users):
    resp = users['boss'].post(TASKS, _task())
    assert resp.status_int == 400 and 'not allowed' in resp.text


def test_domain_entries_allow_subdomains(users, web):
    assert users['boss'].post(TASKS, _task(url='http://a.mirror.test/x')
                              ).status_int == 201
    assert users['boss'].post(TASKS, _task(url='http://evilmirror.test/x')
                              ).status_int == 400


def test_tasks_are_for_admins(users, web):
    assert users['alice'].post(TASKS, _task()).status_int == 403
    assert users['alice'].get(TASKS).status_int == 403


def test_list_filter_sort_and_page(users, web):
    boss = users['boss']
    web[URL] = b'x' * 512
    ids = [boss.post(TASKS, _task(name='t%d' % i)).json['id'] for i in range(3)]
    bad = boss.post(TASKS, _task(url='http://images.example.com/nope')).json['id']
    run_tasks()
    listed = boss.get(TASKS).json
    assert listed['schema'] == '/v2/schemas/tasks' and listed['first'] == '/v2/tasks'
    assert {t['id'] for t in listed['tasks']} == set(ids + [bad])
    assert all('input' not in t and 'result' not in t for t in listed['tasks'])
    assert [t['id'] for t in boss.get(TASKS + '?status=failure').json['tasks']] == [bad]
    assert boss.get(TASKS + '?status=bogus').status_int == 400
    assert boss.get(TASKS + '?type=import').json['tasks']
    assert boss.get(TASKS + '?sort_key=name').status_int == 400
    by_id = [t['id'] for t in boss.get(TASKS + '?sort_key=id&sort_dir=asc').json['tasks']]
    assert by_id == sorted(ids + [bad])
    page = boss.get(TASKS + '?sort_key=id&sort_dir=asc&limit=2').json
    assert [t['id'] for t in page['tasks']] == by_id[:2] and 'next' in page
    rest = boss.get(TASKS + '?sort_key=id&sort_dir=asc&limit=2&marker=' + by_id[1]).json
    assert [t['id'] for t in rest['tasks']] == by_id[2:]


def test_expired_tasks_disappear(users, web):
    boss = users['boss']
    web[URL] = b'x'
    task = boss.post(TASKS, _task()).json
    run_tasks()
    with db_api.writer() as s:
        s.get(models.ImageTask, task['id']).expires_at = (
            models.utcnow() - datetime.timedelta(seconds=1))
    assert boss.get(TASKS + '/' + task['id']).status_int == 404
    assert boss.get(TASKS).json['tasks'] == []
    boss.post(TASKS, _task())       # a create sweeps the expired rows
    with db_api.reader() as s:
        assert s.get(models.ImageTask, task['id']) is None


def test_a_rerun_of_a_finished_task_changes_nothing(users, web):
    boss = users['boss']
    web[URL] = b'y' * 10
    task = boss.post(TASKS, _task()).json
    run_tasks()
    manager.run_task(task['id'])
    assert boss.get(TASKS + '/' + task['id']).json['status'] == 'success'


def test_schemas(users):
    boss = users['boss']
    task = boss.get('/image/v2/schemas/task').json
    assert task['name'] == 'task'
    assert set(task['properties']['status']['enum']) == {
        'pending', 'processing', 'success', 'failure'}
    tasks = boss.get('/image/v2/schemas/tasks').json
    assert tasks['name'] == 'tasks'
    assert 'input' not in tasks['properties']['tasks']['items']['properties']


def test_image_tasks_need_a_visible_image(users):
    a, b = users['alice'], users['bob']
    img = a.create_image()
    assert a.get(IMG + '/%s/tasks' % img['id']).json == {'tasks': []}
    assert b.get(IMG + '/%s/tasks' % img['id']).status_int == 404
