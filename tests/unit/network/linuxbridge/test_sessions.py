"""Restore commands kept running between syncs (ip_lib.Session): what they
are sent is acknowledged by the comment they echo, a failure names its
reason and the next send starts a fresh command."""
import sys

import pytest

from cloudstack.network.drivers.linuxbridge import ip_lib

# A stand-in for iptables-nft-restore -v: applies (records) each line as it
# reads it, echoes comments, exits 1 at a line FAIL.
FAKE = r'''
import sys
out = open(sys.argv[1], 'a')
for line in sys.stdin:
    if line.startswith('#'):
        sys.stdout.write(line)
        sys.stdout.flush()
    elif line.strip() == 'FAIL':
        sys.stderr.write('line failed: no such chain\n')
        sys.exit(1)
    else:
        out.write(line)
        out.flush()
'''


def _session(tmp_path, name='applied'):
    log = tmp_path / name
    return ip_lib.Session([sys.executable, '-c', FAKE, str(log)]), log


def test_what_is_sent_is_done_when_acknowledged_and_the_command_stays(tmp_path):
    session, log = _session(tmp_path)
    try:
        session.send('*filter\n-A x\nCOMMIT\n')
        ip_lib.wait_sessions([session])
        assert log.read_text() == '*filter\n-A x\nCOMMIT\n'
        first = session.proc
        session.send('*filter\n-A y\nCOMMIT\n')
        ip_lib.wait_sessions([session])
        assert log.read_text().endswith('-A y\nCOMMIT\n')
        assert session.proc is first and first.poll() is None
    finally:
        session.close()
    assert first.poll() == 0            # it left at the end of its input


def test_a_failure_names_its_reason_and_the_next_send_starts_again(tmp_path):
    session, log = _session(tmp_path)
    good, _ = _session(tmp_path, 'other')
    try:
        session.send('*filter\nFAIL\nCOMMIT\n')
        good.send('*filter\n-A z\nCOMMIT\n')
        with pytest.raises(ip_lib.CommandFailed, match='exit 1: line failed: no such chain'):
            ip_lib.wait_sessions([session, good])
        assert not good.waiting and session.proc is None
        session.send('*filter\n-A again\nCOMMIT\n')
        ip_lib.wait_sessions([session])
        assert log.read_text().endswith('-A again\nCOMMIT\n')
    finally:
        session.close()
        good.close()


def test_an_input_larger_than_a_pipe_is_fed_while_waiting(tmp_path):
    session, log = _session(tmp_path)
    text = ''.join('-A chain-%06d -j RETURN\n' % i for i in range(20000))     # ~500 KB
    try:
        session.send(text)
        assert session.unsent                    # the pipe took only part of it
        ip_lib.wait_sessions([session])
        assert log.read_text() == text
    finally:
        session.close()


def test_a_command_that_never_answers_is_ended(tmp_path):
    session = ip_lib.Session([sys.executable, '-c', 'import time; time.sleep(60)'])
    proc = None
    try:
        session.send('*filter\nCOMMIT\n')
        proc = session.proc
        with pytest.raises(ip_lib.CommandFailed, match='no answer'):
            ip_lib.wait_sessions([session], timeout=0.5)
        assert proc.poll() is not None and session.proc is None
    finally:
        session.close()
