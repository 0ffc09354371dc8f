"""The linuxbridge driver on real packets, driven through driver.sync(state).

Two namespaces stand as two hosts joined by a veth underlay and VXLAN;
instances are namespaces plugged into ports; an "outside" namespace sits
behind the first host's physical interface (a flat external network). The
states are hand-made Neutron dicts (netbed.State), as host_state() gives
them. Needs root, dnsmasq, iptables, ipset and busybox.
"""
import hashlib
import hmac
import http.server
import os
import re
import signal
import threading
import time

import pytest

from cloudstack.network.drivers.linuxbridge import LinuxBridgeDriver
from cloudstack.network.drivers.linuxbridge import bridge_table
from cloudstack.network.drivers.linuxbridge import plan as planner
from cloudstack.network.drivers.linuxbridge import processes
from tests.functional import netbed

pytestmark = pytest.mark.skipif(netbed.missing_tools() is not None,
                                reason=str(netbed.missing_tools()))

SECRET = 'metadata-secret'


class FakeMetadata:
    """Compute's metadata app as far as the proxy is concerned: it trusts
    only a correctly signed X-Instance-ID and answers with it."""

    def __init__(self):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                instance = self.headers.get('X-Instance-ID', '')
                signature = self.headers.get('X-Instance-ID-Signature', '')
                good = hmac.new(SECRET.encode(), instance.encode(), hashlib.sha256).hexdigest()
                seen.append(dict(self.headers))
                if not instance or not hmac.compare_digest(good, signature):
                    self.send_response(403)
                    self.end_headers()
                    return
                body = ('%s %s\n' % (instance, self.path)).encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def metadata():
    app = FakeMetadata()
    yield app
    app.close()


@pytest.fixture
def bed(tmp_path):
    bed = netbed.Netbed(tmp_path)
    yield bed
    bed.cleanup()


def driver(bed, host, use_worker=False, **settings):
    return LinuxBridgeDriver(host, settings=planner.Settings(
        state_dir=os.path.join(bed.state_root, host), host_namespace=bed.ns(host),
        namespace_prefix=bed.ns(host) + '-', **settings), use_worker=use_worker)


def traces(bed, host):
    """What the driver of `host` left: its namespaces, bridges and VXLANs,
    chains, ipsets, nftables tables and live daemons."""
    ns = bed.ns(host)
    links = [n for n in bed.nl.links(ns) if n.startswith(('brq', 'vxlan-'))]
    namespaces = [n for n in bed.nl.namespaces() if n.startswith(ns + '-')]
    chains = []
    for save in ('iptables-save', 'ip6tables-save', 'ebtables-save'):
        text = bed.run(ns, [save], check=True).stdout
        chains += re.findall(r'^[:-].*\bcs-\S+', text, re.M)
    sets = [s for s in bed.run(ns, ['ipset', 'list', '-n'], check=True).stdout.split()
            if s.startswith('cs')]
    tables = [t for t in bridge_table.tables(ns) if t.startswith('cs')]
    daemons = [p for p in netbed.daemon_pidfiles(os.path.join(bed.state_root, host))
               if processes.running(p)[0]]
    return {k: v for k, v in dict(links=links, namespaces=namespaces, chains=chains, ipsets=sets,
                                  tables=tables, daemons=daemons).items() if v}


