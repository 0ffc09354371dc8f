"""/v2/schemas/metadefs/*: the JSON schemas of metadata definitions.

The same schemas validate request bodies (read-only attributes removed first),
so what a client reads here is what the server enforces.
"""
import copy

from cloudstack import exception

PROPERTY_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string',
                  None]
NAME_MAX = 80


def _read_only(description, **extra):
    return dict({'type': 'string', 'readOnly': True,
                 'description': description}, **extra)


def _timestamps():
    return {
        'created_at': _read_only('When it was created.', format='date-time'),
        'updated_at': _read_only('When it last changed.', format='date-time'),
    }


def _definitions():
    non_negative = {'type': 'integer', 'minimum': 0}
    return {
        'positiveInteger': non_negative,
        'positiveIntegerDefault0': dict(non_negative, default=0),
        'stringArray': {'type': 'array', 'items': {'type': 'string'},
                        'uniqueItems': True},
        'property': {
            'type': 'object',
            'propertyNames': {'maxLength': NAME_MAX},
            'additionalProperties': {
                'type': 'object',
                'required': ['title', 'type'],
                'additionalProperties': False,
                'properties': {
                    'name': {'type': 'string', 'maxLength': NAME_MAX},
                    'title': {'type': 'string'},
                    'description': {'type': 'string'},
                    'operators': {'type': 'array', 'items': {'type': 'string'}},
                    'type': {'type': ['string', 'null'], 'enum': PROPERTY_TYPES},
                    'required': {'$ref': '#/definitions/stringArray'},
                    'minimum': {'type': 'number'},
                    'maximum': {'type': 'number'},
                    'maxLength': {'$ref': '#/definitions/positiveInteger'},
                    'minLength': {'$ref': '#/definitions/positiveIntegerDefault0'},
                    'pattern': {'type': 'string', 'format': 'regex'},
                    'enum': {'type': 'array'},
                    'readonly': {'type': 'boolean'},
                    'default': {},
                    'items': {
                        'type': 'object',
                        'properties': {
                            'type': {'type': 'string',
                                     'enum': [t for t in PROPERTY_TYPES if t]},
                            'enum': {'type': 'array'},
                        },
                    },
                    'maxItems': {'$ref': '#/definitions/positiveInteger'},
                    'minItems': {'$ref': '#/definitions/positiveIntegerDefault0'},
                    'uniqueItems': {'type': 'boolean', 'default': False},
                    'additionalItems': {'type': 'boolean'},
                },
            },
        },
    }


def property_definition():
    """The schema of one property's definition (title, type, ...)."""
    return _definitions()['property']['additionalProperties']


def _resource_type_association_properties():
    props = {
        'name': {'type': 'string', 'maxLength': NAME_MAX,
                 'description': 'Resource type names should be aligned with '
                                'Heat resource types, e.g. OS::Glance::Image.'},
        'prefix': {'type': 'string', 'maxLength': NAME_MAX,
                   'description': 'Prefix the properties of the namespace get '
                                  'when applied to this resource type '
                                  '(e.g. hw_).'},
        'properties_target': {'type': 'string', 'maxLength': NAME_MAX,
                              'description': 'Where on the resource the '
                                             'properties go (e.g. image, '
                                             'scheduler_hints).'},
    }
    props.update(_timestamps())
    return props


def _object_properties():
    props = {
        'name': {'type': 'string', 'maxLength': NAME_MAX},
        'description': {'type': 'string'},
        'required': {'$ref': '#/definitions/stringArray'},
        'properties': {'$ref': '#/definitions/property'},
        'schema': _read_only('URL of this schema.'),
        'self': _read_only('URL of this object.'),
    }
    props.update(_timestamps())
    return props


