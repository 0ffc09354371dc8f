"""The JSON shapes of images and members."""

CORE_FIELDS = ('id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
               'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
               'virtual_size', 'min_ram', 'min_disk', 'disk_format',
               'container_format', 'created_at', 'updated_at', 'tags')


def isotime(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ') if dt is not None else None


def image(rec, show_locations=False, show_direct_url=False):
    """An image as the API shows it; its `locations` and the `direct_url` (the
    one read first) only when asked (operator options and policy)."""
    out = {}
    for key in CORE_FIELDS:
        value = rec[key]
        if key in ('created_at', 'updated_at'):
            value = isotime(value)
        out[key] = value
    for key, value in rec['properties'].items():
        out.setdefault(key, value)
    if rec.get('stores'):
        out['stores'] = ','.join(rec['stores'])
    locations = rec.get('locations') or []
    if show_locations:
        out['locations'] = [{'url': loc['url'], 'metadata': loc['metadata']}
                            for loc in locations]
    if (show_locations or show_direct_url) and locations:
        out['direct_url'] = rec['direct_url']
    out['self'] = '/v2/images/%s' % rec['id']
    out['file'] = '/v2/images/%s/file' % rec['id']
    out['schema'] = '/v2/schemas/image'
    return out


def member(rec):
    return {'image_id': rec['image_id'], 'member_id': rec['member_id'],
            'status': rec['status'], 'created_at': isotime(rec['created_at']),
            'updated_at': isotime(rec['updated_at']),
            'schema': '/v2/schemas/member'}


TASK_FIELDS = ('id', 'type', 'status', 'owner', 'message')


def task(rec, detail=True):
    """A task as /v2/tasks shows it; lists leave out input and result."""
    out = {key: rec[key] for key in TASK_FIELDS}
    for key in ('expires_at', 'created_at', 'updated_at'):
        if key != 'expires_at' or rec[key] is not None:
            out[key] = isotime(rec[key])
    if detail:
        out['input'] = rec['input']
        out['result'] = rec['result']
    out['self'] = '/v2/tasks/%s' % rec['id']
    out['schema'] = '/v2/schemas/task'
    return out


def image_task(rec):
    """A task as /v2/images/{id}/tasks shows it."""
    out = task(rec)
    del out['self'], out['schema']
    out.update(image_id=rec['image_id'], request_id=rec['request_id'],
               user_id=rec['user_id'])
    return out