def two_hosts(bed, metadata):
    """The topology and the state most tests share: a VXLAN network on both
    hosts, DHCP and a router (SNAT to the flat external network) on h1."""
    h1, h2 = bed.host('h1'), bed.host('h2')
    bed.underlay(h1, '10.99.0.1', h2, '10.99.0.2')
    ext_ns = bed.outside(h1, 'ext0', 'ext', '172.24.4.1/24')
    st = netbed.State()
    st.vteps = {'h1': '10.99.0.1', 'h2': '10.99.0.2'}
    st.metadata = {'host': '127.0.0.1', 'port': metadata.port, 'shared_secret': SECRET}
    net = st.network(vni=1001)
    st.subnet(net, '10.10.1.0/24')
    ext = st.network(kind='flat', physnet='public', mtu=1500, external=True)
    st.subnet(ext, '172.24.4.0/24', enable_dhcp=False)
    sg = st.security_group([dict(direction='egress'), dict(direction='egress', ethertype='IPv6'),
                            dict(protocol='tcp', port_range_min=22, port_range_max=22)])
    st.dhcp_server(net, 'h1', '10.10.1.2')
    rtr = st.router('h1', ext, '172.24.4.10')
    st.router_interface(rtr, net, '10.10.1.1')
    p1 = st.port(net, ['10.10.1.11'], host='h1', security_groups=[sg])
    p2 = st.port(net, ['10.10.1.12'], host='h2', security_groups=[sg])
    vm1 = bed.instance(h1, 'vm1', p1)
    vm2 = bed.instance(h2, 'vm2', p2)
    d1 = driver(bed, 'h1', physical_interface_mappings={'public': 'ext0'})
    d2 = driver(bed, 'h2')
    return dict(st=st, net=net, ext=ext, sg=sg, rtr=rtr, p1=p1, p2=p2, vm1=vm1, vm2=vm2,
                d1=d1, d2=d2, ext_ns=ext_ns, h1=h1, h2=h2)


def sync(t):
    r1 = t['d1'].sync(t['st'].for_host('h1'))
    r2 = t['d2'].sync(t['st'].for_host('h2'))
    assert not r1.get('errors') and not r2.get('errors'), (r1, r2)
    return r1, r2


