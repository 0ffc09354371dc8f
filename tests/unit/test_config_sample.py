"""The committed cloudstack.conf.sample lists exactly the options the code has."""
import os

from oslo_config import generator

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                      'etc', 'cloudstack', 'cloudstack.conf.sample')


def test_config_sample_is_current(tmp_path):
    out = tmp_path / 'sample'
    namespaces = ['cloudstack', 'oslo.log', 'oslo.middleware.cors',
                  'oslo.middleware.healthcheck', 'oslo.middleware.http_proxy_to_wsgi',
                  'oslo.middleware.sizelimit', 'oslo.policy']
    generator.main([arg for ns in namespaces for arg in ('--namespace', ns)] + [
                    '--wrap-width', '79',
                    '--output-file', str(out)])
    with open(SAMPLE) as f:
        assert out.read_text() == f.read(), \
            'run tools/generate-config-sample.sh and commit the result'


def _sampled():
    """{group: {option names}} the sample lists."""
    import re
    groups, group = {}, None
    with open(SAMPLE) as f:
        for line in f:
            header = re.match(r'^\[(\w+)\]', line)
            if header:
                group = groups.setdefault(header.group(1), set())
            found = re.match(r'^#?(\w+) =', line)
            if found and group is not None:
                group.add(found.group(1))
    return groups


def test_every_option_the_readme_table_names_is_in_the_sample():
    import re
    with open(os.path.join(os.path.dirname(SAMPLE), os.pardir, os.pardir, 'README.md')) as f:
        rows = [line.split('|')[1] for line in f if line.startswith('| `')]
    sampled, missing = _sampled(), []
    for row in rows:
        group = 'DEFAULT'
        for cell in re.findall(r'`([^`]*)`', row):
            named = re.match(r'\[(\w+)\] (\S+)$', cell)
            group, option = named.groups() if named else (group, cell)
            if option not in ('...',) and option not in sampled.get(group, ()):
                missing.append('[%s] %s' % (group, option))
    assert rows and not missing


def test_the_shipped_config_names_only_the_served_paths():
    import re
    etc = os.path.dirname(SAMPLE)
    with open(os.path.join(etc, 'api-paste.ini')) as f:
        served = set(re.findall(r'^(/[\w./-]*) = ', f.read(), re.M))
    if '/' in served:
        served.add('/v1')       # Swift's paths under the root
    with open(os.path.join(etc, 'cloudstack.conf')) as f:
        comment = f.read().split('# Every API on one port')[1].split('\n\n')[0]
    named = set(re.findall(r"(?<![\w/'])(/[a-z][\w-]*)", comment))
    assert named and named <= served, named - served


def test_the_docs_link_only_to_files_in_the_repository():
    import re
    root = os.path.join(os.path.dirname(SAMPLE), os.pardir, os.pardir)
    for doc in ('README.md', 'doc/design.md', 'doc/architecture.md'):
        with open(os.path.join(root, doc)) as f:
            text = f.read()
        assert '../shared' not in text and '/work/' not in text, doc
        for target in re.findall(r'\]\(([^)#:]+)\)', text):
            assert os.path.exists(os.path.join(root, os.path.dirname(doc), target)), target
    with open(os.path.join(root, 'README.md')) as f:
        assert 'doc/design.md' in f.read()
