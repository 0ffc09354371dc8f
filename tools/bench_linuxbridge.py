#!/usr/bin/env python3
"""The linuxbridge driver against the raw pyroute2 steps, port by port.

For each new port on a host that already has its network (a VXLAN bridge,
dnsmasq serving DHCP, a security group with a remote-group rule):

  raw     the netlink steps alone that plug a port, as a hypervisor does
          them with pyroute2: a veth (the tap, its peer in the instance's
          namespace), the tap on the bridge with the network's MTU, both up;
  driver  from "port created" to "port ACTIVE with its DHCP entry and rules
          in place": the hypervisor's part (the tap, created and up, not on
          any bridge) and then driver.sync(state) with the new port, which
          returns it in 'up' after writing its iptables and ip6tables
          chains (through the restore commands it keeps running), its
          bridge table rules (MACs and ARP: nftables over netlink), its ipset
          members and its dnsmasq host entry (SIGHUP), then plugging the tap.

The process moves into the simulated host's namespace first, so that the
driver runs there as it would on a real host (its commands need no
nsenter).

Raw and driver ports alternate, so background load hits both alike; the
median of each is reported and their ratio (goal: driver <= 2x raw). Also
timed, alternating with them: the four commands that write a port's rules
(iptables-, ip6tables-, ebtables-restore and ipset restore) started with next
to nothing to do, the floor any iptables-based dataplane pays per port; the
second ratio is the driver against raw steps plus that floor. The
sync also runs through the dataplane worker process (--worker), as it does
in the engine. Everything lives in namespaces of a test bed
(tests/functional/netbed.py), removed at the end. Needs root.

With --api it also times ports through the real API: cloudstack-all with the
linuxbridge agent of the simulated host, POST /v2.0/ports bound to it, the
tap made as a hypervisor would, GET until ACTIVE (the engine's task pick-up
included).

    tools/bench_linuxbridge.py [--ports 40] [--worker] [--api] [--output FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tools'))

from cloudstack.network.drivers.linuxbridge import LinuxBridgeDriver  # noqa: E402
from cloudstack.network.drivers.linuxbridge import ip_lib  # noqa: E402
from cloudstack.network.drivers.linuxbridge import plan as planner  # noqa: E402
from tests.functional import netbed  # noqa: E402


SETTLE = 0.1


def _ms(values):
    values = sorted(v * 1000 for v in values)
    return {'median_ms': round(statistics.median(values), 2),
            'p90_ms': round(values[int(len(values) * 0.9) - 1], 2) if len(values) >= 10 else None,
            'min_ms': round(values[0], 2), 'n': len(values)}


def run(ports, worker):
    reason = netbed.missing_tools()
    if reason:
        sys.exit('cannot run: this machine %s' % reason)
    bed = netbed.Netbed(tempfile.mkdtemp(prefix='cs-bench-lb-'))
    tmp = bed.state_root
    driver = home = None
    try:
        host = bed.host('h1')
        peer = bed.namespace('h2')
        vm = bed.namespace('vm')
        bed.underlay(host, '10.99.0.1', peer, '10.99.0.2')
        st = netbed.State()
        st.vteps = {'h1': '10.99.0.1', 'h2': '10.99.0.2'}
        st.metadata = {'host': '127.0.0.1', 'port': 9, 'shared_secret': 'bench'}
        net = st.network(vni=4242)
        st.subnet(net, '10.100.0.0/16')
        sg = st.security_group([dict(direction='egress'), dict(direction='egress', ethertype='IPv6'),
                                dict(protocol='tcp', port_range_min=22, port_range_max=22),
                                dict(protocol='icmp')])
        st.rule(sg, remote_group_id=sg['id'])
        st.dhcp_server(net, 'h1', '10.100.0.2')
        # As on a real host, the driver runs in the host's namespace (commands
        # need no nsenter there): this process moves into it.
        home = os.open('/proc/self/ns/net', os.O_RDONLY)
        ip_lib.enter(host)
        driver = LinuxBridgeDriver('h1', settings=planner.Settings(
            state_dir=os.path.join(tmp, 'h1'), host_namespace=None,
            namespace_prefix=host + '-'), use_worker=worker)
        first = st.port(net, ['10.100.0.10'], host='h1', security_groups=[sg])
        bed.instance(host, 'vm0', first)
        assert first['id'] in driver.sync(st.for_host('h1'))['up']
        bridge = bed.nl.index(host, 'brq' + net['id'][:11])
        ipr = bed.nl.ipr(host)          # opened before the move: the same namespace
        mtu = net['mtu']
        raw, commands, tap_times, sync_times, total = [], [], [], [], []
        floor = [(['iptables-restore', '-w', '10', '--noflush'], '*filter\n:cs-bench - [0:0]\nCOMMIT\n'),
                 (['ip6tables-restore', '-w', '10', '--noflush'], '*filter\n:cs-bench - [0:0]\nCOMMIT\n'),
                 (['ebtables-restore', '--noflush'], '*nat\n:cs-bench RETURN\nCOMMIT\n'),
                 (['ipset', 'restore'], 'create cs4-bench hash:net family inet -exist\n')]
        phases = {}
        hosts_file = os.path.join(tmp, 'h1', 'dhcp', net['id'], 'host')
        for i in range(ports):
            # raw: the netlink steps of plugging a port (not named tap*: the
            # driver takes a tap of no port of its host off its bridges)
            t0 = time.perf_counter()
            ipr.link('add', ifname='rawtap%d' % i, kind='veth',
                     peer={'ifname': 'r%d' % i, 'net_ns_fd': vm})
            index = ipr.link_lookup(ifname='rawtap%d' % i)[0]
            ipr.link('set', index=index, master=bridge, mtu=mtu, state='up')
            vmi = bed.nl.ipr(vm)
            vmi.link('set', index=vmi.link_lookup(ifname='r%d' % i)[0], mtu=mtu, state='up')
            raw.append(time.perf_counter() - t0)
            # the floor of any iptables dataplane: starting the four commands
            # that write a port's rules (here with next to nothing to do)
            t0 = time.perf_counter()
            ip_lib.run_all(floor)
            commands.append(time.perf_counter() - t0)

            # driver: the port is created (state), its tap appears, the host syncs
            port = st.port(net, ['10.100.%d.%d' % (1 + i // 200, 10 + i % 200)], host='h1',
                           security_groups=[sg])
            state = st.for_host('h1')
            t0 = time.perf_counter()
            tap = 'tap' + port['id'][:11]
            ipr.link('add', ifname=tap, kind='veth', peer={'ifname': 'd%d' % i, 'net_ns_fd': vm})
            ipr.link('set', index=ipr.link_lookup(ifname=tap)[0], state='up')
            vmi.link('set', index=vmi.link_lookup(ifname='d%d' % i)[0], mtu=mtu, state='up')
            t1 = time.perf_counter()
            result = driver.sync(state)
            t2 = time.perf_counter()
            if port['id'] not in result['up']:
                sys.exit('port %s not wired: %s' % (port['id'], result))
            with open(hosts_file) as f:
                if port['mac_address'] not in f.read():
                    sys.exit('no DHCP entry for %s' % port['id'])
            if driver._local is not None:
                for phase, seconds in driver._local.timings.items():
                    phases.setdefault(phase, []).append(seconds)
            tap_times.append(t1 - t0)
            sync_times.append(t2 - t1)
            total.append(t2 - t0)
            # what the sync leaves running (the driver starts its next restore
            # commands) settles before the next raw port is timed
            time.sleep(SETTLE)
        chains = bed.run(None, ['iptables-save', '-t', 'filter'], check=True).stdout
        if shutil.which('nft'):
            chains += bed.run(None, ['nft', 'list', 'table', 'bridge', 'cs-ports'],
                              check=True).stdout
        missing = [p for p in st.ports.values() if p['device_owner'].startswith('compute:')
                   and (':cs-i-' + p['id'][:11] not in chains
                        or (shutil.which('nft') and 'jump cs-m-' + p['id'][:11] not in chains))]
        if missing:
            sys.exit('ports without chains: %s' % [p['id'] for p in missing])
        report = {
            'ports': ports, 'worker': worker, 'load_average': os.getloadavg(),
            'raw_pyroute2_port': _ms(raw),
            'rule_commands_alone': _ms(commands),
            'driver_port_to_active': _ms(total),
            'of_which_hypervisor_tap': _ms(tap_times),
            'of_which_sync': _ms(sync_times),
        }
        report['sync_phases'] = {k: _ms(v)['median_ms'] for k, v in phases.items()}
        report['ratio_driver_to_raw_plus_commands'] = round(
            report['driver_port_to_active']['median_ms']
            / (report['raw_pyroute2_port']['median_ms'] + report['rule_commands_alone']['median_ms']), 2)
        report['ratio_driver_to_raw'] = round(
            report['driver_port_to_active']['median_ms'] / report['raw_pyroute2_port']['median_ms'], 2)
        return report
    finally:
        if driver is not None:
            driver.close()
        if home is not None:
            ip_lib.setns_fd(home)
        bed.cleanup()
        shutil.rmtree(bed.tmp, ignore_errors=True)


def run_api(ports):
    """Through the API: cloudstack-all with the linuxbridge agent of a simulated
    host; each port is created with POST /v2.0/ports (bound to the host), its
    tap appears as a hypervisor would make it, and the port is polled until
    ACTIVE (the agent wired it: DHCP entry, rules, tap on the bridge)."""
    import openstack.config
    import openstack.connection
    from bench import servers
    reason = netbed.missing_tools()
    if reason:
        sys.exit('cannot run: this machine %s' % reason)
    bed = netbed.Netbed(tempfile.mkdtemp(prefix='cs-bench-lb-'))
    server = None
    try:
        host = bed.host('h1')
        peer = bed.namespace('h2')
        vm = bed.namespace('vm')
        bed.underlay(host, '10.99.0.1', peer, '10.99.0.2')
        workdir = os.path.join(bed.tmp, 'cloud')
        os.makedirs(workdir)
        port = servers.free_port()
        server = servers.cloudstack_server(
            os.path.dirname(sys.executable), ROOT, workdir, os.path.join(workdir, 'data'), port,
            2, 'bench-admin', 4, extra_conf=(
                '[DEFAULT]\nhost = bench-host\n'
                '[network]\ndriver = linuxbridge\nlocal_ip = 10.99.0.1\n'
                '[linuxbridge]\nhost_namespace = %s\nnamespace_prefix = %s-\nstate_path = %s\n'
                % (host, host, os.path.join(bed.state_root, 'h1'))))
        server.start()
        server.wait_for_port(port, 60)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(workdir, 'data', 'clouds.yaml')):
            if time.monotonic() > deadline:
                sys.exit('cloudstack-all wrote no clouds.yaml')
            time.sleep(0.1)
        config = openstack.config.OpenStackConfig(config_files=[
            os.path.join(workdir, 'data', 'clouds.yaml')])
        conn = openstack.connection.Connection(config=config.get_one('cloudstack'))
        while not any(a.host == 'bench-host' and a.is_alive for a in conn.network.agents()):
            if time.monotonic() > deadline:
                sys.exit('the network agent did not come up')
            time.sleep(0.2)
        net = conn.network.create_network(name='bench')
        conn.network.create_subnet(network_id=net.id, ip_version=4, cidr='10.100.0.0/16')
        ipr = bed.nl.ipr(host)
        vmi = bed.nl.ipr(vm)
        to_active, hosts_file = [], None
        for i in range(ports):
            t0 = time.perf_counter()
            created = conn.network.create_port(network_id=net.id, binding_host_id='bench-host',
                                               device_owner='compute:nova',
                                               device_id='00000000-0000-0000-0000-%012d' % i)
            tap = 'tap' + created.id[:11]
            ipr.link('add', ifname=tap, kind='veth', peer={'ifname': 'd%d' % i, 'net_ns_fd': vm})
            ipr.link('set', index=ipr.link_lookup(ifname=tap)[0], state='up')
            vmi.link('set', index=vmi.link_lookup(ifname='d%d' % i)[0], state='up')
            while conn.network.get_port(created.id).status != 'ACTIVE':
                if time.perf_counter() - t0 > 60:
                    sys.exit('port %s did not become ACTIVE' % created.id)
                time.sleep(0.01)
            to_active.append(time.perf_counter() - t0)
            hosts_file = hosts_file or next(iter(
                os.path.join(d, 'host') for d, _, f in os.walk(os.path.join(bed.state_root, 'h1'))
                if 'host' in f), None)
            with open(hosts_file) as f:
                if created.mac_address not in f.read():
                    sys.exit('no DHCP entry for %s' % created.id)
        return {'ports': ports, 'load_average': os.getloadavg(),
                'api_port_create_to_active': _ms(to_active)}
    finally:
        if server is not None:
            server.stop()
        bed.cleanup()
        shutil.rmtree(bed.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ports', type=int, default=40)
    parser.add_argument('--worker', action='store_true',
                        help='run the dataplane in its worker process, as the engine does')
    parser.add_argument('--api', action='store_true',
                        help='also time ports through the API and the agent in cloudstack-all')
    parser.add_argument('--output', help='also write the report (JSON) here')
    args = parser.parse_args()
    report = run(args.ports, args.worker)
    if args.api:
        report['api'] = run_api(args.ports)
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        with open(args.output, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main()