def test_two_hosts_dhcp_security_groups_router_floating_ip_metadata(bed, metadata):
    t = two_hosts(bed, metadata)
    st, vm1, vm2 = t['st'], t['vm1'], t['vm2']
    r1, r2 = sync(t)
    router_ports = [p['id'] for p in st.ports.values() if p['device_owner'].startswith('network:')]
    assert sorted(r1['up']) == sorted([t['p1']['id']] + router_ports)
    assert r2 == {'up': [t['p2']['id']], 'down': []}

    # DHCP: h1's dnsmasq serves both, vm2 across the VXLAN
    lease1, lease2 = bed.dhcp(vm1), bed.dhcp(vm2)
    assert 'ip=10.10.1.11 ' in lease1 and 'router=10.10.1.1 ' in lease1 and 'mtu=1450' in lease1
    assert 'ip=10.10.1.12 ' in lease2 and 'hostname=host-10-10-1-12' in lease2
    assert '169.254.169.254' not in lease1          # the router serves metadata here
    # the DHCP server answers for the instances' names
    r = bed.run(vm1, ['busybox', 'nslookup', 'host-10-10-1-12.openstacklocal', '10.10.1.2'])
    answer = r.stdout.split('Name:', 1)[-1] if 'Name:' in r.stdout else ''
    assert 'Address: 10.10.1.12' in answer, r.stdout + r.stderr

    # security group: TCP 22 in, no ICMP
    bed.tcp_server(vm1, 22, 'vm1')
    assert bed.tcp(vm2, '10.10.1.11', 22) == 'vm1 peer=10.10.1.12'
    assert not bed.ping(vm2, '10.10.1.11', count=1)
    icmp = st.rule(t['sg'], protocol='icmp')
    sync(t)
    assert bed.ping(vm2, '10.10.1.11')
    assert bed.ping(vm1, '10.10.1.12')

    # a rule that goes takes the connections it allowed with it
    pinger = bed.pinger(vm2, '10.10.1.11')
    assert pinger.wait_replies(2)
    t['sg']['security_group_rules'].remove(icmp)
    sync(t)
    assert pinger.stalls()
    pinger.stop()
    t['sg']['security_group_rules'].append(icmp)
    sync(t)

    # ARP spoofing: vm2 claiming vm1's address is not believed by the router
    router_ns = '%s-qrouter-%s' % (t['h1'], t['rtr']['id'])
    assert bed.ping(router_ns, '10.10.1.11', count=1)
    time.sleep(1.2)                              # past the neighbour entry's locktime
    bed.run(vm2, ['ip', 'addr', 'add', '10.10.1.11/32', 'dev', 'eth0'], check=True)
    bed.run(vm2, ['busybox', 'arping', '-U', '-c', '2', '-I', 'eth0', '-s', '10.10.1.11',
                  '10.10.1.11'], check=True)
    bed.run(vm2, ['ip', 'addr', 'del', '10.10.1.11/32', 'dev', 'eth0'], check=True)
    neigh = bed.run(router_ns, ['ip', 'neigh', 'show', '10.10.1.11'], check=True).stdout
    assert t['p1']['mac_address'] in neigh.lower(), neigh
    # a frame from a MAC the port does not have goes nowhere
    bed.run(vm2, ['ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:99:99:99'], check=True)
    assert not bed.ping(vm2, '10.10.1.11', count=1)
    bed.run(vm2, ['ip', 'link', 'set', 'eth0', 'address', t['p2']['mac_address']], check=True)
    assert bed.ping_until(vm2, '10.10.1.11')

    # anti-spoofing: an address the port was not given goes nowhere
    bed.run(vm2, ['ip', 'addr', 'add', '10.10.1.99/24', 'dev', 'eth0'], check=True)
    assert not bed.run(vm2, ['busybox', 'ping', '-c', '1', '-W', '1', '-I', '10.10.1.99',
                             '10.10.1.11']).returncode == 0
    # ... unless it is an allowed address pair
    t['p2']['allowed_address_pairs'] = [{'ip_address': '10.10.1.99'}]
    sync(t)
    assert bed.run(vm2, ['busybox', 'ping', '-c', '1', '-W', '2', '-I', '10.10.1.99',
                         '10.10.1.11']).returncode == 0
    bed.run(vm2, ['ip', 'addr', 'del', '10.10.1.99/24', 'dev', 'eth0'], check=True)

    # SNAT: the outside sees the router's gateway address
    bed.tcp_server(t['ext_ns'], 8080, 'ext')
    assert bed.tcp(vm2, '172.24.4.1', 8080) == 'ext peer=172.24.4.10'
    assert not bed.ping(t['ext_ns'], '10.10.1.11', count=1)
    # without SNAT the outside sees the fixed address (and, with no route back, cannot answer)
    t['rtr']['external_gateway_info']['enable_snat'] = False
    sync(t)
    assert bed.tcp(vm2, '172.24.4.1', 8080, timeout=1) == ''
    bed.run(t['ext_ns'], ['ip', 'route', 'add', '10.10.1.0/24', 'via', '172.24.4.10'], check=True)
    assert bed.tcp(vm2, '172.24.4.1', 8080) == 'ext peer=10.10.1.12'
    bed.run(t['ext_ns'], ['ip', 'route', 'del', '10.10.1.0/24'], check=True)
    t['rtr']['external_gateway_info']['enable_snat'] = True
    # an administratively down router keeps its ports wired, routes nothing
    t['rtr']['admin_state_up'] = False
    r1, _ = sync(t)
    assert set(router_ports) <= set(r1['up'])
    assert bed.tcp(vm2, '172.24.4.1', 8080, timeout=1) == ''
    t['rtr']['admin_state_up'] = True
    # an extra route of the router
    t['rtr']['routes'] = [{'destination': '192.168.77.0/24', 'nexthop': '10.10.1.12'}]
    sync(t)
    routes = bed.run(router_ns, ['ip', 'route'], check=True).stdout
    assert '192.168.77.0/24 via 10.10.1.12' in routes and 'default via 172.24.4.1' in routes
    assert bed.tcp(vm2, '172.24.4.1', 8080) == 'ext peer=172.24.4.10'

    # floating IP: the outside reaches vm1, and vm1 goes out as it
    st.floating_ip(t['rtr'], '172.24.4.50', t['p1'])
    # port forwarding: 172.24.4.51:2222 -> vm2:22
    bed.tcp_server(vm2, 22, 'vm2')
    st.floating_ip(t['rtr'], '172.24.4.51', port_forwardings=[{
        'protocol': 'tcp', 'external_port': 2222, 'internal_port': 22,
        'internal_ip_address': '10.10.1.12', 'internal_port_id': t['p2']['id']}])
    bed.run(t['ext_ns'], ['sysctl', '-w', 'net.ipv4.conf.all.arp_accept=1'], check=True)
    sync(t)
    # the router announced the floating IPs (gratuitous ARP)
    neigh = bed.run(t['ext_ns'], ['ip', 'neigh', 'show', '172.24.4.50'], check=True).stdout
    assert t['rtr']['gw_port']['mac_address'] in neigh.lower(), neigh
    assert bed.ping_until(t['ext_ns'], '172.24.4.50')
    assert bed.tcp(t['ext_ns'], '172.24.4.50', 22) == 'vm1 peer=172.24.4.1'
    assert bed.tcp(vm1, '172.24.4.1', 8080) == 'ext peer=172.24.4.50'
    assert bed.tcp(t['ext_ns'], '172.24.4.51', 2222) == 'vm2 peer=172.24.4.1'
    # an instance reaching another's floating IP comes back through the router
    assert bed.tcp(vm2, '172.24.4.50', 22) == 'vm1 peer=172.24.4.10'

    # metadata through the router, the instance id signed by the proxy
    for vm, port in ((vm1, t['p1']), (vm2, t['p2'])):
        status, out = bed.http_get(vm, 'http://169.254.169.254/latest/meta-data/instance-id')
        assert status == 200 and out.split()[0] == port['device_id'], out
    # whatever the guest claims to be, it is itself
    status, out = bed.http_get(vm1, 'http://169.254.169.254/x', headers={
        'X-Instance-ID': t['p2']['device_id'], 'X-Instance-ID-Signature': 'forged',
        'X-Forwarded-For': '10.10.1.12'})
    assert status == 200 and out.split()[0] == t['p1']['device_id']
    assert metadata.seen[-1]['X-Forwarded-For'] == '10.10.1.11'

    # the floating IP goes: the outside no longer reaches vm1
    t['rtr']['floating_ips'] = []
    sync(t)
    assert not bed.ping(t['ext_ns'], '172.24.4.50', count=1)

    # an instance's port goes: its tap leaves the bridge, its rules go
    del st.ports[t['p2']['id']]
    r1, r2 = sync(t)
    assert r2 == {'up': [], 'down': []}
    assert bed.nl.links(t['h2'])['tap' + t['p2']['id'][:11]].get_attr('IFLA_MASTER') is None
    assert traces(bed, 'h2') == {}         # its network's last port on h2 went too

    # everything goes: nothing is left on either host
    assert t['d1'].sync({'host': 'h1'}) == {'up': [], 'down': []}
    assert t['d2'].sync({'host': 'h2'}) == {'up': [], 'down': []}
    assert traces(bed, 'h1') == {} and traces(bed, 'h2') == {}


