"""/os-console-auth-tokens/{token}: where a console token leads (admins;
what a console proxy of another deployment asks)."""
from cloudstack import exception
from cloudstack.compute import manager
from cloudstack.compute.api import common


class ConsoleAuthTokens:
    def __init__(self):
        self.manager = manager.get()

    def show(self, req, console_token):
        common.authorize(req, 'os_compute_api:os-console-auth-tokens')
        found = self.manager.validate_console_token(console_token)
        if not common.at_least(req, '2.31') and found['console_type'] != 'rdp-html5':
            raise exception.BadRequest('The requested console type details are not '
                                       'accessible')
        console = {k: found[k] for k in ('instance_uuid', 'host', 'port',
                                         'internal_access_path')}
        if common.at_least(req, '2.99'):
            console['tls_port'] = None
        return {'console': console}


def add_routes(router):
    router.connect('/os-console-auth-tokens/{console_token}', ConsoleAuthTokens(),
                   GET='show')
