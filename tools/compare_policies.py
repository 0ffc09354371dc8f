#!/usr/bin/env python3
"""Compare a service's default policy rules with an upstream OpenStack package's.

Rule names, check strings (parsed, so spacing, parentheses and the order of
`and`/`or` operands do not count), scope types and deprecated fallbacks.

    tools/compare_policies.py network --upstream-python /tmp/venv/bin/python [-v]

The upstream package (neutron, nova, cinder, keystone, glance) only needs to
be installed in the other interpreter's environment, with oslo.policy: its
policy modules are loaded without importing the rest of the project. Exit
status 1 when a rule differs or an upstream rule is missing.
"""
import argparse
import importlib
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

# Our service -> the upstream module whose list_rules() gives its defaults.
UPSTREAM = {
    'network': 'neutron.conf.policies',
    'compute': 'nova.policies',
    'volume': 'cinder.policies',
    'identity': 'keystone.common.policies',
    'image': 'glance.policies',
}


def _load_without_parents(module):
    """Import `module` with its parent packages as empty shells, so that a
    project's __init__ (which may start eventlet or read config) never runs."""
    parts = module.split('.')
    where = str(Path(importlib.util.find_spec(parts[0]).origin).parent)
    for depth in range(1, len(parts)):
        name = '.'.join(parts[:depth])
        if depth > 1:
            where = str(Path(where, parts[depth - 1]))
        if name not in sys.modules:
            shell = types.ModuleType(name)
            shell.__path__ = [where]
            sys.modules[name] = shell
    return importlib.import_module(module)


def describe(rules):
    """[{name, check, scope_types, deprecated}] of oslo.policy RuleDefaults."""
    found = []
    for rule in rules:
        old = getattr(rule, 'deprecated_rule', None)
        found.append({
            'name': rule.name, 'check': rule.check_str,
            'scope_types': sorted(rule.scope_types or []),
            'deprecated': old and {'name': old.name, 'check': old.check_str}})
    return found


def canonical(check_str):
    """A check string in one spelling: parsed, nested and/or flattened, their
    operands sorted."""
    from oslo_policy import _checks
    from oslo_policy import _parser

    def walk(check):
        if isinstance(check, (_checks.AndCheck, _checks.OrCheck)):
            kind = type(check)
            operands = []
            for sub in check.rules:
                if isinstance(sub, kind):
                    operands.extend(walk(sub)[1])
                else:
                    operands.append(walk(sub))
            return (kind.__name__, tuple(sorted(operands, key=repr)))
        if isinstance(check, _checks.NotCheck):
            return ('not', walk(check.rule))
        return ('check', str(check))
    return walk(_parser.parse_rule(check_str))


def compare(ours, upstream):
    """{'same', 'different': [(name, [what differs])], 'missing', 'extra'}."""
    mine = {r['name']: r for r in ours}
    theirs = {r['name']: r for r in upstream}
    result = {'same': [], 'different': [], 'missing': sorted(set(theirs) - set(mine)),
              'extra': sorted(set(mine) - set(theirs))}
    for name in sorted(set(mine) & set(theirs)):
        a, b = mine[name], theirs[name]
        diffs = []
        if canonical(a['check']) != canonical(b['check']):
            diffs.append('check: ours %r, upstream %r' % (a['check'], b['check']))
        if a['scope_types'] != b['scope_types'] and b['scope_types']:
            diffs.append('scope_types: ours %s, upstream %s'
                         % (a['scope_types'], b['scope_types']))
        old_a, old_b = a['deprecated'], b['deprecated']
        if bool(old_a) != bool(old_b) or old_a and (
                old_a['name'] != old_b['name']
                or canonical(old_a['check']) != canonical(old_b['check'])):
            diffs.append('deprecated: ours %s, upstream %s' % (old_a, old_b))
        (result['different'] if diffs else result['same']).append(
            (name, diffs) if diffs else name)
    return result


def _ours(service):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from cloudstack import policy
    return describe(policy.list_rules(service))


def _upstream(python, module):
    out = subprocess.run([python, __file__, '--dump', module], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('service', nargs='?', choices=sorted(UPSTREAM))
    parser.add_argument('--upstream-python', default=sys.executable,
                        help='interpreter of the environment holding the upstream package')
    parser.add_argument('--upstream-module', help='default: the service\'s usual one')
    parser.add_argument('--dump', metavar='MODULE', help=argparse.SUPPRESS)
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='list the missing and extra rules too')
    args = parser.parse_args(argv)
    if args.dump:
        print(json.dumps(describe(_load_without_parents(args.dump).list_rules())))
        return 0
    if not args.service:
        parser.error('a service is needed')
    module = args.upstream_module or UPSTREAM[args.service]
    result = compare(_ours(args.service), _upstream(args.upstream_python, module))
    for name, diffs in result['different']:
        print('DIFFERENT %s' % name)
        for line in diffs:
            print('    ' + line)
    for kind in ('missing', 'extra'):
        if args.verbose:
            for name in result[kind]:
                print('%s %s' % (kind.upper(), name))
    print('%s vs %s: %d same, %d different, %d missing (upstream only), '
          '%d extra (ours only)' % (args.service, module, len(result['same']),
                                    len(result['different']), len(result['missing']),
                                    len(result['extra'])))
    return 1 if result['different'] or result['missing'] else 0


if __name__ == '__main__':
    sys.exit(main())