def test_isolated_network_metadata_from_dhcp_namespace_through_the_worker(bed, metadata):
    """No router: the DHCP namespace serves 169.254.169.254 with a host route
    to it; the driver runs its dataplane in a worker process."""
    h1 = bed.host('h1')
    st = netbed.State()
    st.metadata = {'host': '127.0.0.1', 'port': metadata.port, 'shared_secret': SECRET}
    net = st.network(kind='local', mtu=1400)
    st.subnet(net, '10.20.0.0/24', host_routes=[{'destination': '192.168.50.0/24',
                                                 'nexthop': '10.20.0.254'}])
    st.dhcp_server(net, 'h1', '10.20.0.2')
    port = st.port(net, ['10.20.0.5'], host='h1', port_security_enabled=False,
                   extra_dhcp_opts=[{'opt_name': 'domain-name', 'opt_value': 'example.org'}])
    vm = bed.instance(h1, 'vm', port)
    d = driver(bed, 'h1', use_worker=True)
    try:
        result = d.sync(st.for_host('h1'))
        assert port['id'] in result['up']
        lease = bed.dhcp(vm)
        assert 'ip=10.20.0.5 ' in lease and 'mtu=1400' in lease, lease
        assert '169.254.169.254/32 10.20.0.2' in lease and '192.168.50.0/24 10.20.0.254' in lease
        assert 'domain=example.org ' in lease
        status, out = bed.http_get(vm, 'http://169.254.169.254/openstack/latest/meta_data.json')
        assert status == 200
        assert out.split() == [port['device_id'], '/openstack/latest/meta_data.json']
        # dnsmasq dies: the next sync starts it again
        pidfile = os.path.join(bed.state_root, 'h1', 'dhcp', net['id'], 'pid')
        os.kill(processes.running(pidfile)[0], signal.SIGKILL)
        assert bed.wait_for(lambda: processes.running(pidfile)[0] is None)
        d.sync(st.for_host('h1'))
        assert processes.running(pidfile)[0]
        assert 'ip=10.20.0.5 ' in bed.dhcp(vm)
        worker = d._worker.proc.pid
        os.kill(worker, signal.SIGKILL)           # a new worker takes over, adopts all
        dnsmasq = processes.running(pidfile)[0]
        assert d.sync(st.for_host('h1'))['up'] == result['up']
        assert d._worker.proc.pid != worker
        assert processes.running(pidfile)[0] == dnsmasq
        assert d.sync({'host': 'h1'}) == {'up': [], 'down': []}
        assert traces(bed, 'h1') == {}
    finally:
        d.close()


