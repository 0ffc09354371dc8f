"""cloudstack-api: only the API workers, for a host that runs no engine."""
from cloudstack import cmd
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.wsgi import app as wsgi_app
from cloudstack.wsgi import server


def main(argv=None):
    cmd.parse(argv, serving=True)
    sock = server.listen(CONF.bind)
    app = wsgi_app.load_app()
    db_api.reset()
    return server.Launcher(sock, app, workers=CONF.workers).run()
