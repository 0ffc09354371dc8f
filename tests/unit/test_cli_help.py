"""The commands' --help shows what each command takes, and reads well
(run as subprocesses: importing cloudstack.cmd turns a process green)."""
import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)


def _help(command):
    return subprocess.run([os.path.join(BIN, command), '--help'], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def test_manage_takes_no_server_options_and_names_its_commands():
    text = _help('cloudstack-manage')
    assert '--bind' not in text and '--workers' not in text
    assert '--data-dir' in text
    assert '\n:\n' not in text and '\ncommands:\n' in text


def test_the_serving_commands_take_bind_and_workers():
    for command in ('cloudstack-all', 'cloudstack-api'):
        text = _help(command)
        assert '--bind' in text and '--workers' in text, command
    text = ' '.join(_help('cloudstack-all').split())
    assert ('--admin-password ADMIN_PASSWORD The admin\'s password, set at this start.'
            in text)