def test_restart_adopts_what_is_right_and_removes_what_is_not(bed, metadata):
    """A new driver (the agent after a kill -9) keeps the running dnsmasq
    and the wiring the state still wants, and removes what it does not:
    a router, a network's bridge and VXLAN, chains, ipsets, daemons."""
    t = two_hosts(bed, metadata)
    st = t['st']
    other = st.network(vni=1002)
    st.subnet(other, '10.30.0.0/24')
    st.dhcp_server(other, 'h1', '10.30.0.2')
    grouped = st.security_group([dict(remote_group_id=None, protocol='udp')])
    st.rule(grouped, remote_group_id=grouped['id'])
    p3 = st.port(other, ['10.30.0.7'], host='h1', security_groups=[grouped])
    sync(t)
    assert bed.dhcp(t['vm1'])
    dhcp_pid = os.path.join(bed.state_root, 'h1', 'dhcp', t['net']['id'], 'pid')
    dnsmasq = processes.running(dhcp_pid)[0]
    ipsets = traces(bed, 'h1')['ipsets']
    assert len(ipsets) == 1

    # the agent dies; meanwhile the router, the other network and p3 go away
    del st.routers[t['rtr']['id']]
    for p in [p for p in st.ports.values() if p['network_id'] in (other['id'], t['ext']['id'])
              or p['device_owner'] == 'network:router_interface']:
        del st.ports[p['id']]
    del st.dhcp[other['id']]
    t['d1'] = driver(bed, 'h1', physical_interface_mappings={'public': 'ext0'})
    r1, _ = sync(t)
    assert processes.running(dhcp_pid)[0] == dnsmasq            # adopted, not restarted
    left = traces(bed, 'h1')
    assert left['namespaces'] == [bed.ns('h1') + '-qdhcp-' + t['net']['id']]
    assert sorted(left['links']) == ['brq' + t['net']['id'][:11], 'vxlan-1001']
    assert 'ipsets' not in left
    assert not any(p3['id'][:11] in c for c in left['chains'])
    # its dnsmasq, and (no router on its subnet now) a metadata proxy in its namespace
    assert sorted(left['daemons']) == sorted([
        dhcp_pid, os.path.join(bed.state_root, 'h1', 'metadata', left['namespaces'][0] + '.pid')])
    # the flat network's physical interface is given back, not deleted
    assert bed.nl.index(t['h1'], 'ext0') is not None
    lease = bed.dhcp(t['vm1'])
    assert 'ip=10.10.1.11 ' in lease
    # and a restart with nothing wanted leaves nothing
    t['d1'] = driver(bed, 'h1')
    assert t['d1'].sync({'host': 'h1'}) == {'up': [], 'down': []}
    assert traces(bed, 'h1') == {}


