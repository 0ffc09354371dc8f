"""tools/compare_policies.py: what it counts as the same rule, and what not."""
import importlib.util
import pathlib
import sys

import pytest

TOOL = pathlib.Path(__file__).resolve().parents[2] / 'tools' / 'compare_policies.py'
spec = importlib.util.spec_from_file_location('compare_policies', TOOL)
compare_policies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_policies)


def rule(name, check, scope=('project',), old=None):
    return {'name': name, 'check': check, 'scope_types': sorted(scope),
            'deprecated': old and {'name': old[0], 'check': old[1]}}


@pytest.mark.parametrize('a, b', [
    ('role:admin or (role:member and project_id:%(project_id)s)',
     '(project_id:%(project_id)s and role:member) or role:admin'),
    ('a:1 or (b:2 or c:3)', 'c:3 or b:2 or a:1'),
    ('not (a:1 and b:2)', 'not (b:2 and a:1)'),
    ('', '@'),
])
def test_same_check_in_other_spellings(a, b):
    assert compare_policies.canonical(a) == compare_policies.canonical(b)


@pytest.mark.parametrize('a, b', [
    ('role:admin or role:member', 'role:admin and role:member'),
    ('role:reader', 'role:member'),
    ('not a:1 or b:2', 'not (a:1 or b:2)'),
])
def test_different_checks(a, b):
    assert compare_policies.canonical(a) != compare_policies.canonical(b)


def test_compare_counts_each_kind_of_difference():
    ours = [rule('same', 'role:a or role:b'), rule('check', 'role:a'),
            rule('scope', 'role:a', scope=('system',)),
            rule('renamed', 'role:a', old=('renamed', 'role:b')),
            rule('ours_only', '')]
    upstream = [rule('same', 'role:b or role:a'), rule('check', 'role:b'),
                rule('scope', 'role:a'),
                rule('renamed', 'role:a', old=('old_name', 'role:b')),
                rule('theirs_only', '')]
    result = compare_policies.compare(ours, upstream)
    assert result['same'] == ['same']
    assert [name for name, _ in result['different']] == ['check', 'renamed', 'scope']
    assert result['missing'] == ['theirs_only'] and result['extra'] == ['ours_only']


def test_dump_and_compare_our_own_module(capsys):
    """The whole path, with our own rules standing in for the upstream
    package: no difference."""
    status = compare_policies.main(['volume', '--upstream-python', sys.executable,
                                    '--upstream-module', 'cloudstack.volume.policies'])
    out = capsys.readouterr().out
    assert status == 0, out
    assert ', 0 different, 0 missing' in out and ' 0 same' not in out
