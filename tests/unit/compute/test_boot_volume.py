"""Compute on Block Storage's manager at create: the root volume a server
boots from must be bootable."""
from cloudstack import context
from cloudstack.conf import CONF
from cloudstack.tasks import agents
from tests.unit.compute.conftest import API
from tests.unit.volume.conftest import backend, run_tasks as run_volume_tasks  # noqa: F401


def test_booting_from_a_volume_that_is_not_bootable_is_400(member, backend):  # noqa: F811
    from cloudstack.volume import agent, manager as volume_manager
    agents.register(CONF.host, 'volume', 'cloudstack-volume')
    agents.beat(CONF.host, {'volume': None})
    agent.get().report()
    mgr = volume_manager.get()
    ctx = context.RequestContext(user_id='u', project_id=member.project_id,
                                 roles=['member', 'reader'])
    volume = mgr.create_volume(ctx, {'size': 1, 'name': 'root'})
    run_volume_tasks()
    assert mgr.get_volume(ctx, volume['id'])['status'] == 'available'

    def create():
        return member.post(API + '/servers', {'server': {
            'name': 'vm', 'flavorRef': '1', 'imageRef': '',
            'block_device_mapping_v2': [{'boot_index': 0, 'uuid': volume['id'],
                                         'source_type': 'volume',
                                         'destination_type': 'volume'}]}})
    resp = create()
    assert resp.status_int == 400 and 'not bootable' in resp.text, resp.text
    mgr.set_bootable(ctx, volume['id'], True)
    resp = create()
    assert resp.status_int == 202, resp.text
