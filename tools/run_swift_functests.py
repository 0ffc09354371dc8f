#!/usr/bin/env python3
"""Swift's own functional test suite against a running cloudstack.

Swift's suite (the `test/functional` tests of the PyPI `swift` sdist, not
part of this repository) is installed with its client into --venv on first
use. The cloud must serve the object-store catalog at /v1/AUTH_%(tenant_id)s
([object_store] catalog_path), which Swift's test client assumes. This makes
the suite's users with keystoneauth's roles:

  tester  (project test, member)       tester2 (project test2, member)
  tester3 (project test, no operator role)
  tester4 (project test4 in domain swift-test-domain, member)
  tester6 (project test, ResellerAdmin)

writes its test.conf and runs it with pytest (s3api left out: not served).

    tools/run_swift_functests.py --url http://127.0.0.1:PORT --admin-password PW \\
        [--venv DIR] [--results DIR] [-- PYTEST ARGS]

Prints pytest's summary; the JUnit XML is in --results.
"""
import argparse
import os
import subprocess
import sys
import tarfile

SWIFT = 'swift==2.38.3'
PACKAGES = [SWIFT, 'python-swiftclient', 'python-keystoneclient', 'pytest', 'mock']
USERS = (('tester', 'test', 'member', 'Default'), ('tester2', 'test2', 'member', 'Default'),
         ('tester3', 'test', 'swift-test-nobody', 'Default'),
         ('tester4', 'test4', 'member', 'swift-test-domain'),
         ('tester6', 'test', 'ResellerAdmin', 'Default'))
TEST_CONF = """[func_test]
auth_uri = {url}/identity/v3/
auth_version = 3
account = test
username = tester
password = testing
domain = Default
account2 = test2
username2 = tester2
password2 = testing
domain2 = Default
username3 = tester3
password3 = testing
domain3 = Default
account4 = test4
username4 = tester4
password4 = testing
domain4 = swift-test-domain
account6 = test
username6 = tester6
password6 = testing
domain6 = Default
collate = C
storage_domain = {storage_domain}
"""


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_suite(venv):
    py = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(py):
        sh(sys.executable, '-m', 'venv', venv)
        sh(py, '-m', 'pip', 'install', '-q', *PACKAGES)
    src = os.path.join(venv, 'src')
    tests = os.path.join(src, SWIFT.replace('==', '-'))
    if not os.path.isdir(os.path.join(tests, 'test', 'functional')):
        os.makedirs(src, exist_ok=True)
        sh(py, '-m', 'pip', 'download', '-q', '--no-deps', '--no-binary', ':all:',
           '-d', src, SWIFT)
        with tarfile.open(os.path.join(src, SWIFT.replace('==', '-') + '.tar.gz')) as tar:
            tar.extractall(src, filter='data')
    return py, tests


def make_users(url, password):
    from keystoneauth1.identity import v3
    from keystoneauth1 import session as ks_session
    from keystoneclient.v3 import client
    auth = v3.Password(auth_url=url + '/identity/v3', username='admin', password=password,
                       user_domain_id='default', project_name='admin',
                       project_domain_id='default')
    ks = client.Client(session=ks_session.Session(auth=auth))

    def find(manager, name, **kw):
        found = [x for x in manager.list(**kw) if x.name == name]
        return found[0] if found else manager.create(name=name, **kw)
    domains = {'Default': ks.domains.get('default')}
    domains['swift-test-domain'] = find(ks.domains, 'swift-test-domain')
    for user, project, role, domain in USERS:
        d = domains[domain]
        p = find(ks.projects, project, domain=d)
        u = [x for x in ks.users.list(domain=d) if x.name == user]
        u = u[0] if u else ks.users.create(name=user, domain=d, password='testing')
        r = [x for x in ks.roles.list() if x.name == role]
        r = r[0] if r else ks.roles.create(name=role)
        ks.roles.grant(r, user=u, project=p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--admin-password', required=True)
    ap.add_argument('--venv', default=os.path.join(
        os.environ.get('BENCH', os.path.expanduser('~/bench')), 'swift-functests'))
    ap.add_argument('--results', default='swift-functests-results')
    ap.add_argument('--storage-domain', default='')
    ap.add_argument('pytest_args', nargs='*')
    args = ap.parse_args()
    py, tests = ensure_suite(args.venv)
    make_users(args.url.rstrip('/'), args.admin_password)
    os.makedirs(args.results, exist_ok=True)
    conf = os.path.abspath(os.path.join(args.results, 'test.conf'))
    with open(conf, 'w') as f:
        f.write(TEST_CONF.format(url=args.url.rstrip('/'),
                                 storage_domain=args.storage_domain))
    env = dict(os.environ, SWIFT_TEST_CONFIG_FILE=conf, SWIFT_TEST_IN_PROCESS='false')
    xml = os.path.abspath(os.path.join(args.results, 'junit.xml'))
    cmd = [py, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--junitxml', xml,
           '--ignore', 'test/functional/s3api', 'test/functional'] + args.pytest_args
    return subprocess.run(cmd, cwd=tests, env=env).returncode


if __name__ == '__main__':
    sys.exit(main())
