"""/v2/schemas/*: JSON schemas clients validate images and members with."""
import copy

from cloudstack.image.manager import base

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')


def _nullable(kind, **extra):
    return dict({'type': [kind, 'null']}, **extra)


def _read_only(schema, description):
    return dict(schema, readOnly=True, description=description)


def image_schema():
    props = {
        'id': {'type': 'string', 'pattern': UUID_PATTERN,
               'description': 'The image ID (a UUID).'},
        'name': _nullable('string', maxLength=255,
                          description='Name shown to people.'),
        'status': _read_only({'type': 'string', 'enum': list(base.STATUSES)},
                             'Where the image is in its life cycle.'),
        'visibility': {'type': 'string', 'enum': list(base.VISIBILITIES),
                       'description': 'Who can see and use the image.'},
        'protected': {'type': 'boolean',
                      'description': 'A protected image cannot be deleted.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'Hidden images stay out of default lists.'},
        'checksum': _read_only(_nullable('string', maxLength=32),
                               'MD5 of the image data.'),
        'os_hash_algo': _read_only(_nullable('string', maxLength=64),
                                   'Algorithm of os_hash_value.'),
        'os_hash_value': _read_only(_nullable('string', maxLength=128),
                                    'Secure hash of the image data.'),
        'owner': _nullable('string', maxLength=255,
                           description='Project that owns the image.'),
        'size': _read_only(_nullable('integer'), 'Bytes of image data.'),
        'virtual_size': _read_only(_nullable('integer'),
                                   'Size of the disk the data describes.'),
        'min_ram': {'type': 'integer', 'minimum': 0,
                    'description': 'MiB of RAM a server needs to boot it.'},
        'min_disk': {'type': 'integer', 'minimum': 0,
                     'description': 'GiB of disk a server needs to boot it.'},
        'disk_format': _nullable('string', enum=list(base.DISK_FORMATS) + [None],
                                 description='Format of the disk data.'),
        'container_format': _nullable(
            'string', enum=list(base.CONTAINER_FORMATS) + [None],
            description='Format of the container around the data.'),
        'created_at': _read_only({'type': 'string'}, 'When it was created.'),
        'updated_at': _read_only({'type': 'string'}, 'When it last changed.'),
        'tags': {'type': 'array', 'items': {'type': 'string', 'maxLength': 255},
                 'description': 'Strings attached to the image.'},
        'direct_url': _read_only({'type': 'string'}, 'URL of the data in its store.'),
        'locations': {'type': 'array', 'items': {'type': 'object'},
                      'description': 'Locations of the data (not exposed).'},
        'stores': _read_only({'type': 'string'}, 'Stores holding the data.'),
        'self': _read_only({'type': 'string'}, 'URL of this image.'),
        'file': _read_only({'type': 'string'}, 'URL of the image data.'),
        'schema': _read_only({'type': 'string'}, 'URL of this schema.'),
        'kernel_id': _nullable('string', pattern=UUID_PATTERN,
                               description='Image to use as kernel (AMI).'),
        'ramdisk_id': _nullable('string', pattern=UUID_PATTERN,
                                description='Image to use as ramdisk (AMI).'),
        'instance_uuid': {'type': 'string',
                          'description': 'Server this image is a snapshot of.'},
        'architecture': {'type': 'string', 'description': 'CPU architecture.'},
        'os_distro': {'type': 'string', 'description': 'Operating system.'},
        'os_version': {'type': 'string', 'description': 'Operating system version.'},
    }
    return {
        'name': 'image',
        'properties': props,
        'additionalProperties': {'type': 'string'},
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'enclosure', 'href': '{file}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def images_schema():
    item = image_schema()
    return {
        'name': 'images',
        'properties': {
            'images': {'type': 'array', 'items': item},
            'schema': {'type': 'string'},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def member_schema():
    return {
        'name': 'member',
        'properties': {
            'image_id': {'type': 'string', 'pattern': UUID_PATTERN,
                         'description': 'The shared image.'},
            'member_id': {'type': 'string',
                          'description': 'The project it is shared with.'},
            'status': {'type': 'string', 'enum': list(base.MEMBER_STATUSES),
                       'description': "The member's answer to the share."},
            'created_at': {'type': 'string', 'description': 'When it was shared.'},
            'updated_at': {'type': 'string', 'description': 'When it last changed.'},
            'schema': {'type': 'string', 'readOnly': True},
        },
    }


def members_schema():
    return {
        'name': 'members',
        'properties': {
            'members': {'type': 'array', 'items': member_schema()},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'describedby', 'href': '{schema}'}],
    }


class Schemas:
    def image(self, req):
        return copy.deepcopy(image_schema())

    def images(self, req):
        return images_schema()

    def member(self, req):
        return member_schema()

    def members(self, req):
        return members_schema()