def namespace_schema():
    props = {
        'namespace': {'type': 'string', 'minLength': 1, 'maxLength': NAME_MAX,
                      'description': 'The unique namespace text.'},
        'display_name': {'type': ['string', 'null'], 'maxLength': NAME_MAX,
                         'description': 'The user friendly name.'},
        'description': {'type': ['string', 'null'], 'maxLength': 500,
                        'description': 'What the namespace is about.'},
        'visibility': {'type': 'string', 'enum': ['public', 'private'],
                       'description': 'Scope of namespace accessibility.'},
        'protected': {'type': 'boolean',
                      'description': 'A protected namespace cannot be deleted.'},
        'owner': {'type': 'string', 'maxLength': 255,
                  'description': 'Project that owns the namespace.'},
        'schema': _read_only('URL of this schema.'),
        'self': _read_only('URL of this namespace.'),
        'resource_type_associations': {
            'type': 'array',
            'items': {'type': 'object',
                      'required': ['name'],
                      'properties': _resource_type_association_properties()},
        },
        'properties': {'$ref': '#/definitions/property'},
        'objects': {
            'type': 'array',
            'items': {'type': 'object', 'required': ['name'],
                      'properties': _object_properties()},
        },
        'tags': {
            'type': 'array',
            'items': {'type': 'object', 'required': ['name'],
                      'properties': {'name': {'type': 'string', 'minLength': 1,
                                              'maxLength': NAME_MAX}}},
        },
    }
    props.update(_timestamps())
    return {
        'name': 'namespace',
        'type': 'object',
        'properties': props,
        'required': ['namespace'],
        'additionalProperties': False,
        'definitions': _definitions(),
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def _collection(name, key, item, **extra_props):
    item = copy.deepcopy(item)
    definitions = item.pop('definitions', None)
    out = {
        'name': name,
        'properties': dict({
            key: {'type': 'array', 'items': item},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
            'schema': {'type': 'string'},
        }, **extra_props),
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }
    if definitions:
        out['definitions'] = definitions
    return out


def namespaces_schema():
    return _collection('namespaces', 'namespaces', namespace_schema())


def resource_type_schema():
    return {
        'name': 'resource_type_association',
        'type': 'object',
        'properties': _resource_type_association_properties(),
        'required': ['name'],
        'additionalProperties': False,
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def resource_types_schema():
    return _collection('resource_type_associations',
                       'resource_type_associations', resource_type_schema())


def object_schema():
    return {
        'name': 'object',
        'type': 'object',
        'properties': _object_properties(),
        'required': ['name'],
        'additionalProperties': False,
        'definitions': _definitions(),
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def objects_schema():
    return _collection('objects', 'objects', object_schema())


def property_schema():
    definitions = _definitions()
    item = copy.deepcopy(definitions['property']['additionalProperties'])
    item['required'] = ['name', 'title', 'type']
    return dict(item, name='property', definitions=definitions)


def properties_schema():
    definitions = _definitions()
    return {
        'name': 'properties',
        'properties': {
            'properties': {'$ref': '#/definitions/property'},
            'schema': {'type': 'string'},
        },
        'definitions': definitions,
        'links': [{'rel': 'describedby', 'href': '{schema}'}],
    }


def tag_schema():
    props = {'name': {'type': 'string', 'minLength': 1, 'maxLength': NAME_MAX}}
    props.update(_timestamps())
    return {
        'name': 'tag',
        'type': 'object',
        'properties': props,
        'required': ['name'],
        'additionalProperties': False,
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def tags_schema():
    return _collection('tags', 'tags', tag_schema())


SCHEMAS = {
    'namespace': namespace_schema,
    'namespaces': namespaces_schema,
    'resource_type': resource_type_schema,
    'resource_types': resource_types_schema,
    'object': object_schema,
    'objects': objects_schema,
    'property': property_schema,
    'properties': properties_schema,
    'tag': tag_schema,
    'tags': tags_schema,
}


class MetadefSchemas:
    def show(self, req, name):
        factory = SCHEMAS.get(name)
        if factory is None:
            raise exception.NotFound('The resource could not be found.')
        return factory()
