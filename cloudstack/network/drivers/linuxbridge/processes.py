"""Daemons the dataplane keeps in namespaces (dnsmasq, metadata proxies).

They daemonize themselves and write a pid file, so they outlive the agent
(a restarted agent finds and keeps them). A process is ours when its command
line holds its pid file's path; it is only ever signalled by that pid.
"""
import logging
import os
import signal
import time

from cloudstack.network.drivers.linuxbridge import ip_lib

LOG = logging.getLogger(__name__)


def write_file(path, content, mode=0o644):
    """Make `path` hold `content`; False when it already did.

    Written over in place, not renamed over: on ext4 a rename over a file
    (or a truncation to nothing) first flushes the new data to the disk, a
    millisecond or more per file on every port. The daemons re-read these
    files only on the SIGHUP sent after the write; a crash halfway leaves a
    file the next agent's first sync finds different and writes again."""
    data = content.encode()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), mode=0o711, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
    try:
        st = os.fstat(fd)
        if st.st_size == len(data) and os.pread(fd, len(data) + 1, 0) == data:
            return False
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        if st.st_mode & 0o7777 != mode:
            os.fchmod(fd, mode)
        return True
    finally:
        os.close(fd)


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return [a.decode(errors='replace') for a in f.read().split(b'\0') if a]
    except OSError:
        return None


def running(pidfile):
    """(pid, argv) of the live process that owns `pidfile`, or (None, None)."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return None, None
    if pid <= 0:
        return None, None
    argv = cmdline(pid)
    if not argv or not any(pidfile in a for a in argv) or _zombie(pid):
        return None, None
    return pid, argv


def _zombie(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()[0] == 'Z'
    except OSError:
        return True


def start(proc):
    """Write its files and start it; the command returns once it runs."""
    for path, content, mode in proc.files:
        write_file(path, content, mode)
    os.makedirs(os.path.dirname(proc.pidfile), exist_ok=True)
    ip_lib.run(list(proc.argv), namespace=proc.namespace if proc.enter_namespace else None)
    pid, _ = running(proc.pidfile)
    deadline = time.monotonic() + 5
    while pid is None and time.monotonic() < deadline:
        time.sleep(0.01)
        pid, _ = running(proc.pidfile)
    if pid is None:
        raise ip_lib.CommandFailed('%s did not start (no live pid in %s)' % (proc.key, proc.pidfile))
    LOG.info('started %s (pid %d)', proc.key, pid)
    return pid


def update_files(proc, pid, written=None, reload=True):
    """Write files that changed and tell the process to reload them (unless
    `reload` is False: the caller does); whether any changed.
    `written`: the files as last written, when known (else they are read)."""
    known = {path: content for path, content, _ in written or ()}
    changed = False
    for path, content, mode in proc.files:
        if written is not None and known.get(path) == content:
            continue
        changed = write_file(path, content, mode) or changed
    if changed and reload:
        os.kill(pid, signal.SIGHUP)
    return changed


def stop(pidfile, timeout=5):
    """Stop the process owning `pidfile`, if it lives."""
    pid, _ = running(pidfile)
    if pid is None:
        return False
    kill(pid, timeout)
    return True


def kill(pid, timeout=5):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cmdline(pid) is None or _zombie(pid):
            return
        time.sleep(0.01)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def pids_in_namespace(name):
    """Pids of the processes living in the named network namespace."""
    try:
        target = os.stat(os.path.join(ip_lib.NETNS_RUN_DIR, name)).st_ino
    except FileNotFoundError:
        return []
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            if os.stat('/proc/%s/ns/net' % entry).st_ino == target:
                pids.append(int(entry))
        except OSError:
            continue
    return pids
