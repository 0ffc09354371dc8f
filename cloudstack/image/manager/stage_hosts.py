"""Several Image API nodes, each with a staging directory of its own.

Data staged on a node records that node's URL ([image]
worker_self_reference_url) as the image's os_glance_stage_host. Another node
asked to import that image (glance-direct) or to delete it while it is staged
forwards the call there, with the caller's token, and answers as that node
answered. A forwarded call is never forwarded again.
"""
import logging

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.image import models

LOG = logging.getLogger(__name__)

STAGE_HOST = 'os_glance_stage_host'
# Marks a call one node forwarded to another.
FORWARDED_HEADER = 'X-Image-Stage-Forwarded'
FORWARD_TIMEOUT = 60


class StageHostError(exception.CloudstackError):
    """The staging node's own error, or why it could not be reached."""

    def __init__(self, code, title, message):
        self.code, self.title = code, title
        super().__init__(message)


def self_url():
    """This node's Image API URL, as other nodes reach it."""
    url = CONF.image.worker_self_reference_url
    if not url:
        url = (CONF.public_url or 'http://%s' % CONF.bind).rstrip('/') + '/image'
    return url.rstrip('/')


def _remote_message(resp):
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip()[:1000]
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and 'message' in value:
                return str(value['message'])
    return str(body)[:1000]


class StageHosts:
    @staticmethod
    def _stage_host_elsewhere(session, image_id):
        """The URL of the node holding the image's staged data, unless it is
        this one (or none is recorded)."""
        row = session.get(models.ImageProperty, (image_id, STAGE_HOST))
        if row is None or row.value.rstrip('/') == self_url():
            return None
        return row.value.rstrip('/')

    @staticmethod
    def forward_to_stage_host(ctx, stage_host, method, path, body=None, headers=None):
        """Make the caller's call (`method` `path` under the Image API, JSON
        `body`) on the staging node with the caller's token; its error if it
        refused, 504 when it cannot be reached."""
        url = stage_host + path
        LOG.info('forwarding %s %s to %s, the node holding its staged data',
                 method, path, stage_host)
        session = ks_session.Session(auth=token_endpoint.Token(stage_host, ctx.auth_token))
        headers = dict(headers or {}, **{FORWARDED_HEADER: '1'})
        try:
            resp = session.request(url, method, json=body, headers=headers,
                                   raise_exc=False, redirect=False, log=False,
                                   global_request_id=ctx.request_id,
                                   timeout=FORWARD_TIMEOUT)
        except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout) as exc:
            LOG.error('could not forward %s %s to %s: %s', method, path, stage_host, exc)
            raise StageHostError(504, 'Gateway Timeout', 'Stage host is unavailable')
        except ks_exceptions.ClientException as exc:
            LOG.error('could not forward %s %s to %s: %s', method, path, stage_host, exc)
            raise StageHostError(502, 'Bad Gateway', 'Stage host is unavailable')
        if resp.status_code // 100 != 2:
            raise StageHostError(resp.status_code, resp.reason or 'Error',
                                 _remote_message(resp))
        return resp
