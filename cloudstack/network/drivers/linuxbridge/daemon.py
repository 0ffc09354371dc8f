"""What the driver's own daemons (the metadata proxy, the router advertiser)
share: going to the background once ready, and their pid file."""
import os


def daemonize(pid_file):
    """Fork into the background; the parent exits 0 once the pid file is
    written, so whoever started the daemon knows it runs."""
    read, write = os.pipe()
    if os.fork():
        os.close(write)
        os._exit(0 if os.read(read, 1) == b'1' else 1)
    os.close(read)
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.close(devnull)
    write_pid(pid_file)
    os.write(write, b'1')
    os.close(write)


def write_pid(pid_file):
    tmp = pid_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % os.getpid())
    os.replace(tmp, pid_file)


def remove_pid(pid_file):
    """Remove the pid file if it still names this process."""
    try:
        with open(pid_file) as f:
            if f.read().strip() == str(os.getpid()):
                os.unlink(pid_file)
    except OSError:
        pass
