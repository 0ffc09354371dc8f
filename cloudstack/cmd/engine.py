"""cloudstack-engine: the host-less work (tasks and periodics with no role),
in this one process."""
from cloudstack import cmd
from cloudstack.wsgi import server


def main(argv=None):
    cmd.parse(argv)
    server.run_engine()
    return 0
