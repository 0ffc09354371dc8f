"""/v2/images/{id}/members: sharing images between projects."""
from tests.unit.image.conftest import IMG


def members_url(image_id, member=None):
    url = IMG + '/%s/members' % image_id
    return url + '/' + member if member else url


def test_share_accept_and_listings(users):
    a, b, boss = users['alice'], users['bob'], users['boss']
    img = a.create_image(name='shared')
    iid = img['id']
    resp = a.post(members_url(iid), {'member': b.project_id})
    assert resp.status_int == 200, resp.text
    m = resp.json
    assert (m['image_id'], m['member_id'], m['status'], m['schema']) == (
        iid, b.project_id, 'pending', '/v2/schemas/member')
    assert a.post(members_url(iid), {'member': b.project_id}).status_int == 409

    def names(client, query=''):
        return [i['name'] for i in client.get(IMG + query).json['images']]

    # pending: reachable, not listed by default
    assert b.get(IMG + '/' + iid).status_int == 200
    assert names(b) == []
    assert names(b, '?member_status=pending') == ['shared']
    assert names(b, '?member_status=all') == ['shared']
    assert b.get(IMG + '?member_status=bogus').status_int == 400

    # the owner cannot answer for the member; the member can
    assert a.put(members_url(iid, b.project_id), {'status': 'accepted'}
                 ).status_int == 403
    assert b.put(members_url(iid, b.project_id), {'status': 'maybe'}).status_int == 400
    resp = b.put(members_url(iid, b.project_id), {'status': 'accepted'})
    assert resp.status_int == 200 and resp.json['status'] == 'accepted'
    assert names(b) == ['shared']
    assert names(b, '?visibility=shared') == ['shared']
    assert names(b, '?member_status=pending') == []

    b.put(members_url(iid, b.project_id), {'status': 'rejected'})
    assert names(b) == []
    assert names(b, '?member_status=rejected') == ['shared']

    # listing and showing members
    listed = a.get(members_url(iid)).json
    assert listed['schema'] == '/v2/schemas/members'
    assert [x['member_id'] for x in listed['members']] == [b.project_id]
    assert b.get(members_url(iid)).json['members'][0]['status'] == 'rejected'
    assert b.get(members_url(iid, b.project_id)).json['member_id'] == b.project_id
    assert boss.get(members_url(iid)).status_int == 200

    # the member cannot share further nor remove; the owner removes
    assert b.post(members_url(iid), {'member': boss.project_id}).status_int == 403
    assert b.delete(members_url(iid, b.project_id)).status_int == 403
    assert a.delete(members_url(iid, b.project_id)).status_int == 204
    assert a.delete(members_url(iid, b.project_id)).status_int == 404
    assert b.get(IMG + '/' + iid).status_int == 404


def test_members_only_for_shared_images(users):
    a, b = users['alice'], users['bob']
    private = a.create_image(visibility='private')
    assert a.post(members_url(private['id']), {'member': b.project_id}
                  ).status_int == 403
    assert a.get(members_url(private['id'])).status_int == 403
    shared = a.create_image()
    a.post(members_url(shared['id']), {'member': b.project_id})
    b.put(members_url(shared['id'], b.project_id), {'status': 'accepted'})
    # made private: the member loses sight of it
    a.patch_image(shared['id'], [{'op': 'replace', 'path': '/visibility',
                                  'value': 'private'}])
    assert b.get(IMG + '/' + shared['id']).status_int == 404
    assert [i['id'] for i in b.get(IMG).json['images']] == []


def test_member_errors(users):
    a, b, c = users['alice'], users['bob'], users['carol']
    img = a.create_image()
    assert a.post(members_url(img['id']), {}).status_int == 400
    assert a.post(members_url(img['id']), {'member': 5}).status_int == 400
    assert a.get(members_url(img['id'], 'nobody')).status_int == 404
    assert b.get(members_url(img['id'])).status_int == 404      # cannot see it
    assert c.post(members_url(img['id']), {'member': b.project_id}).status_int == 403
    assert a.put(members_url(img['id'], 'nobody'), {'status': 'accepted'}
                 ).status_int == 404


def test_member_downloads_shared_image(users):
    a, b = users['alice'], users['bob']
    img = a.create_image()
    a.upload(img['id'], b'payload')
    a.post(members_url(img['id']), {'member': b.project_id})
    assert b.get(IMG + '/%s/file' % img['id']).body == b'payload'
    # but cannot change or delete it
    assert b.patch_image(img['id'], [{'op': 'replace', 'path': '/name',
                                      'value': 'mine'}]).status_int == 403
    assert b.delete(IMG + '/' + img['id']).status_int == 403
