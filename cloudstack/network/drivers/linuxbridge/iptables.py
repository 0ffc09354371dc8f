"""The driver's chains and ipsets in the host's namespace.

Only chains named cs-* and ipsets named cs* are ever written; the built-in
chains get one jump each (firewall.HOOKS), inserted first. The bridge
rules (MACs and ARP) are the nftables table of bridge_table.py. Each apply sends
iptables-restore, ip6tables-restore and ebtables-restore --noflush (side by
side) just the chains that changed, so the rest of the host's firewall is
never rewritten. On iptables' nf_tables backend these three commands stay
running from one apply to the next (ip_lib.Session): an apply costs their
work on its tables, not three processes started and ended. An apply is
begun (its input sent) and finished (its acknowledgements awaited) apart,
so that the dataplane does other work while the rules are committed.
"""
import functools
import os
import re
import shutil

from cloudstack.network.drivers.linuxbridge import bridge_table
from cloudstack.network.drivers.linuxbridge import firewall
from cloudstack.network.drivers.linuxbridge import ip_lib
from cloudstack.network.drivers.linuxbridge import names

FAMILIES = firewall.FAMILIES          # 4, 6 and 'eb' (ebtables)
RESTORE = {4: ['iptables-restore', '-w', '10'], 6: ['ip6tables-restore', '-w', '10'],
           'eb': ['ebtables-restore']}
VERBOSE = '-v'              # a session's restore echoes comments: its acknowledgements
SAVE = {4: 'iptables-save', 6: 'ip6tables-save', 'eb': 'ebtables-save'}
TABLES = firewall.TABLES
# How a chain is declared: ebtables' user chains have a policy.
DECLARE = {4: ':%s - [0:0]', 6: ':%s - [0:0]', 'eb': ':%s RETURN'}
_ZONE = re.compile(r'^-A %s -i (\S+) -j CT --zone (\d+)' % re.escape(firewall.PREROUTING))
_SWAP_SET = {4: names.IPSET + '-swap4', 6: names.IPSET + '-swap6'}
# Chains whose rules may come in any order before their last n: a rule more
# or less is inserted or deleted rather than the chain written again.
UNORDERED = {firewall.FORWARD: 1, firewall.PREROUTING: 0}   # PREROUTING: raw and ebtables nat


@functools.lru_cache(maxsize=None)
def may_wait(argv):
    """Whether a restore command may be started ahead and wait for its
    input: ipset's, and those of iptables' nf_tables backend (which lock
    nothing; the legacy ones take the xtables lock as they start)."""
    if argv[0] == 'ipset':
        return True
    path = shutil.which(argv[0])
    return bool(path) and 'nft' in os.path.basename(os.path.realpath(path))


