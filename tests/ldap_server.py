"""A real OpenLDAP slapd for tests: its own config, data dir and free port.

`start(tmp_path)` returns a running Slapd (or calls pytest.skip naming what
the host lacks: Debian's slapd, ldap-utils and the schemas)."""
import os
import shutil
import socket
import subprocess
import time

import pytest

SUFFIX = 'dc=example,dc=org'
ROOT_DN = 'cn=admin,' + SUFFIX
ROOT_PW = 'ldap-admin-pw'
SCHEMA_DIR = '/etc/ldap/schema'
MODULE_DIR = '/usr/lib/ldap'
SLAPD = shutil.which('slapd') or '/usr/sbin/slapd'
LDAPADD = shutil.which('ldapadd') or '/usr/bin/ldapadd'

CONFIG = '''\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
pidfile {tmp}/slapd.pid
modulepath {modules}
moduleload back_mdb
database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {tmp}/data
access to attrs=userPassword by self read by anonymous auth by * none
access to * by * read
'''

BASE_LDIF = '''\
dn: {suffix}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=Users,{suffix}
objectClass: organizationalUnit
ou: Users

dn: ou=UserGroups,{suffix}
objectClass: organizationalUnit
ou: UserGroups
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def missing():
    """What the host lacks to run slapd, or None."""
    for path in (SLAPD, LDAPADD, os.path.join(SCHEMA_DIR, 'inetorgperson.schema'),
                 os.path.join(MODULE_DIR, 'back_mdb.so')):
        if not os.path.exists(path):
            return path
    return None


class Slapd:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.port = _free_port()
        self.url = 'ldap://127.0.0.1:%d' % self.port
        self.proc = None

    def start(self):
        (self.tmp / 'data').mkdir(parents=True)
        conf = self.tmp / 'slapd.conf'
        conf.write_text(CONFIG.format(schema=SCHEMA_DIR, tmp=self.tmp, modules=MODULE_DIR,
                                      suffix=SUFFIX, root_dn=ROOT_DN, root_pw=ROOT_PW))
        log = open(self.tmp / 'slapd.log', 'wb')
        # -d 0: stay in the foreground (so the test owns the process), log nothing.
        self.proc = subprocess.Popen([SLAPD, '-d', '0', '-h', self.url + '/', '-f', str(conf)],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError('slapd did not start: %s'
                                       % (self.tmp / 'slapd.log').read_text())
                time.sleep(0.05)
        self.add(BASE_LDIF.format(suffix=SUFFIX))
        return self

    def add(self, ldif):
        subprocess.run([LDAPADD, '-x', '-H', self.url, '-D', ROOT_DN, '-w', ROOT_PW],
                       input=ldif.encode(), check=True, capture_output=True, timeout=30)

    def modify(self, ldif):
        subprocess.run([LDAPADD.replace('ldapadd', 'ldapmodify'), '-x', '-H', self.url,
                        '-D', ROOT_DN, '-w', ROOT_PW], input=ldif.encode(), check=True,
                       capture_output=True, timeout=30)

    def add_user(self, uid, password, name=None, mail=None):
        self.add('dn: cn=%s,ou=Users,%s\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\n'
                 'userPassword: %s\n%s' % (uid, SUFFIX, uid, name or uid, password,
                                          'mail: %s\n' % mail if mail else ''))

    def add_group(self, name, *uids):
        members = ''.join('member: cn=%s,ou=Users,%s\n' % (u, SUFFIX) for u in uids)
        self.add('dn: cn=%s,ou=UserGroups,%s\nobjectClass: groupOfNames\ncn: %s\nou: %s\n%s'
                 % (name, SUFFIX, name, name, members))

    def domain_config(self):
        """The domain configuration pointing a domain at this directory."""
        return {'identity': {'driver': 'ldap'},
                'ldap': {'url': self.url, 'user': ROOT_DN, 'password': ROOT_PW,
                         'suffix': SUFFIX, 'user_tree_dn': 'ou=Users,' + SUFFIX,
                         'group_tree_dn': 'ou=UserGroups,' + SUFFIX}}

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def slapd(tmp_path):
    lacking = missing()
    if lacking:
        pytest.skip('needs OpenLDAP (Debian slapd and ldap-utils): %s is missing' % lacking)
    server = Slapd(tmp_path / 'slapd').start()
    yield server
    server.stop()
