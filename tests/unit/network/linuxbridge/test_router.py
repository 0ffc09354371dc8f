"""A router namespace's NAT and filter tables."""
from cloudstack.network.drivers.linuxbridge import router


def test_snat_floating_ips_port_forwardings_and_metadata():
    text = router.render_ipv4('qg-1', ['172.24.4.10'], True, [
        ('172.24.4.50', '10.0.0.5', ()),
        ('172.24.4.51', None, ({'protocol': 'udp', 'external_port': 53, 'internal_port': 5353,
                                'internal_ip_address': '10.0.0.6'},
                               {'protocol': 'tcp', 'external_port_range': '1000:1010',
                                'internal_port_range': '2000:2010',
                                'internal_ip_address': '10.0.0.7'}))], True)
    lines = text.splitlines()
    for line in (
            '-A cs-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 '
            '-j REDIRECT --to-ports 9697',
            '-A cs-PREROUTING -d 172.24.4.50/32 -j DNAT --to-destination 10.0.0.5',
            '-A cs-OUTPUT -d 172.24.4.50/32 -j DNAT --to-destination 10.0.0.5',
            '-A cs-float-snat -s 10.0.0.5/32 -j SNAT --to-source 172.24.4.50',
            '-A cs-PREROUTING -d 172.24.4.51/32 -p udp -m udp --dport 53 '
            '-j DNAT --to-destination 10.0.0.6:5353',
            '-A cs-PREROUTING -d 172.24.4.51/32 -p tcp -m tcp --dport 1000:1010 '
            '-j DNAT --to-destination 10.0.0.7:2000-2010',
            '-A cs-POSTROUTING ! -o qg-1 -m conntrack ! --ctstate DNAT -j ACCEPT',
            '-A cs-POSTROUTING -o qg-1 -j SNAT --to-source 172.24.4.10',
            '-A cs-PREROUTING -i qg-1 -j MARK --set-xmark 0x2/0xffff',
            '-A cs-INPUT -i qr-+ -p tcp -m tcp --dport 9697 -j ACCEPT',
            '-A cs-INPUT -p tcp -m tcp --dport 9697 -j DROP'):
        assert line in lines, line
    # the floating IPs' SNAT comes before the router's own
    assert lines.index('-A cs-POSTROUTING -j cs-float-snat') < lines.index(
        '-A cs-POSTROUTING -o qg-1 -j SNAT --to-source 172.24.4.10')
    assert [l for l in lines if l.startswith('*')] == ['*mangle', '*nat', '*filter']
    assert lines.count('COMMIT') == 3


def test_snat_off_keeps_floating_ips():
    text = router.render_ipv4('qg-1', ['172.24.4.10'], False, [('172.24.4.50', '10.0.0.5', ())],
                              False)
    assert '--to-source 172.24.4.10' not in text
    assert 'SNAT --to-source 172.24.4.50' in text
    assert 'REDIRECT' not in text


def test_routes():
    subnets = {'s4': {'ip_version': 4, 'gateway_ip': '172.24.4.1'},
               's6': {'ip_version': 6, 'gateway_ip': 'fd00::1'}, 'none': {'ip_version': 4}}
    gw = {'fixed_ips': [{'subnet_id': 's4', 'ip_address': '172.24.4.10'},
                        {'subnet_id': 's6', 'ip_address': 'fd00::10'},
                        {'subnet_id': 'none', 'ip_address': '172.25.0.10'}]}
    assert router.default_routes(gw, subnets) == [('0.0.0.0/0', '172.24.4.1'), ('::/0', 'fd00::1')]
    assert router.extra_routes({'routes': [{'destination': '10.5.0.1/16', 'nexthop': '10.0.0.9'}]}) \
        == [('10.5.0.0/16', '10.0.0.9')]


def test_gratuitous_arp_frame():
    from cloudstack.network.drivers.linuxbridge import ip_lib
    frame = ip_lib.gratuitous_arp('172.24.4.50', 'fa:16:3e:00:00:07')
    mac = bytes([0xfa, 0x16, 0x3e, 0, 0, 7])
    assert frame[:6] == b'\xff' * 6 and frame[6:12] == mac and frame[12:14] == b'\x08\x06'
    assert frame[14:22] == bytes([0, 1, 8, 0, 6, 4, 0, 1])        # Ethernet/IPv4, request
    assert frame[22:28] == mac and frame[28:32] == bytes([172, 24, 4, 50])
    assert frame[38:42] == bytes([172, 24, 4, 50])                # target = sender
