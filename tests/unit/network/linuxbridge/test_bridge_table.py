"""The driver's bridge table: the requests a change becomes, and their bytes
(read back with pyroute2's nf_tables decoder)."""
import struct

from pyroute2.netlink.nfnetlink.nftsocket import nft_chain_msg, nft_rule_msg

from cloudstack.network.drivers.linuxbridge import bridge_table as bt
from cloudstack.network.drivers.linuxbridge import ip_lib

JUMP_A = ((('iifname', 'tapa'),), ('jump', 'cs-m-a'))
JUMP_B = ((('iifname', 'tapb'),), ('jump', 'cs-m-b'))
M_A = ((('ether_saddr', 'fa:16:3e:00:00:01'),), ('return',)), ((), ('drop',))
M_B = ((('ether_saddr', 'fa:16:3e:00:00:02'),), ('return',)), ((), ('drop',))


def _messages(batch):
    """[(nlmsg type, flags, decoded body)] of an encoded batch."""
    data, seqs = batch.encode(100)
    out, offset = [], 0
    while offset < len(data):
        length, msg_type, flags, seq, _ = ip_lib.NLMSG_HEADER.unpack_from(data, offset)
        out.append((msg_type, flags, seq, data[offset:offset + length]))
        offset += length
    assert [m[2] for m in out] == [100] + seqs + [seqs[-1] + 1]
    return out


def test_a_first_apply_makes_the_table_again_whole():
    batch = bt.changes(None, {'PREROUTING': (JUMP_A,), 'cs-m-a': M_A})
    assert batch.steps == [
        ('add table',), ('delete table',), ('add table',),
        ('add chain', 'PREROUTING'), ('add chain', 'cs-m-a'),
        ('add rule', 'PREROUTING', 'iifname tapa jump cs-m-a'),
        ('add rule', 'cs-m-a', 'ether saddr fa:16:3e:00:00:01 return'),
        ('add rule', 'cs-m-a', 'drop')]


def test_a_port_more_appends_its_jump_and_a_port_less_rewrites_the_base_chain():
    have = {'PREROUTING': (JUMP_A,), 'cs-m-a': M_A}
    more = {'PREROUTING': (JUMP_A, JUMP_B), 'cs-m-a': M_A, 'cs-m-b': M_B}
    assert bt.changes(have, more).steps == [
        ('add chain', 'cs-m-b'),
        ('add rule', 'PREROUTING', 'iifname tapb jump cs-m-b'),
        ('add rule', 'cs-m-b', 'ether saddr fa:16:3e:00:00:02 return'),
        ('add rule', 'cs-m-b', 'drop')]
    # the jumps in another order: nothing to do; a port more in the middle: appended
    assert bt.changes(more, dict(more, PREROUTING=(JUMP_B, JUMP_A))).steps == []
    first = {'PREROUTING': (JUMP_B,), 'cs-m-b': M_B}
    assert bt.changes(first, more).steps[-3:] == [
        ('add rule', 'PREROUTING', 'iifname tapa jump cs-m-a'),
        ('add rule', 'cs-m-a', 'ether saddr fa:16:3e:00:00:01 return'),
        ('add rule', 'cs-m-a', 'drop')]
    less = {'PREROUTING': (JUMP_B,), 'cs-m-b': M_B}
    assert bt.changes(more, less).steps == [
        ('flush chain', 'PREROUTING'), ('add rule', 'PREROUTING', 'iifname tapb jump cs-m-b'),
        ('flush chain', 'cs-m-a'), ('delete chain', 'cs-m-a')]
    assert bt.changes(less, None).steps == [('add table',), ('delete table',)]
    assert bt.changes({}, less).steps[:2] == [('add table',), ('add chain', 'PREROUTING')]


