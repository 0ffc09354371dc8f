"""The message bus (oslo.messaging), for deployments with a transport_url.

- RPC: each agent serves topic 'cloudstack-<role>' as server <host>, so
  tasks.call()/cast() reach one host's agent over the bus. Durable work is not
  sent here: tasks.enqueue() keeps it in SQL.
- Wake-ups without PostgreSQL: a fanout cast per channel (BusCarrier).
- Notifications: notify(), through oslo.messaging's Notifier and the
  [oslo_messaging_notifications] driver (none by default: nothing is sent and
  oslo.messaging is not even imported).

oslo.messaging reads its options ([oslo_messaging_rabbit], ...) from the same
config files as the rest, through a ConfigOpts of its own: its transport_url
defaults to rabbit://, ours to none (the embedded, database-backed transport).
"""
import contextlib
import importlib
import logging
import os
import threading
import uuid

from oslo_config import cfg

from cloudstack import exception
from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)
TOPIC = 'cloudstack-%s'
WAKE_TOPIC = 'cloudstack-wake-%s'
REMOTE_MODULES = ['cloudstack.exception', 'cloudstack.tasks.rpc']

_state = {}
_lock = threading.RLock()


def _om():
    import oslo_messaging
    return oslo_messaging


def _conf():
    """oslo.messaging's own ConfigOpts over our config files."""
    conf = cfg.ConfigOpts()
    conf([], project='cloudstack', default_config_files=list(CONF.config_file or []),
         default_config_dirs=[CONF.config_dir] if CONF.config_dir else [])
    # oslo.messaging registers some options (metrics, tracing) on the global
    # CONF only, yet reads them from the ConfigOpts it is given: register them
    # all here, as its own conffixture does.
    for module, attr, group in _MESSAGING_OPTS:
        with contextlib.suppress(ImportError, AttributeError):
            conf.register_opts(getattr(importlib.import_module(module), attr), group=group)
    return conf


_MESSAGING_OPTS = [
    ('oslo_messaging._drivers.impl_rabbit', 'rabbit_opts', 'oslo_messaging_rabbit'),
    ('oslo_messaging._drivers.amqp', 'amqp_opts', 'oslo_messaging_rabbit'),
    ('oslo_messaging.rpc.client', '_client_opts', None),
    ('oslo_messaging.transport', '_transport_opts', None),
    ('oslo_messaging.rpc.dispatcher', '_dispatcher_opts', None),
    ('oslo_messaging.notify.notifier', '_notifier_opts', 'oslo_messaging_notifications'),
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics', 'oslo_messaging_metrics'),
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing', 'oslo_messaging_tracing'),
]


def _get(key, make):
    """A per-process singleton (transports do not survive fork)."""
    with _lock:
        if _state.get('pid') != os.getpid() or _state.get('url') != CONF.transport_url:
            _state.clear()
            _state.update(pid=os.getpid(), url=CONF.transport_url)
        if key not in _state:
            _state[key] = make()
        return _state[key]


def reset():
    """Close this process's transports (tests; a changed transport_url)."""
    with _lock:
        for key in ('rpc', 'notify'):
            if key in _state and _state.get('pid') == os.getpid():
                _state[key].cleanup()
        _state.clear()


def rpc_transport():
    def make():
        om = _om()
        return om.get_rpc_transport(_get('conf', _conf), url=CONF.transport_url,
                                    allowed_remote_exmods=REMOTE_MODULES)
    return _get('rpc', make)


def _client(target, timeout=None):
    om = _om()
    return om.get_rpc_client(rpc_transport(), target, timeout=timeout)


def call(name, args, *, role, host, timeout):
    from cloudstack.tasks import rpc
    om = _om()
    client = _client(om.Target(topic=TOPIC % role, server=host), timeout=timeout)
    try:
        return client.call({}, 'run', name=name, args=args)
    except om.MessagingTimeout:
        raise rpc.CallTimeout('The %s agent on host %s did not answer %s in %ss.'
                              % (role, host, name, timeout)) from None
    except om.RemoteError as exc:
        raise rpc.RemoteError('%s failed in the agent: %s: %s' % (
            name, exc.exc_type, exc.value)) from None
    except exception.CloudstackError:
        raise
    except om.MessagingException as exc:
        raise rpc.CallError('Calling the %s agent on host %s failed: %s'
                            % (role, host, exc)) from None


