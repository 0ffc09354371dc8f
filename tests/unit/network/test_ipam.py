"""IPAM: pools, and exact allocation when many processes create ports at once."""
import collections
import multiprocessing
import threading

import pytest

from cloudstack import context
from cloudstack.db import api as db_api
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network.manager import ports as ports_area

PROCESSES, THREADS = 10, 5


def test_default_pools_leave_out_the_gateway_and_the_edges():
    assert ipam.default_pools('10.0.0.0/24', '10.0.0.1') == [
        {'start': '10.0.0.2', 'end': '10.0.0.254'}]
    assert ipam.default_pools('10.0.0.0/24', '10.0.0.100') == [
        {'start': '10.0.0.1', 'end': '10.0.0.99'}, {'start': '10.0.0.101', 'end': '10.0.0.254'}]
    assert ipam.default_pools('2001:db8::/64', None) == [
        {'start': '2001:db8::1', 'end': '2001:db8::ffff:ffff:ffff:ffff'}]


def test_pools_are_checked():
    with pytest.raises(ipam.GatewayConflictWithAllocationPools):
        ipam.validate_pools('10.0.0.0/24', [{'start': '10.0.0.1', 'end': '10.0.0.9'}],
                            '10.0.0.5')
    with pytest.raises(exc.BadRequest, match='overlapping'):
        ipam.validate_pools('10.0.0.0/24', [{'start': '10.0.0.2', 'end': '10.0.0.9'},
                                            {'start': '10.0.0.9', 'end': '10.0.0.20'}], None)
    with pytest.raises(exc.BadRequest, match='spans beyond'):
        ipam.validate_pools('10.0.0.0/24', [{'start': '10.0.0.2', 'end': '10.0.1.9'}], None)


def test_eui64():
    assert ipam.eui64('2001:db8::/64', 'fa:16:3e:12:34:56') == '2001:db8::f816:3eff:fe12:3456'


def _create_ports(network_id, ready, results):
    """One process: THREADS threads, each creating one port when `ready` is set."""
    db_api.reset()
    from cloudstack.network import manager
    manager._manager = None
    mgr = manager.get()
    ctx = context.RequestContext(project_id='project-a', roles=['admin'], is_admin=True)
    lock = threading.Lock()
    out = []

    def one():
        ready.wait()
        try:
            port = mgr.create_port(ctx, {'network_id': network_id})
            found = ('ok', port['fixed_ips'][0]['ip_address'], port['mac_address'])
        except exc.IpAddressGenerationFailure:
            found = ('IpAddressGenerationFailure', None, None)
        except Exception as error:     # reported, and fails the test
            found = (type(error).__name__ + ': ' + str(error), None, None)
        with lock:
            out.append(found)

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for item in out:
        results.put(item)


def test_fifty_concurrent_creates_on_ten_free_addresses(mgr, alice):
    network = mgr.create_network(alice, {'name': 'tight'})
    mgr.create_subnet(alice, {'network_id': network['id'], 'ip_version': 4,
                              'cidr': '10.9.0.0/24', 'enable_dhcp': False,
                              'allocation_pools': [{'start': '10.9.0.10',
                                                    'end': '10.9.0.19'}]})
    ctx = multiprocessing.get_context('fork')
    ready, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_create_ports, args=(network['id'], ready, results))
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    ready.set()
    found = [results.get(timeout=120) for _ in range(PROCESSES * THREADS)]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    outcomes = collections.Counter(f[0] for f in found)
    assert outcomes == {'ok': 10, 'IpAddressGenerationFailure': 40}
    addresses = sorted(f[1] for f in found if f[0] == 'ok')
    assert addresses == ['10.9.0.%d' % i for i in range(10, 20)]
    assert len({f[2] for f in found if f[0] == 'ok'}) == 10
    db_api.reset()
    ports = mgr.list_ports(alice, network_id=network['id'])
    assert sorted(p['fixed_ips'][0]['ip_address'] for p in ports) == addresses


def test_a_mac_never_repeats_in_a_network(mgr, alice, net, monkeypatch):
    network, _subnet = net
    first = mgr.create_port(alice, {'network_id': network['id']})
    # The generator offers the taken MAC twice before a new one.
    offers = iter([first['mac_address'], first['mac_address'], 'fa:16:3e:00:00:01'])
    monkeypatch.setattr(ports_area, 'random_mac', lambda: next(offers))
    second = mgr.create_port(alice, {'network_id': network['id']})
    assert second['mac_address'] == 'fa:16:3e:00:00:01'
    with pytest.raises(exc.MacAddressInUse):
        mgr.create_port(alice, {'network_id': network['id'],
                                'mac_address': first['mac_address']})
    # Another network may reuse it.
    other = mgr.create_network(alice, {'name': 'n2'})
    assert mgr.create_port(alice, {'network_id': other['id'], 'mac_address':
                                   first['mac_address']})['mac_address'] == \
        first['mac_address']


def test_a_taken_address_is_a_conflict_and_a_freed_one_is_given_again(mgr, alice, net):
    network, subnet = net
    port = mgr.create_port(alice, {'network_id': network['id'], 'fixed_ips': [
        {'ip_address': '10.0.0.50'}]})
    with pytest.raises(exc.IpAddressInUse):
        mgr.create_port(alice, {'network_id': network['id'], 'fixed_ips': [
            {'subnet_id': subnet['id'], 'ip_address': '10.0.0.50'}]})
    mgr.delete_port(alice, port['id'])
    again = mgr.create_port(alice, {'network_id': network['id'], 'fixed_ips': [
        {'ip_address': '10.0.0.50'}]})
    assert again['fixed_ips'] == [{'subnet_id': subnet['id'], 'ip_address': '10.0.0.50'}]
    with pytest.raises(exc.InvalidIpForNetwork):
        mgr.create_port(alice, {'network_id': network['id'], 'fixed_ips': [
            {'ip_address': '10.1.0.5'}]})


def test_vnis_are_given_once_and_run_out(mgr, alice, conf):
    conf.set_override('vni_ranges', ['5:7'], group='network')
    try:
        vnis = [mgr.create_network(alice, {})['provider:segmentation_id'] for _ in range(3)]
        assert sorted(vnis) == [5, 6, 7]
        with pytest.raises(exc.NetworkVxlanRangeExhausted):
            mgr.create_network(alice, {})
        conf.set_override('tenant_network_types', ['vxlan', 'local'], group='network')
        assert mgr.create_network(alice, {})['provider:network_type'] == 'local'
    finally:
        conf.clear_override('vni_ranges', group='network')
        conf.clear_override('tenant_network_types', group='network')
