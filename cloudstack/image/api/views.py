"""The JSON shapes of images and members."""

CORE_FIELDS = ('id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
               'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
               'virtual_size', 'min_ram', 'min_disk', 'disk_format',
               'container_format', 'created_at', 'updated_at', 'tags')


def isotime(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ') if dt is not None else None


def image(rec):
    out = {}
    for key in CORE_FIELDS:
        value = rec[key]
        if key in ('created_at', 'updated_at'):
            value = isotime(value)
        out[key] = value
    for key, value in rec['properties'].items():
        out.setdefault(key, value)
    if rec.get('location'):
        out['stores'] = rec['store']
    out['self'] = '/v2/images/%s' % rec['id']
    out['file'] = '/v2/images/%s/file' % rec['id']
    out['schema'] = '/v2/schemas/image'
    return out


def member(rec):
    return {'image_id': rec['image_id'], 'member_id': rec['member_id'],
            'status': rec['status'], 'created_at': isotime(rec['created_at']),
            'updated_at': isotime(rec['updated_at']),
            'schema': '/v2/schemas/member'}