def test_tap_appearing_later_is_plugged_and_reported(bed, metadata):
    """Rules exist before the tap; the tap is reported down until it
    appears, then plugged with the network's MTU and reported up."""
    h1 = bed.host('h1')
    st = netbed.State()
    net = st.network(kind='local', mtu=1380)
    st.subnet(net, '10.40.0.0/24')
    port = st.port(net, ['10.40.0.5'], host='h1', security_groups=[st.security_group()])
    d = driver(bed, 'h1')
    assert d.sync(st.for_host('h1')) == {'up': [], 'down': [port['id']]}
    chains = traces(bed, 'h1')['chains']
    assert any('cs-i-' + port['id'][:11] in c for c in chains)
    bed.instance(h1, 'vm', port)
    assert d.sync(st.for_host('h1')) == {'up': [port['id']], 'down': []}
    tap = bed.nl.links(h1)['tap' + port['id'][:11]]
    assert tap.get_attr('IFLA_MTU') == 1380
    assert tap.get_attr('IFLA_MASTER') == bed.nl.index(h1, 'brq' + net['id'][:11])
    port['admin_state_up'] = False
    assert d.sync(st.for_host('h1')) == {'up': [], 'down': [port['id']]}
    assert d.sync({'host': 'h1'}) == {'up': [], 'down': []}
    assert traces(bed, 'h1') == {}


def test_unknown_network_type_reports_ports_down(bed):
    bed.host('h1')
    st = netbed.State()
    net = st.network(kind='vlan', vni=None)
    st.subnet(net, '10.50.0.0/24')
    port = st.port(net, ['10.50.0.5'], host='h1')
    d = driver(bed, 'h1')
    assert d.sync(st.for_host('h1')) == {'up': [], 'down': [port['id']]}
    assert traces(bed, 'h1') == {}



GREEN_SYNC = '''
import eventlet
eventlet.monkey_patch()
import json, sys
from cloudstack.network.drivers.linuxbridge import LinuxBridgeDriver, plan
args = json.loads(sys.argv[1])
driver = LinuxBridgeDriver('h1', settings=plan.Settings(**args['settings']))
assert driver.use_worker
ticks = []
ticker = eventlet.spawn(lambda: [ticks.append(1) or eventlet.sleep(0.001) for _ in range(100000)])
results = [driver.sync(args['state']), driver.sync({'host': 'h1'})]
ticker.kill()
driver.close()
print(json.dumps({'results': results, 'ticks': len(ticks)}))
'''