def cast(name, args, *, role, host=None):
    om = _om()
    _client(om.Target(topic=TOPIC % role, server=host)).cast({}, 'run', name=name, args=args)


class _Agent:
    """The RPC endpoint of an agent: runs registered handlers by name."""

    def run(self, ctxt, name, args):
        from cloudstack.tasks import queue
        from cloudstack.tasks import rpc
        om = _om()
        LOG.info('call %s', name)
        try:
            return queue.resolve(name)(**args)
        except exception.CloudstackError as exc:
            LOG.warning('call %s failed: %s', name, exc)
            raise om.ExpectedException()    # the caller gets the error itself
        except Exception as exc:
            LOG.exception('call %s failed', name)
            try:
                raise rpc.RemoteError('%s failed in the agent: %s: %s' % (
                    name, type(exc).__name__, exc))
            except rpc.RemoteError:
                raise om.ExpectedException()


def serve(role, host):
    """Serve the calls to the agent of `role` on `host`; the started server."""
    om = _om()
    server = om.get_rpc_server(rpc_transport(), om.Target(topic=TOPIC % role, server=host),
                               [_Agent()])
    server.start()
    return server


# --- wake-ups ---------------------------------------------------------------

class _Waker:
    def __init__(self, callback):
        self.callback = callback

    def wake(self, ctxt, payload=''):
        self.callback(payload)


class BusCarrier:
    """Wake-ups as fanout casts: every process listening on a channel gets each."""

    def send(self, channel, payload, session):
        from cloudstack.tasks import wakeup
        if session is None:
            self.send_now([(channel, payload)])
        else:
            session.info.setdefault(wakeup._PENDING, []).append((channel, payload))

    def send_now(self, messages):
        from cloudstack.tasks import wakeup
        om = _om()
        for channel, payload in messages:
            target = om.Target(topic=WAKE_TOPIC % wakeup._digest(channel), fanout=True)
            _client(target).cast({}, 'wake', payload=payload)

    def listen(self, channel, callback):
        from cloudstack.tasks import wakeup
        om = _om()
        target = om.Target(topic=WAKE_TOPIC % wakeup._digest(channel),
                           server=uuid.uuid4().hex)
        server = om.get_rpc_server(rpc_transport(), target, [_Waker(callback)])
        server.start()

        def close():
            server.stop()
            server.wait()
        return wakeup._Handle(close)

    def close(self):
        pass


# --- notifications ----------------------------------------------------------

def notifications_enabled():
    drivers = CONF.oslo_messaging_notifications.driver
    return bool(drivers) and drivers != ['noop']


def notifier(publisher_id):
    """An oslo.messaging Notifier for `publisher_id` ('image.host1'), or None
    when notifications are off."""
    if not notifications_enabled():
        return None

    def make():
        om = _om()
        conf = _get('conf', _conf)
        url = conf.oslo_messaging_notifications.transport_url or CONF.transport_url
        return om.get_notification_transport(conf, url=url)
    transport = _get('notify', make)
    # Ours is the option that counts (tests and operators may override it).
    transport.conf.set_override('driver', CONF.oslo_messaging_notifications.driver,
                                group='oslo_messaging_notifications')
    return _om().Notifier(transport, publisher_id=publisher_id)


def notify(context, event_type, payload, publisher_id, priority='info'):
    """Send a notification (e.g. 'image.create', an API dict) if they are on."""
    sender = notifier(publisher_id)
    if sender is None:
        return
    ctxt = context.to_dict() if hasattr(context, 'to_dict') else (context or {})
    getattr(sender, priority)(ctxt, event_type, payload)