class HostFirewall:
    def __init__(self, namespace):
        self.namespace = namespace
        self.commands = ip_lib.ReadyCommands(namespace, lambda argv: may_wait(tuple(argv)))
        self.sessions = {}      # family -> ip_lib.Session (nf_tables restores)
        self.pending = None     # what the apply begun last will have done
        self.members = None     # ip_lib.IpsetMembers, once needed
        self.bridge = bridge_table.BridgeTable(namespace)
        self.chains = None      # {family: {table: {chain: rules}}} as last applied; None: unknown
        self.hooks = None       # {family: {(table, builtin, chain)}} present
        self.ipsets = None      # {name: (family, members)}

    def close(self):
        self.commands.close()
        for session in self.sessions.values():
            session.close()
        self.sessions = {}
        self.bridge.close()
        if self.members is not None:
            self.members.close()
            self.members = None

    def observe(self):
        """Read what exists: our chains, our hooks, our ipsets, and the
        conntrack zones of the bridges (for a restarted agent to keep)."""
        chains, hooks, zones = {}, {}, {}
        for family in FAMILIES:
            chains[family], hooks[family] = {}, set()
            for table in TABLES[family]:
                text = ip_lib.run([SAVE[family], '-t', table], self.namespace).stdout
                found = {}
                for line in text.splitlines():
                    if line.startswith(':' + names.CHAIN):
                        found[line[1:].split()[0]] = None     # content unknown
                    for hook in firewall.HOOKS[family]:
                        if hook[0] == table and line == '-A %s -j %s' % hook[1:]:
                            hooks[family].add(hook)
                    match = _ZONE.match(line)
                    if match:
                        zones[match.group(1)] = int(match.group(2))
                chains[family][table] = found
        sets = {}
        listing = ip_lib.run(['ipset', 'list', '-n'], self.namespace).stdout
        for name in listing.split():
            if name.startswith(names.IPSET):
                sets[name] = None
        self.chains, self.hooks, self.ipsets = chains, hooks, sets
        self.bridge.forget()
        return zones

    def apply(self, render, enabled):
        """Make our chains and sets those of `render`; with `enabled` False
        (no network on this host) remove them all, hooks included."""
        self.begin(render, enabled)
        self.finish()

    def begin(self, render, enabled):
        """Start applying `render`: the sets are made and their members
        changed, the rules are sent to their restore commands. finish()
        returns once the rules are in place."""
        self.pending = None
        wanted_sets = render.ipsets if enabled else {}
        changes = self._member_changes(wanted_sets)
        sets = self._sets_input(wanted_sets)
        commands, sessions, done = [], [], []
        if sets:                    # a set must exist before a rule names it
            ip_lib.run(['ipset', 'restore'], self.namespace, input=sets)
        if changes:
            if self.members is None:
                self.members = ip_lib.IpsetMembers(self.namespace)
            self.members.change(changes)
        for family in FAMILIES:
            wanted = render.chains[family] if enabled else {t: {} for t in TABLES[family]}
            text = self._restore_input(family, wanted, enabled)
            if text:
                argv = RESTORE[family] + ['--noflush']
                if may_wait(tuple(argv)):
                    sessions.append(self._session(family, argv))
                    sessions[-1].send(text)
                else:
                    commands.append((argv, text))
            done.append((family, wanted))
        self.pending = (wanted_sets, commands, sessions, done, enabled)
        # while the restore commands work
        self.bridge.apply(render.bridge, enabled)

    def _session(self, family, argv):
        session = self.sessions.get(family)
        if session is None:
            session = self.sessions[family] = ip_lib.Session(argv + [VERBOSE], self.namespace)
        return session

    def finish(self):
        """Wait for the rules begin() sent; then record what is applied."""
        if self.pending is None:
            return
        wanted_sets, commands, sessions, done, enabled = self.pending
        self.pending = None
        try:
            if commands:            # side by side
                self.commands.run_all(commands)
        finally:
            ip_lib.wait_sessions(sessions)
        self.ipsets.update(wanted_sets)
        for family, wanted in done:
            self.chains[family] = {t: dict(wanted.get(t, {})) for t in TABLES[family]}
            self.hooks[family] = ({h for h in firewall.HOOKS[family]
                                   if h[2] in wanted.get(h[0], {})} if enabled else set())
        stale = sorted(name for name in self.ipsets if name not in wanted_sets)
        if stale:               # once no rule names them
            ip_lib.run(['ipset', 'restore'], self.namespace,
                       input=''.join('destroy %s\n' % name for name in stale))
        self.ipsets = dict(wanted_sets)

    def _restore_input(self, family, wanted, enabled):
        """iptables-restore --noflush input for the chains that changed."""
        have = self.chains[family]
        hooks = self.hooks[family]
        lines = []
        for table in TABLES[family]:
            want, old = wanted.get(table, {}), have.get(table, {})
            body, declare, remove = [], [], []
            for hook in firewall.HOOKS[family]:
                if hook[0] != table:
                    continue
                if enabled and hook not in hooks and hook[2] in want:
                    body.append('-I %s 1 -j %s' % hook[1:])
                elif hook in hooks and not (enabled and hook[2] in want):
                    body.insert(0, '-D %s -j %s' % hook[1:])
            for chain, rules in want.items():
                before = old.get(chain)
                if before == rules and chain in old:
                    continue
                if chain in UNORDERED and before is not None and \
                        before[len(before) - UNORDERED[chain]:] == rules[len(rules) - UNORDERED[chain]:]:
                    # a port more or less: that port's rules, not the whole chain
                    gone, new = set(before) - set(rules), set(rules) - set(before)
                    body.extend('-D %s %s' % (chain, rule) for rule in before if rule in gone)
                    body.extend('-I %s 1 %s' % (chain, rule) for rule in rules if rule in new)
                    continue
                declare.append(chain)
                body.extend('-A %s %s' % (chain, rule) for rule in rules)
            for chain in old:
                if chain not in want:
                    declare.append(chain)
                    remove.append('-X ' + chain)
            declare = list(dict.fromkeys(declare))
            if not (body or declare or remove):
                continue
            lines.append('*' + table)
            lines.extend(DECLARE[family] % chain for chain in declare)
            lines.extend(body)
            lines.extend(remove)
            lines.append('COMMIT')
        return '\n'.join(lines) + '\n' if lines else None

    def _member_changes(self, wanted):
        """[(add, set, member)] making the known sets of `wanted` hold their
        members (deletions first)."""
        dels, adds = [], []
        for name, (family, members) in sorted(wanted.items()):
            old = self.ipsets.get(name)
            if old is not None and old[0] == family:
                dels.extend((False, name, m) for m in sorted(old[1] - members))
                adds.extend((True, name, m) for m in sorted(members - old[1]))
        return dels + adds

    def _sets_input(self, wanted):
        """ipset restore input making the sets of `wanted` that are new or
        unknown (filled aside, then swapped in), or None."""
        lines = []
        for name, (family, members) in sorted(wanted.items()):
            old = self.ipsets.get(name)
            if old is not None and old[0] == family:
                continue
            inet = 'inet' if family == 4 else 'inet6'
            swap = _SWAP_SET[family]
            lines.append('create %s hash:net family %s -exist' % (name, inet))
            lines.append('create %s hash:net family %s -exist' % (swap, inet))
            lines.append('flush ' + swap)
            lines.extend('add %s %s' % (swap, m) for m in sorted(members))
            lines.append('swap %s %s' % (swap, name))
            lines.append('destroy ' + swap)
        return '\n'.join(lines) + '\n' if lines else None
