"""Federation mapping rules: validation, and what an assertion maps to.

A mapping is a list of rules; a rule applies when every one of its `remote`
conditions holds for the assertion (a dict of attribute -> value, several
values separated by ';'), and then contributes its `local` entries, where
"{0}", "{1}", ... stand for the values each remote condition matched. The
semantics are Keystone's: `any_one_of` / `not_any_of` test, `whitelist` /
`blacklist` filter what is passed on, `regex` makes the values patterns.
"""
import ast
import json
import re

import jsonschema

from cloudstack import exception

_DOMAIN = {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
           'properties': {'id': {'type': 'string'}, 'name': {'type': 'string'}},
           'additionalProperties': False}
_STRINGS = {'type': 'array', 'items': {'type': 'string'}}
_REMOTE = {
    'type': 'object', 'required': ['type'], 'additionalProperties': False,
    'properties': {'type': {'type': 'string'}, 'any_one_of': _STRINGS,
                   'not_any_of': _STRINGS, 'blacklist': _STRINGS, 'whitelist': _STRINGS,
                   'regex': {'type': 'boolean'}},
    'not': {'anyOf': [{'required': [a, b]} for a, b in (
        ('any_one_of', 'not_any_of'), ('any_one_of', 'blacklist'),
        ('any_one_of', 'whitelist'), ('not_any_of', 'blacklist'),
        ('not_any_of', 'whitelist'), ('blacklist', 'whitelist'))]}}
_LOCAL = {
    'type': 'object', 'additionalProperties': False, 'minProperties': 1,
    'properties': {
        'user': {'type': 'object', 'additionalProperties': False, 'properties': {
            'id': {'type': 'string'}, 'name': {'type': 'string'},
            'email': {'type': 'string'}, 'domain': _DOMAIN,
            'type': {'type': 'string', 'enum': ['local', 'ephemeral']}}},
        'group': {'type': 'object', 'additionalProperties': False, 'oneOf': [
            {'required': ['id']}, {'required': ['name', 'domain']}],
            'properties': {'id': {'type': 'string'}, 'name': {'type': 'string'},
                           'domain': _DOMAIN}},
        'groups': {'type': 'string'},
        'group_ids': {'type': 'string'},
        'domain': _DOMAIN,
        'projects': {'type': 'array'},
    }}
SCHEMA = {
    'type': 'object', 'required': ['rules'], 'additionalProperties': False,
    'properties': {
        'schema_version': {'type': ['string', 'null'], 'enum': ['1.0', '1.1', '2.0', None]},
        'rules': {'type': 'array', 'items': {
            'type': 'object', 'required': ['local', 'remote'], 'additionalProperties': False,
            'properties': {'local': {'type': 'array', 'items': _LOCAL},
                           'remote': {'type': 'array', 'minItems': 1, 'items': _REMOTE}}}}}}


def validate(mapping):
    """400 unless `mapping` ({'rules': [...]}) is a valid mapping."""
    try:
        jsonschema.validate(mapping, SCHEMA)
    except jsonschema.ValidationError as exc:
        raise exception.ValidationError('Invalid mapping: %s' % exc.message)


def normalize_name(name):
    """Attribute names compare without case, '-' as '_': a front end's
    header 'X-Oidc-Email' and a rule's 'OIDC_EMAIL' are one attribute."""
    return name.upper().replace('-', '_')


def _matching(patterns, values, regex):
    if regex:
        return [v for v in values if any(re.search(p, v) for p in patterns)]
    return [v for v in values if v in patterns]


def _requirements_met(remote, assertion):
    """The values each remote condition of a rule passed on, or None when
    one fails."""
    found = []
    for condition in remote:
        values = assertion.get(normalize_name(condition['type']))
        if not values:
            return None
        regex = condition.get('regex', False)
        if 'any_one_of' in condition:
            if not _matching(condition['any_one_of'], values, regex):
                return None
            continue
        if 'not_any_of' in condition:
            if _matching(condition['not_any_of'], values, regex):
                return None
            continue
        if 'blacklist' in condition:
            banned = set(_matching(condition['blacklist'], values, regex))
            values = [v for v in values if v not in banned]
        elif 'whitelist' in condition:
            values = _matching(condition['whitelist'], values, regex)
        found.append(values)
    return found


def _fill(template, matches, mapping_id):
    if isinstance(template, dict):
        return {k: _fill(v, matches, mapping_id) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, matches, mapping_id) for v in template]
    if isinstance(template, str):
        try:
            # A single value fills in as itself, several as a list literal.
            return template.format(*[v[0] if len(v) == 1 else v for v in matches])
        except (IndexError, KeyError):
            raise exception.Forbidden(
                'Local section in mapping %s refers to a remote match that does '
                'not exist.' % mapping_id)
    return template


def _as_list(value):
    """A filled '{0}' of several values reads as a Python list literal."""
    try:
        values = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return [value]
    return values if isinstance(values, list) else [value]


def apply(mapping_id, rules, attributes):
    """What `attributes` ({name: 'v1;v2'}) map to: {'user': {...}, 'group_ids':
    [...], 'group_names': [{'name', 'domain': {...}}], 'domain': {...}};
    401 when no rule applies."""
    assertion = {normalize_name(k): v.split(';') for k, v in attributes.items()
                 if isinstance(v, str)}
    locals_ = []
    for rule in rules:
        matches = _requirements_met(rule['remote'], assertion)
        if matches is None:
            continue
        locals_ += [_fill(local, matches, mapping_id) for local in rule['local']]
    if not locals_:
        raise exception.Unauthorized(
            'Could not map any federated user properties to identity values.')
    user, group_ids, group_names, domain = {}, [], [], None
    for local in locals_:
        if 'user' in local and not user:
            user = local['user']
        if 'group' in local:
            group = local['group']
            if 'id' in group:
                group_ids.append(group['id'])
            else:
                group_names.append({'name': group['name'], 'domain': group['domain']})
        if 'groups' in local:
            for name in _as_list(local['groups']):
                if isinstance(name, str) and name.startswith('JSON:'):
                    group_names.append(json.loads(name[5:]))
                elif 'domain' not in local:
                    raise exception.ValidationError(
                        "Invalid rule: both 'groups' and 'domain' must be given.")
                else:
                    group_names.append({'name': name, 'domain': local['domain']})
        if 'group_ids' in local:
            group_ids += [g for g in _as_list(local['group_ids']) if isinstance(g, str)]
        if 'domain' in local and 'groups' not in local:
            domain = local['domain']
    user.setdefault('type', 'ephemeral')
    return {'user': user, 'group_ids': list(dict.fromkeys(group_ids)),
            'group_names': group_names, 'domain': domain}
