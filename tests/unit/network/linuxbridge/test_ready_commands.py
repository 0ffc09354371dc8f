"""Restore commands started ahead, waiting for their input."""
import pytest

from cloudstack.network.drivers.linuxbridge import ip_lib
from cloudstack.network.drivers.linuxbridge import iptables


def test_a_run_uses_the_waiting_command_and_leaves_a_fresh_one():
    commands = ip_lib.ReadyCommands()
    try:
        first = commands.run_all([(['cat'], 'one\n'), (['tr', 'a-z', 'A-Z'], 'two\n')])
        assert [r.stdout for r in first] == ['one\n', 'TWO\n']
        commands._settle()
        waiting = {argv: proc for argv, (proc, _) in commands.waiting.items()}
        assert set(waiting) == {('cat',), ('tr', 'a-z', 'A-Z')}
        assert all(proc.poll() is None for proc in waiting.values())
        second = commands.run_all([(['cat'], 'three\n')])
        assert second[0].stdout == 'three\n'
        assert waiting[('cat',)].returncode == 0            # the waiting one ran it
        commands._settle()
        assert commands.waiting[('cat',)][0] is not waiting[('cat',)]
    finally:
        commands.close()
    assert commands.waiting == {} and waiting[('tr', 'a-z', 'A-Z')].poll() is not None


def test_a_failure_is_raised_and_a_dead_waiting_command_replaced():
    commands = ip_lib.ReadyCommands(keep=lambda argv: argv[0] != 'false')
    try:
        with pytest.raises(ip_lib.CommandFailed, match='exit 1'):
            commands.run_all([(['false'], 'x\n'), (['cat'], 'ok\n')])
        commands._settle()
        assert list(commands.waiting) == [('cat',)]        # false never waits
        proc, _ = commands.waiting[('cat',)]
        proc.kill()
        proc.wait()
        assert commands.run_all([(['cat'], 'again\n')])[0].stdout == 'again\n'
    finally:
        commands.close()


def test_only_nf_tables_restores_and_ipset_wait():
    assert iptables.may_wait(('ipset', 'restore'))
    assert not iptables.may_wait(('no-such-command-restore',))
