"""Options for the API worker processes (logging's are oslo.log's, see log.py)."""
from oslo_config import cfg

wsgi_opts = [
    cfg.IntOpt('wsgi_pool_size', default=100, min=1,
               help='Green threads serving requests in each API worker.'),
    cfg.IntOpt('keepalive_timeout', default=60, min=0,
               help='Seconds an idle keep-alive connection stays open; 0 turns '
                    'keep-alive off.'),
    cfg.IntOpt('client_socket_timeout', default=900, min=0,
               help='Seconds a client may stall while sending a request or '
                    'receiving a response; 0 waits forever.'),
    cfg.IntOpt('client_timeout', default=60, min=0,
               help='Seconds a client may pause while sending a request body '
                    '(as Swift\'s client_timeout); past it the request is '
                    'answered 408. 0: only client_socket_timeout applies.'),
]


def register_opts(conf):
    conf.register_opts(wsgi_opts)


def list_opts():
    return [('DEFAULT', wsgi_opts)]
