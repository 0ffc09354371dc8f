"""Personas of OpenStack's secure RBAC, each with its token, for the RBAC matrices.

Two domains: `d1` holds the domain personas' assignments and the project `p1`
of the project personas; `d2` is somebody else's. Roles as Keystone
bootstraps them: admin implies manager implies member implies reader;
`service` stands alone.
"""
import uuid

from tests.unit.identity.test_catalog import V3

PASSWORD = 'persona-secret'

SYSTEM = ('system_admin', 'system_member', 'system_reader')
DOMAIN = ('domain_admin', 'domain_manager', 'domain_member', 'domain_reader')
PROJECT = ('project_admin', 'project_member', 'project_reader')
PERSONAS = SYSTEM + DOMAIN + PROJECT + ('service',)


def ok(resp, *codes):
    assert resp.status_int in (codes or (200, 201, 204)), resp.text
    return resp


class World:
    def __init__(self, admin, client):
        self.admin, self.client = admin, client
        self.roles = {}
        for name in ('admin', 'manager', 'member', 'reader', 'service'):
            self.roles[name] = admin.get(V3 + '/roles?name=' + name).json['roles'][0]['id']
        self.d1 = self.new('domain', None)
        self.d2 = self.new('domain', None)
        self.p1 = self.new('project', self.d1)
        self.p2 = self.new('project', self.d2)
        self.u1 = self.new('user', self.d1)       # someone in d1, and in d2
        self.u2 = self.new('user', self.d2)
        self.g1 = self.new('group', self.d1)
        self.g2 = self.new('group', self.d2)
        self.users, self.tokens = {}, {}
        for persona in PERSONAS:
            scope, _, role = persona.partition('_')
            if scope == 'service':
                scope, role = 'project', 'service'
            user_id = self.new('user', self.d1, password=PASSWORD)
            self.users[persona] = user_id
            where = {'system': 'system', 'domain': 'domains/' + self.d1,
                     'project': 'projects/' + self.p1}[scope]
            ok(admin.put('%s/%s/users/%s/roles/%s' % (V3, where, user_id, self.roles[role])))
            self.tokens[persona] = self.token(user_id, scope)

    def new(self, kind, domain_id, **extra):
        body = {'name': kind + '-' + uuid.uuid4().hex[:8], **extra}
        if domain_id:
            body['domain_id'] = domain_id
        return ok(self.admin.post('%s/%ss' % (V3, kind), {kind: body})).json[kind]['id']

    def token(self, user_id, scope):
        auth = {'identity': {'methods': ['password'], 'password': {'user': {
            'id': user_id, 'password': PASSWORD}}}}
        auth['scope'] = {'system': {'system': {'all': True}},
                         'domain': {'domain': {'id': self.d1}},
                         'project': {'project': {'id': self.p1}}}[scope]
        resp = ok(self.client.post(V3 + '/auth/tokens', {'auth': auth}), 201)
        return resp.headers['X-Subject-Token']

    def grant(self, where, user_id, role):
        ok(self.admin.put('%s/%s/users/%s/roles/%s' % (V3, where, user_id, self.roles[role])))

    def call(self, persona, method, path, body=None, headers=None, base=V3):
        return self.client.request(method, base + path, body, headers=headers,
                                   token=self.tokens[persona])


def check_matrix(world, operation, allowed, loose=False, hidden=(), unseen=(), base=V3):
    """Run `operation(world, persona)` -> (method, path, body[, headers]) as
    every persona; those in `allowed` must pass the policy check (a success,
    or with `loose` any answer but 403), those `hidden` from get 404, those
    `unseen` 403 or 404, the others 403."""
    wrong = []
    for persona in PERSONAS:
        request = operation(world, persona)
        resp = world.call(persona, *request, base=base)
        assert resp.status_int < 500, (persona, request, resp.text)
        if persona in allowed:
            passed = resp.status_int != 403 if loose else resp.status_int < 400
        elif persona in hidden:
            passed = resp.status_int == 404
        elif persona in unseen:
            passed = resp.status_int in (403, 404)
        else:
            passed = resp.status_int == 403
        if not passed:
            wrong.append('%s %s %s -> %s' % (persona, request[0], request[1], resp.status))
    assert not wrong, '\n'.join(wrong)