def test_green_process_syncs_through_the_worker(bed):
    """Under eventlet (the engine), sync runs in the worker process and the
    hub keeps turning meanwhile."""
    import json
    import subprocess
    import sys
    h1 = bed.host('h1')
    st = netbed.State()
    net = st.network(kind='local')
    st.subnet(net, '10.60.0.0/24')
    st.dhcp_server(net, 'h1', '10.60.0.2')
    port = st.port(net, ['10.60.0.5'], host='h1', security_groups=[st.security_group()])
    bed.instance(h1, 'vm', port)
    args = {'settings': {'state_dir': os.path.join(bed.state_root, 'h1'), 'host_namespace': h1,
                         'namespace_prefix': h1 + '-'},
            'state': st.for_host('h1')}
    out = subprocess.run([sys.executable, '-c', GREEN_SYNC, json.dumps(args)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert sorted(report['results'][0]['up']) == sorted(
        [port['id']] + [p['id'] for p in st.ports.values() if p['device_owner'] == 'network:dhcp'])
    assert report['results'][1] == {'up': [], 'down': []}
    assert report['ticks'] > 10                 # the hub was not blocked
    assert traces(bed, 'h1') == {}


def test_an_address_given_again_to_a_new_port_is_leased_at_once(bed):
    """A deleted port's lease is released, so its address goes to the next
    port at once (dnsmasq would otherwise keep it for the old MAC)."""
    h1 = bed.host('h1')
    st = netbed.State()
    net = st.network(kind='local')
    st.subnet(net, '10.70.0.0/24')
    st.dhcp_server(net, 'h1', '10.70.0.2')
    old = st.port(net, ['10.70.0.5'], host='h1')
    bed.instance(h1, 'old', old)
    d = driver(bed, 'h1')
    d.sync(st.for_host('h1'))
    assert 'ip=10.70.0.5 ' in bed.dhcp(bed.ns('old'))
    bed.unplug(h1, old)
    del st.ports[old['id']]
    new = st.port(net, ['10.70.0.5'], host='h1')
    assert new['mac_address'] != old['mac_address']
    bed.instance(h1, 'new', new)
    assert new['id'] in d.sync(st.for_host('h1'))['up']
    lease = bed.dhcp(bed.ns('new'), tries=3)
    assert lease and 'ip=10.70.0.5 ' in lease
    d.cleanup()
    assert traces(bed, 'h1') == {}


def test_ipv6_slaac_through_the_routers_advertisements(bed):
    """An IPv6 SLAAC subnet on a router: the router advertises the prefix,
    instances configure their EUI-64 addresses and reach each other and the
    router over IPv6 (with an IPv6 ICMP rule)."""
    h1 = bed.host('h1')
    st = netbed.State()
    net = st.network(kind='local', mtu=1400)
    v6 = st.subnet(net, 'fd00:77::/64', ipv6_ra_mode='slaac', ipv6_address_mode='slaac')
    sg = st.security_group([dict(direction='egress', ethertype='IPv6'),
                            dict(ethertype='IPv6', protocol='icmp')])
    rtr = st.router('h1')
    st.router_interface(rtr, net, 'fd00:77::1')
    p1 = st.port(net, ['slaac'], host='h1', security_groups=[sg])
    p2 = st.port(net, ['slaac'], host='h1', security_groups=[sg])
    vm1, vm2 = bed.instance(h1, 'vm1', p1), bed.instance(h1, 'vm2', p2)
    d = driver(bed, 'h1')
    assert set(d.sync(st.for_host('h1'))['up']) >= {p1['id'], p2['id']}
    a1, a2 = p1['fixed_ips'][0]['ip_address'], p2['fixed_ips'][0]['ip_address']
    assert netbed.Netbed.wait_for(lambda: '%s/64' % a1 in bed.addresses(vm1), timeout=20)
    assert netbed.Netbed.wait_for(lambda: '%s/64' % a2 in bed.addresses(vm2), timeout=20)
    mtu = bed.run(vm1, ['cat', '/proc/sys/net/ipv6/conf/eth0/mtu'], check=True).stdout.strip()
    assert mtu == '1400'                        # the advertised MTU
    assert bed.ping_until(vm1, a2)
    assert bed.ping_until(vm2, 'fd00:77::1')
    # the other way, no rule lets the router's ping in
    sg['security_group_rules'] = [r for r in sg['security_group_rules'] if r['direction'] == 'egress']
    d.sync(st.for_host('h1'))
    assert not bed.ping(bed.ns('h1') + '-qrouter-' + rtr['id'], a1, count=1)
    del v6
    d.cleanup()
    assert traces(bed, 'h1') == {}


def test_any_sequence_of_states_converges(bed, metadata):
    """Random states, one after the other (and a restart in the middle):
    after each sync the host has exactly what the state wants, no more."""
    import random
    rnd = random.Random(1234)
    h1 = bed.host('h1')
    bed.outside(h1, 'ext0', 'ext', '172.24.4.1/24')
    pool = netbed.State()
    pool.metadata = {'host': '127.0.0.1', 'port': metadata.port, 'shared_secret': SECRET}
    ext = pool.network(kind='flat', physnet='public', mtu=1500, external=True)
    pool.subnet(ext, '172.24.4.0/24', enable_dhcp=False)
    nets = []
    for i in range(4):
        net = pool.network(kind='local')
        pool.subnet(net, '10.9%d.0.0/24' % i)
        nets.append(net)
    sg = pool.security_group([dict(direction='egress'), dict(remote_group_id=None, protocol='tcp')])
    all_ports = [pool.port(net, ['10.9%d.0.%d' % (i, 10 + j)], host='h1', security_groups=[sg])
                 for i, net in enumerate(nets) for j in range(2)]
    d = driver(bed, 'h1', physical_interface_mappings={'public': 'ext0'})
    for step in range(8):
        st = netbed.State(pool.project_id)
        st.metadata = pool.metadata
        st.networks, st.subnets = dict(pool.networks), dict(pool.subnets)
        st.security_groups = pool.security_groups
        chosen = rnd.sample(nets, rnd.randint(0, len(nets)))
        for port in all_ports:
            if port['network_id'] in {n['id'] for n in chosen} and rnd.random() < 0.7:
                st.ports[port['id']] = port
        dhcp = [n for n in chosen if rnd.random() < 0.6]
        for i, net in enumerate(nets):
            if net in dhcp:
                st.dhcp_server(net, 'h1', '10.9%d.0.2' % i)
        if chosen and rnd.random() < 0.6:
            rtr = st.router('h1', ext, '172.24.4.%d' % (10 + step))
            for net in chosen[:2]:
                st.router_interface(rtr, net, '10.9%d.0.1' % nets.index(net))
        if step == 4:
            d = driver(bed, 'h1', physical_interface_mappings={'public': 'ext0'})  # a restart
        state = st.for_host('h1')
        result = d.sync(state)
        assert not result.get('errors'), result
        wanted_nets = {p['network_id'] for p in state['ports']}
        assert {n for n in bed.nl.links(h1) if n.startswith('brq')} == {
            'brq' + n[:11] for n in wanted_nets}
        prefix = h1 + '-'
        assert {n for n in bed.nl.namespaces() if n.startswith(prefix)} == (
            {prefix + 'qdhcp-' + n['id'] for n in dhcp}
            | {prefix + 'qrouter-' + r['id'] for r in st.routers.values()})
        running = traces(bed, 'h1').get('daemons', [])
        assert sorted(os.path.basename(os.path.dirname(p)) for p in running
                      if p.endswith('/pid')) == sorted(n['id'] for n in dhcp)
    d.cleanup()
    assert traces(bed, 'h1') == {}


def test_kill_9_of_the_worker_in_the_middle_of_a_sync(bed, metadata):
    """The dataplane worker killed while it builds: the driver starts another,
    whose first sync finishes the host from whatever the first left."""
    import threading
    h1 = bed.host('h1')
    bed.outside(h1, 'ext0', 'ext', '172.24.4.1/24')
    st = netbed.State()
    st.metadata = {'host': '127.0.0.1', 'port': metadata.port, 'shared_secret': SECRET}
    ext = st.network(kind='flat', physnet='public', mtu=1500, external=True)
    st.subnet(ext, '172.24.4.0/24', enable_dhcp=False)
    rtr = st.router('h1', ext, '172.24.4.10')
    sg = st.security_group([dict(direction='egress'), dict(protocol='tcp')])
    for i in range(3):
        net = st.network(kind='local')
        st.subnet(net, '10.4%d.0.0/24' % i)
        st.dhcp_server(net, 'h1', '10.4%d.0.2' % i)
        st.router_interface(rtr, net, '10.4%d.0.1' % i)
        st.port(net, ['10.4%d.0.5' % i], host='h1', security_groups=[sg])
    state = st.for_host('h1')
    d = driver(bed, 'h1', use_worker=True, physical_interface_mappings={'public': 'ext0'})
    try:
        for delay in (0.05, 0.3, 0.8):
            d.sync({'host': 'h1'})
            d.sync({'host': 'h1'})            # a worker is up, with nothing built
            victim = d._worker.proc.pid
            kill = threading.Timer(delay, os.kill, (victim, signal.SIGKILL))
            kill.start()
            result = d.sync(state)             # the worker dies; another finishes
            kill.join()
            if d._worker.proc.pid == victim:   # the sync was quicker than the kill
                result = d.sync(state)
            assert d._worker.proc.pid != victim
            assert not result.get('errors'), result
            wanted = {p['id'] for p in st.ports.values()
                      if p['device_owner'].startswith('network:')}
            assert set(result['up']) == wanted
            left = traces(bed, 'h1')
            assert len(left['namespaces']) == 4 and len(left['links']) == 4
            assert len([p for p in left['daemons'] if p.endswith('/pid')]) == 3
        assert d.sync({'host': 'h1'}) == {'up': [], 'down': []}
        assert traces(bed, 'h1') == {}
    finally:
        d.close()
