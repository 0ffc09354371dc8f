"""The Image (Glance v2) API."""
from cloudstack.api import wsgi
from cloudstack.image.api import images, info, members, schemas, versions


def app_factory(global_conf, **local_conf):
    router = wsgi.Router()
    ver = versions.Versions()
    router.connect('/', ver, public=True, GET='root')
    router.connect('/versions', ver, public=True, GET='index')

    img = images.Images()
    router.connect('/v2/images', img, GET='index', POST='create')
    router.connect('/v2/images/{image_id}', img, GET='show', PATCH='update',
                   DELETE='delete')
    router.connect('/v2/images/{image_id}/file', img, GET='download', PUT='upload')
    router.connect('/v2/images/{image_id}/stage', img, PUT='stage')
    router.connect('/v2/images/{image_id}/import', img, POST='import_image')
    router.connect('/v2/images/{image_id}/actions/deactivate', img,
                   POST='deactivate')
    router.connect('/v2/images/{image_id}/actions/reactivate', img,
                   POST='reactivate')
    router.connect('/v2/images/{image_id}/locations', img, GET='locations',
                   POST='add_location')
    router.connect('/v2/images/{image_id}/tags/{tag}', img, PUT='add_tag',
                   DELETE='delete_tag')

    mem = members.Members()
    router.connect('/v2/images/{image_id}/members', mem, GET='index',
                   POST='create')
    router.connect('/v2/images/{image_id}/members/{member_id}', mem, GET='show',
                   PUT='update', DELETE='delete')

    sch = schemas.Schemas()
    for name in ('image', 'images', 'member', 'members'):
        router.connect('/v2/schemas/%s' % name, sch, GET=name)

    inf = info.Info()
    router.connect('/v2/info/import', inf, GET='import_info')
    router.connect('/v2/info/stores', inf, GET='stores_info')
    router.connect('/v2/info/usage', inf, GET='usage')
    router.connect('/v2/stores/{store_id}/{image_id}', img,
                   DELETE='delete_from_store')

    from cloudstack.image.api import tasks
    tsk = tasks.Tasks()
    router.connect('/v2/tasks', tsk, GET='index', POST='create')
    router.connect('/v2/tasks/{task_id}', tsk, GET='show')
    router.connect('/v2/images/{image_id}/tasks', tsk, GET='image_tasks')
    router.connect('/v2/schemas/task', tsk, GET='task')
    router.connect('/v2/schemas/tasks', tsk, GET='tasks')

    from cloudstack.image.api import cache
    from cloudstack.wsgi import server
    cch = cache.Cache()
    server.at_worker_start(cch.manager.cache_filler().start)
    router.connect('/v2/cache', cch, GET='index', DELETE='clear')
    router.connect('/v2/cache/{image_id}', cch, PUT='queue', DELETE='delete')

    from cloudstack.image.api import metadefs
    metadefs.connect(router)
    return router
