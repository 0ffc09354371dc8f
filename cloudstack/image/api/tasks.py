"""/v2/tasks, /v2/images/{id}/tasks and the task schemas."""
import copy
import urllib.parse

from cloudstack import exception
from cloudstack.api import common, wsgi
from cloudstack.conf import CONF
from cloudstack.image import manager
from cloudstack.image.manager import base
from cloudstack.image.api import authz, images, views

NOT_FILTERS = ('limit', 'marker', 'sort_key', 'sort_dir')


def task_schema():
    return {
        'name': 'task',
        'properties': {
            'id': {'type': 'string', 'description': 'The task ID (a UUID).',
                   'pattern': '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F])'
                              '{4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'},
            'type': {'type': 'string', 'enum': list(base.TASK_TYPES) + [
                'api_image_import'], 'description': 'What the task does.'},
            'status': {'type': 'string', 'enum': list(base.TASK_STATUSES),
                       'description': 'Where the task is in its life cycle.'},
            'input': {'type': ['null', 'object'],
                      'description': 'What the task was asked to do.'},
            'result': {'type': ['null', 'object'],
                       'description': 'What the task produced.'},
            'owner': {'type': ['null', 'string'], 'maxLength': 255,
                      'description': 'Project that created the task.'},
            'message': {'type': 'string',
                        'description': 'Why the task failed, if it did.'},
            'image_id': {'type': 'string', 'description': 'Image it worked on.'},
            'request_id': {'type': 'string',
                           'description': 'Request that created it.'},
            'user_id': {'type': 'string', 'description': 'User that created it.'},
            'expires_at': {'type': ['null', 'string'],
                           'description': 'When a finished task is forgotten.'},
            'created_at': {'type': 'string', 'description': 'When it was created.'},
            'updated_at': {'type': 'string', 'description': 'When it last changed.'},
            'self': {'type': 'string', 'readOnly': True},
            'schema': {'type': 'string', 'readOnly': True},
        },
        'required': ['type', 'input'],
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def tasks_schema():
    item = task_schema()
    for key in ('input', 'result'):
        del item['properties'][key]
    item.pop('required')
    return {
        'name': 'tasks',
        'properties': {
            'tasks': {'type': 'array', 'items': item},
            'schema': {'type': 'string'},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


class Tasks:
    def __init__(self):
        self.manager = manager.get()

    @wsgi.response(201)
    def create(self, req):
        body = images.json_body(req)
        authz.authorize(req, 'tasks_api_access')
        authz.authorize(req, 'add_task')
        rec = self.manager.create_task(req.context, body)
        resp = wsgi.json_response(views.task(rec), 201)
        resp.headers['Location'] = req.application_url + '/v2/tasks/%s' % rec['id']
        return resp

    def index(self, req):
        authz.authorize(req, 'tasks_api_access')
        authz.authorize(req, 'get_tasks')
        limit, marker = common.limit_marker(
            req, max_limit=CONF.image.api_limit_max,
            default=CONF.image.limit_param_default)
        key = req.GET.get('sort_key', 'created_at')
        direction = req.GET.get('sort_dir', 'desc')
        if direction not in ('asc', 'desc'):
            raise exception.BadRequest('Invalid sort direction %s' % direction)
        filters = {k: v for k, v in req.GET.items() if k not in NOT_FILTERS}
        rows = self.manager.list_tasks(req.context, filters, limit, marker,
                                       [(key, direction)])
        items = [views.task(r, detail=False) for r in rows]
        out = {'tasks': items, 'first': '/v2/tasks', 'schema': '/v2/schemas/tasks'}
        if limit and len(items) >= limit:
            params = [(k, v) for k, v in req.GET.items() if k != 'marker']
            params.append(('marker', items[-1]['id']))
            out['next'] = '/v2/tasks?%s' % urllib.parse.urlencode(params)
        return out

    def show(self, req, task_id):
        authz.authorize(req, 'tasks_api_access')
        authz.authorize(req, 'get_task')
        return views.task(self.manager.get_task(req.context, task_id))

    def image_tasks(self, req, image_id):
        authz.image(req, 'get_image', image_id)
        rows = self.manager.image_tasks(req.context, image_id)
        return {'tasks': [views.image_task(r) for r in rows]}

    def task(self, req):
        return copy.deepcopy(task_schema())

    def tasks(self, req):
        return tasks_schema()