def test_the_batch_is_framed_and_the_base_chain_hooked():
    batch = bt.changes(None, {'PREROUTING': ()})
    messages = _messages(batch)
    begin, end = messages[0], messages[-1]
    assert begin[0] == bt.NFNL_MSG_BATCH_BEGIN and end[0] == bt.NFNL_MSG_BATCH_END
    # the batch is addressed to nf_tables (res_id, network order)
    assert struct.unpack_from('!H', begin[3], ip_lib.NLMSG_HEADER.size + 2)[0] == 10
    chain = messages[4]
    assert chain[0] == (10 << 8) | bt.NFT_MSG_NEWCHAIN
    assert chain[1] & ip_lib.NLM_F_ACK
    msg = nft_chain_msg(chain[3])
    msg.decode()
    assert msg['nfgen_family'] == bt.NFPROTO_BRIDGE
    assert msg.get_attr('NFTA_CHAIN_NAME') == 'PREROUTING'
    assert msg.get_attr('NFTA_CHAIN_TYPE') == 'filter'
    hook = msg.get_attr('NFTA_CHAIN_HOOK')
    assert hook.get_attr('NFTA_HOOK_HOOKNUM') == 0
    assert hook.get_attr('NFTA_HOOK_PRIORITY') == bt.PRIORITY


def _expressions(rule):
    batch = bt.Batch()
    batch.rule('cs-a-x', rule)
    raw = _messages(batch)[1][3]
    msg = nft_rule_msg(raw)
    msg.decode()
    assert msg.get_attr('NFTA_RULE_CHAIN') == 'cs-a-x'
    return [(e.get_attr('NFTA_EXPR_NAME'), e.get_attr('NFTA_EXPR_DATA'))
            for e in msg.get_attr('NFTA_RULE_EXPRESSIONS')]


def test_an_arp_rule_reads_as_nft_writes_it():
    exprs = _expressions(((('arp_ipv4',), ('arp_sha', 'fa:16:3e:00:00:01'),
                           ('arp_spa', '10.0.0.0/24')), ('return',)))
    assert [name for name, _ in exprs] == ['payload', 'cmp', 'payload', 'cmp', 'payload',
                                           'bitwise', 'cmp', 'immediate']
    spa = exprs[4][1]
    assert (spa.get_attr('NFTA_PAYLOAD_BASE'), spa.get_attr('NFTA_PAYLOAD_OFFSET'),
            spa.get_attr('NFTA_PAYLOAD_LEN')) == ('NFT_PAYLOAD_NETWORK_HEADER', 14, 4)
    assert exprs[0][1].get_attr('NFTA_PAYLOAD_OFFSET') == 0     # htype, ptype, hlen, plen
    assert _value(exprs[1][1], 'NFTA_CMP_DATA') == b'\x00\x01\x08\x00\x06\x04'
    assert _value(exprs[3][1], 'NFTA_CMP_DATA') == b'\xfa\x16\x3e\x00\x00\x01'
    assert _value(exprs[5][1], 'NFTA_BITWISE_MASK') == b'\xff\xff\xff\x00'
    assert _value(exprs[6][1], 'NFTA_CMP_DATA') == b'\x0a\x00\x00\x00'
    verdict = exprs[7][1].get_attr('NFTA_IMMEDIATE_DATA').get_attr('NFTA_DATA_VERDICT')
    assert verdict.get_attr('NFTA_VERDICT_CODE') == 'NFT_RETURN'


def _value(data, name):
    return data.get_attr(name).get_attr('NFTA_DATA_VALUE')


def test_a_jump_by_interface_name():
    exprs = _expressions(((('iifname', 'tapabc'),), ('jump', 'cs-m-abc')))
    assert [name for name, _ in exprs] == ['meta', 'cmp', 'immediate']
    assert exprs[0][1].get_attr('NFTA_META_KEY') == 'NFT_META_IIFNAME'
    assert _value(exprs[1][1], 'NFTA_CMP_DATA') == b'tapabc'.ljust(16, b'\0')
    verdict = exprs[2][1].get_attr('NFTA_IMMEDIATE_DATA').get_attr('NFTA_DATA_VERDICT')
    assert verdict.get_attr('NFTA_VERDICT_CODE') == 'NFT_JUMP'
    assert verdict.get_attr('NFTA_VERDICT_CHAIN') == 'cs-m-abc'
