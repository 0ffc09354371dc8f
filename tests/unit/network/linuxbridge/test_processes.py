"""The daemons' files: written only when they change, in place."""
import os
import stat

from cloudstack.network.drivers.linuxbridge import processes


def test_a_file_is_written_when_it_changes_and_only_then(tmp_path):
    path = str(tmp_path / 'dhcp' / 'net' / 'host')
    assert processes.write_file(path, 'fa:16:3e:00:00:01,10.0.0.5\n' * 3) is True
    inode = os.stat(path).st_ino
    assert processes.write_file(path, 'fa:16:3e:00:00:01,10.0.0.5\n' * 3) is False
    assert processes.write_file(path, 'fa:16:3e:00:00:02,10.0.0.6\n') is True
    with open(path) as f:
        assert f.read() == 'fa:16:3e:00:00:02,10.0.0.6\n'     # the longer old text gone
    assert os.stat(path).st_ino == inode                      # the same file, written over
    assert processes.write_file(path, 'é\n') is True
    with open(path, encoding='utf-8') as f:
        assert f.read() == 'é\n'


def test_a_file_gets_its_mode(tmp_path):
    path = str(tmp_path / 'proxy.secret')
    processes.write_file(path, 'secret', mode=0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o644)
    assert processes.write_file(path, 'other', mode=0o600) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
