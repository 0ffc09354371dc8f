"""Interoperable import: glance-direct, web-download, copy-image and
glance-download (from the Image service of a region in the catalog)."""
import contextlib
import hashlib
import json
import logging
import os
import urllib.parse
import urllib.request
import uuid

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import sqlalchemy as sa

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import conversion
from cloudstack.image import models
from cloudstack.image import stores
from cloudstack.image.stores import http as http_store
from cloudstack.image.manager import base
from cloudstack.image.manager import stage_hosts
from cloudstack.image.manager.base import (
    CONTAINER_FORMATS, CORE, DISK_FORMATS, FAILED_IMPORT, GLANCE_DOWNLOAD, IMPORTING_TO,
    IMPORT_TASK, RESERVED_PREFIX, TASK_HANDLER, import_methods)

# The most JSON a remote Image service's image record may be.
MAX_REMOTE_RECORD = 1024 * 1024

def check_url(url):
    """BadRequest unless `url` is an http(s) URL of an allowed host."""
    if not isinstance(url, str) or not url:
        raise exception.BadRequest('A URI to import from is required.')
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise exception.BadRequest('Invalid URI %s' % url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise exception.BadRequest('URI %s is not an http or https URL.' % url)
    default_port = 443 if parts.scheme == 'https' else 80
    if not http_store.host_allowed(CONF.image.web_download_allowed_hosts,
                                   parts.hostname.lower(), port or default_port,
                                   default_port):
        raise exception.BadRequest(
            'Importing from host %s is not allowed (see [image] '
            'web_download_allowed_hosts).' % parts.hostname)
    return url

LOG = logging.getLogger(__name__)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL that is allowed too."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(urllib.parse.urljoin(req.full_url, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_url(url):
    """(response, Content-Length or None) of an allowed URL, streaming."""
    check_url(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    try:
        resp = opener.open(url, timeout=CONF.image.web_download_timeout)
    except exception.CloudstackError:
        raise
    except Exception as exc:
        raise exception.BadRequest('Could not download %s: %s' % (url, exc))
    length = resp.headers.get('Content-Length')
    return resp, int(length) if length and length.isdigit() else None


def check_glance_download(method):
    """BadRequest unless a glance-download request names a region and an image
    id that looks like a UUID; the interface defaults to public (as Glance)."""
    for key in ('glance_region', 'glance_image_id'):
        if key not in method:
            raise exception.BadRequest(
                "'%s' needs to be set for glance-download import method" % key)
    method.setdefault('glance_service_interface', 'public')
    for key in ('glance_region', 'glance_image_id', 'glance_service_interface'):
        if not isinstance(method[key], str):
            raise exception.BadRequest('%s must be a string' % key)
    try:
        uuid.UUID(method['glance_image_id'])
    except ValueError:
        raise exception.BadRequest('Remote image id does not look like a UUID: %s'
                                   % method['glance_image_id'])


class _RemoteResponse:
    """A streaming response: read(n) and a context that closes it."""

    def __init__(self, resp):
        self.resp = resp

    def read(self, size=-1):
        return self.resp.raw.read(None if size < 0 else size, decode_content=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.resp.close()


def open_remote(url, auth_token):
    """The response of a remote Image service to a GET of `url` with the
    caller's token, through a keystoneauth1 session; BadRequest when it cannot
    be reached or says no. Redirects are refused: the token goes to the
    catalog's endpoint only."""
    session = ks_session.Session(auth=token_endpoint.Token(url, auth_token))
    try:
        resp = session.get(url, stream=True, redirect=False,
                           timeout=CONF.image.web_download_timeout)
    except ks_exceptions.HttpError as exc:
        raise exception.BadRequest('%s answered %s %s' % (url, exc.http_status,
                                                          exc.message))
    except ks_exceptions.ClientException as exc:
        raise exception.BadRequest('Could not reach %s: %s' % (url, exc))
    if resp.is_redirect:
        resp.close()
        raise exception.BadRequest('%s redirected to %s; the token is not sent on.'
                                   % (url, resp.headers.get('Location')))
    return _RemoteResponse(resp)


def glance_endpoint(catalog, region, interface):
    """The URL of the Image service of `region` (any case) and `interface`."""
    for service in catalog:
        if service.get('type') != 'image':
            continue
        for ep in service.get('endpoints', []):
            if (ep.get('region_id') or ep.get('region') or '').lower() == \
                    region.lower() and ep.get('interface') == interface:
                url = ep['url'].rstrip('/')
                if urllib.parse.urlsplit(url).scheme not in ('http', 'https'):
                    break
                return url
    raise exception.NotFound('No %s Image service endpoint in region %s' % (
        interface, region))


class Imports:
    def import_image(self, ctx, image_id, body, store_header=None, forwarded=False):
        """Validate an import request and queue its task; returns the task id,
        or None when the staging node of its data took it (`forwarded`: this
        call came from another node, and is not forwarded again)."""
        if not isinstance(body, dict) or not isinstance(body.get('method'), dict):
            raise exception.BadRequest('An import request needs a method.')
        method = body['method'].get('name')
        if method not in import_methods():
            raise exception.BadRequest('Import method %s is not valid.' % method)
        if method == 'web-download':
            check_url(body['method'].get('uri'))
        elif method == GLANCE_DOWNLOAD:
            check_glance_download(body['method'])
        all_stores = body.get('all_stores', False)
        must_succeed = body.get('all_stores_must_succeed', True)
        for key, value in (('all_stores', all_stores),
                           ('all_stores_must_succeed', must_succeed)):
            if not isinstance(value, bool):
                raise exception.BadRequest('%s must be a boolean' % key)
        wanted = body.get('stores')
        if wanted is not None:
            if all_stores:
                raise exception.BadRequest('Give stores or all_stores, not both.')
            if not isinstance(wanted, list) or not wanted or not all(
                    isinstance(s, str) for s in wanted):
                raise exception.BadRequest('stores must be a list of store ids')
            for store_id in wanted:
                self.check_store(store_id)
        elif store_header and not all_stores:
            wanted = [self.check_store(store_header)]
        if method == 'glance-direct' and not forwarded:
            with db_api.reader() as session:
                self._get_visible(session, ctx, image_id)
                stage_host = self._stage_host_elsewhere(session, image_id)
            if stage_host:
                self.forward_to_stage_host(
                    ctx, stage_host, 'POST', '/v2/images/%s/import' % image_id, body,
                    {'X-Image-Meta-Store': store_header} if store_header else None)
                return None
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            if not img.disk_format or not img.container_format:
                raise exception.BadRequest(
                    'Properties disk_format and container_format must be set '
                    'before the image is imported.')
            props = self._record(session, img)['properties']
            if self._import_running(session, props.get(IMPORT_TASK)):
                raise exception.Conflict('Image %s is already being imported.'
                                         % image_id)
            have = self._locations(session, img)
            if all_stores:
                targets = [s for s in stores.available(CONF) if s not in have]
            elif wanted:
                targets = list(dict.fromkeys(wanted))
            elif method == 'copy-image':
                raise exception.BadRequest('copy-image needs stores or all_stores.')
            else:
                targets = [stores.default(CONF)]
            if method == 'copy-image':
                if img.status != 'active':
                    raise exception.Conflict('Only an active image can be copied.')
                targets = [s for s in targets if s not in have]
                if not targets:
                    raise exception.Conflict('Image %s is already in every store '
                                             'asked for.' % image_id)
            else:
                needed = 'uploading' if method == 'glance-direct' else 'queued'
                if img.status != needed:
                    raise exception.Conflict(
                        'Image status %s does not allow a %s import.' % (
                            img.status, method))
                if method == 'glance-direct' and not os.path.exists(
                        self._staging_path(image_id)):
                    raise exception.Conflict('Image %s has no staged data' % image_id)
                if method in ('web-download', GLANCE_DOWNLOAD):
                    self._enforce(session, img.owner, ('image_count_uploading',))
                img.status = 'importing'
            img.updated_at = utcnow()
            task_id = str(uuid.uuid4())
            now = utcnow()
            session.add(models.ImageTask(
                id=task_id, type='api_image_import', status='pending',
                owner=ctx.project_id, image_id=image_id, user_id=ctx.user_id,
                request_id=ctx.request_id, message='', created_at=now,
                updated_at=now, input={
                    'image_id': image_id, 'import_req': body, 'backend': targets,
                    'all_stores_must_succeed': must_succeed}))
            self._set_props(session, image_id, {
                IMPORT_TASK: task_id, IMPORTING_TO: ','.join(targets),
                FAILED_IMPORT: '', stage_hosts.STAGE_HOST: None})
            args = {'task_id': task_id}
            if method == 'glance-direct':
                args['staging_dir'] = self.staging_dir()     # this node's
            if method == GLANCE_DOWNLOAD:
                # The remote Image service wants the caller's token, as
                # Glance sends it; it stays out of the task the API shows.
                args['auth_token'] = ctx.auth_token
            tasks.enqueue(session, TASK_HANDLER, args, resource=('image', image_id))
        return task_id

    def _import_running(self, session, task_id):
        if not task_id:
            return False
        task = session.get(models.ImageTask, task_id)
        return task is not None and task.status in ('pending', 'processing')

    @staticmethod
    def _set_props(session, image_id, values):
        """Set (None: remove) server-kept properties of the image."""
        for name, value in values.items():
            row = session.get(models.ImageProperty, (image_id, name))
            if value is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(models.ImageProperty(image_id=image_id, name=name,
                                                 value=value))
            else:
                row.value = value
        session.flush()

    def _update_props(self, image_id, values):
        with db_api.writer() as session:
            # Locked as a PATCH locks it, which rewrites all properties.
            if self._row(session, image_id, lock=True) is not None:
                self._set_props(session, image_id, values)

    @staticmethod
    def _add_location(session, image_id, store_id, location):
        row = session.scalars(sa.select(models.ImageLocation).where(
            models.ImageLocation.image_id == image_id,
            models.ImageLocation.store == store_id)).first()
        if row is None:
            session.add(models.ImageLocation(image_id=image_id, store=store_id,
                                             url=location, created_at=utcnow()))
        else:
            row.url = location

    def _run_api_import(self, task, auth_token=None, staging_dir=None):
        inp = task['input']
        image_id = inp['image_id']
        method = inp['import_req']['method']['name']
        targets = list(inp['backend'])
        must = inp.get('all_stores_must_succeed', True)
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                raise exception.NotFound('Image %s is gone.' % image_id)
            disk_format, owner = img.disk_format, img.owner
        done, failed = [], []

        def progress():
            self._update_props(image_id, {
                IMPORTING_TO: ','.join(t for t in targets
                                       if t not in done and t not in failed),
                FAILED_IMPORT: ','.join(failed)})

        try:
            if method != 'copy-image':
                first = targets[0]
                revert = 'queued'   # bad data stays bad: start over
                try:
                    if method == 'glance-direct':
                        self._store_import_data(image_id, disk_format, first, owner,
                                                staged=self._staging_path(image_id,
                                                                          staging_dir))
                    elif method == GLANCE_DOWNLOAD:
                        self._glance_download(task, first, auth_token)
                    else:
                        resp, length = open_url(inp['import_req']['method']['uri'])
                        with resp:
                            self._store_import_data(image_id, disk_format, first, owner,
                                                    chunks=base.read_chunks(resp))
                except FileNotFoundError:
                    self._transition(image_id, 'importing', 'queued')
                    failed.append(first)
                    raise exception.Conflict('Image %s has no staged data' % image_id)
                except Exception:
                    self._transition(image_id, 'importing', revert)
                    if method == 'glance-direct':
                        self._drop_staged(image_id, staging_dir)
                    failed.append(first)
                    raise
                if method == 'glance-direct':
                    self._drop_staged(image_id, staging_dir)
                done.append(first)
                progress()
            for store_id in targets:
                if store_id in done:
                    continue
                try:
                    self._copy_to_store(image_id, store_id)
                    done.append(store_id)
                except Exception as exc:
                    LOG.warning('image %s: copy to store %s failed: %s', image_id,
                                store_id, exc)
                    failed.append(store_id)
                    if must:
                        self._revert_copies(image_id, done, method != 'copy-image')
                        raise exception.Conflict(
                            'Import of image %s to store %s failed (%s); all '
                            'stores had to succeed.' % (image_id, store_id, exc))
                progress()
        finally:
            progress()
            self._update_props(image_id, {IMPORT_TASK: None})
        return {'image_id': image_id, 'stores': done, 'failed_stores': failed}

    def _store_import_data(self, image_id, disk_format, store_id, owner, chunks=None,
                           staged=None, length=None):
        """Store an importing image's data (`chunks` of `length` bytes, or the
        file `staged`) in `store_id`, converted first to [image]
        image_conversion_format when that is set (then its disk_format is the
        target's and its container_format bare; put back if storing fails).
        The image stays importing when this fails."""
        cap = self._size_cap(owner)
        target = CONF.image.image_conversion_format
        if not target:
            if staged is None:
                self._ingest(image_id, disk_format, chunks, length, from_status='importing',
                             revert_to='importing', store_id=store_id, cap=cap)
                return
            with open(staged, 'rb') as f:
                self._ingest(image_id, disk_format, base.read_chunks(f), None,
                             from_status='importing', revert_to='importing',
                             store_id=store_id, cap=cap)
            return
        path = staged or self._download_for_conversion(image_id, chunks, length, cap)
        converted = path
        try:
            converted, fmt = conversion.convert(path, disk_format, target)
            before = None
            if fmt != disk_format:
                before = self._set_import_metadata(
                    image_id, {'disk_format': fmt, 'container_format': 'bare'}, {})
            try:
                with open(converted, 'rb') as f:
                    self._ingest(image_id, fmt, base.read_chunks(f), None,
                                 from_status='importing', revert_to='importing',
                                 store_id=store_id, cap=cap)
            except Exception:
                if before:
                    with contextlib.suppress(exception.Conflict):
                        self._set_import_metadata(image_id, *before)
                raise
        finally:
            for leftover in {converted, path} - {staged}:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)

    def _download_for_conversion(self, image_id, chunks, length, cap):
        """Write the chunks to a file in the staging directory; its path."""
        os.makedirs(self.staging_dir(), exist_ok=True)
        path = self._staging_path(image_id) + '.download'
        try:
            size = self._write_capped(path, chunks, cap)
            if length is not None and size != length:
                raise exception.BadRequest('Received %d bytes, expected %d.' % (
                    size, length))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        return path

    # -- glance-download -------------------------------------------------

    def _glance_download(self, task, store_id, auth_token):
        """Fill the image from an image of the Image service of a region in
        the task owner's catalog: its formats and the properties
        [image] glance_download_properties names, then its data. A failure
        puts the image's own formats and properties back."""
        image_id = task['input']['image_id']
        method = task['input']['import_req']['method']
        if not auth_token:
            raise exception.Conflict('The caller\'s token for the glance-download of '
                                     'image %s is gone; import again.' % image_id)
        from cloudstack.identity import manager as identity_manager
        catalog = identity_manager.get().get_catalog(task['user_id'], task['owner'])
        url = '%s/v2/images/%s' % (
            glance_endpoint(catalog, method['glance_region'],
                            method['glance_service_interface']),
            method['glance_image_id'])
        with open_remote(url, auth_token) as resp:
            try:
                remote = json.loads(resp.read(MAX_REMOTE_RECORD + 1))
            except ValueError:
                remote = None
        if not isinstance(remote, dict):
            raise exception.BadRequest('%s did not answer with an image.' % url)
        if remote.get('status') != 'active':
            raise exception.Conflict('Source image status should be active instead '
                                     'of %s' % remote.get('status'))
        try:
            size = int(remote['size'])
        except (KeyError, TypeError, ValueError):
            raise exception.BadRequest('Size attribute of remote image %s could not be '
                                       'determined.' % method['glance_image_id'])
        disk_format = remote.get('disk_format')
        container_format = remote.get('container_format')
        if disk_format not in DISK_FORMATS or container_format not in CONTAINER_FORMATS:
            raise exception.BadRequest('Remote image %s has formats %s/%s.' % (
                method['glance_image_id'], disk_format, container_format))
        prefixes = tuple(CONF.image.glance_download_properties)
        copied = {k: v for k, v in remote.items()
                  if prefixes and k.startswith(prefixes) and k not in CORE
                  and not k.startswith(RESERVED_PREFIX) and isinstance(v, str)
                  and len(k) <= 255}
        before = self._set_import_metadata(image_id, {
            'disk_format': disk_format, 'container_format': container_format}, copied)
        try:
            with open_remote(url + '/file', auth_token) as data:
                self._store_import_data(image_id, disk_format, store_id, task['owner'],
                                        chunks=base.read_chunks(data), length=size)
        except Exception:
            with contextlib.suppress(exception.Conflict):     # deleted meanwhile
                self._set_import_metadata(image_id, *before)
            raise

    def _set_import_metadata(self, image_id, columns, props):
        """Set formats and properties of an importing image; returns what
        they were, for putting them back."""
        with db_api.writer() as session:
            img = self._row(session, image_id, lock=True)
            if img is None or img.status != 'importing':
                raise exception.Conflict('Image %s is no longer importing.' % image_id)
            old_columns = {k: getattr(img, k) for k in columns}
            old_props = {k: (row.value if row is not None else None)
                         for k, row in ((k, session.get(models.ImageProperty,
                                                        (image_id, k)))
                                        for k in props)}
            for key, value in columns.items():
                setattr(img, key, value)
            img.updated_at = utcnow()
            self._set_props(session, image_id, props)
        return old_columns, old_props

    def _copy_to_store(self, image_id, store_id):
        """Stream the image's data from a store holding it into `store_id`."""
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None or img.status != 'active':
                raise exception.Conflict('Image %s is not active.' % image_id)
            have = self._locations(session, img)
            checksum, size = img.checksum, img.size
        if store_id in have:
            return
        src_store, src_loc = next(iter(have.items()))
        chunks = self.store(src_store).get(src_loc)
        md5 = hashlib.md5(usedforsecurity=False)

        def counted():
            for chunk in chunks:
                md5.update(chunk)
                yield chunk
        target = self.store(store_id)
        location, written = target.add(image_id, counted())
        if written != size or (checksum and md5.hexdigest() != checksum):
            target.delete(location)
            raise exception.Conflict('Copy of image %s to %s does not match its '
                                     'data.' % (image_id, store_id))
        with db_api.writer() as session:
            img = session.get(models.Image, image_id)
            kept = img is not None and img.status in ('active', 'deactivated')
            if kept:
                self._add_location(session, image_id, store_id, location)
        if not kept:
            target.delete(location)
            raise exception.Gone('Image %s was deleted during the copy.' % image_id)

    def _revert_copies(self, image_id, written, reset):
        """Undo an import that had to reach every store: drop the data it
        wrote; `reset` (a new image's first data) back to queued."""
        with db_api.writer() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                return
            locations = self._locations(session, img)
            dropped = {s: locations[s] for s in written if s in locations}
            session.execute(sa.delete(models.ImageLocation).where(
                models.ImageLocation.image_id == image_id,
                models.ImageLocation.store.in_(list(dropped))))
            if reset:
                img.status = 'queued'
                img.size = img.virtual_size = img.checksum = None
                img.os_hash_algo = img.os_hash_value = None
                img.store = img.location = None
                dropped = locations
                session.execute(sa.delete(models.ImageLocation).where(
                    models.ImageLocation.image_id == image_id))
            img.updated_at = utcnow()
        self._delete_data(dropped)

    def delete_from_store(self, ctx, store_id, image_id):
        """DELETE /v2/stores/{store_id}/{image_id}: drop one store's copy."""
        if store_id not in stores.available(CONF):
            raise exception.NotFound('Store %s is not enabled.' % store_id)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            if img.status != 'active':
                raise exception.Conflict('Data can only be removed from a store '
                                         'for an active image.')
            props = self._record(session, img)['properties']
            if self._import_running(session, props.get(IMPORT_TASK)):
                raise exception.Conflict('Image %s is being imported.' % image_id)
            locations = self._locations(session, img)
            if store_id not in locations:
                raise exception.NotFound('Image %s is not in store %s.' % (
                    image_id, store_id))
            if len(locations) == 1:
                raise exception.Forbidden(
                    'Cannot delete the last location of image %s.' % image_id)
            session.execute(sa.delete(models.ImageLocation).where(
                models.ImageLocation.image_id == image_id,
                models.ImageLocation.store == store_id))
            if img.store == store_id:
                other = next(s for s in locations if s != store_id)
                img.store, img.location = other, locations[other]
                self._add_location(session, image_id, other, locations[other])
            img.updated_at = utcnow()
        self._delete_data({store_id: locations[store_id]})
