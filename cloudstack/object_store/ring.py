"""The object ring: which devices hold the replicas of each object.

An object's path (/account/container/object), salted with the cluster's
secret hash prefix and suffix, is hashed with MD5; the top `part_power` bits
of the hash are its partition. The ring assigns each partition `replicas`
devices (its primaries, in order) and orders the other devices as handoffs,
used when a primary cannot be.

RingBuilder edits the ring (devices, weights) and rebalances it: each
partition's replicas go to distinct devices, in distinct zones as far as
there are zones, each device getting partitions in proportion to its weight,
and a rebalance moves only the partition-replicas it must. The ring file
(gzipped JSON, written atomically) holds the builder's whole state, so the
same file is edited by `cloudstack-manage ring` and read by the servers;
get_ring() caches it per process and reloads it when the file changes.
"""
import gzip
import hashlib
import json
import math
import os
import random
import re
import secrets
import struct
import threading

FORMAT_VERSION = 1


class RingError(Exception):
    pass


def _water_fill(weights, caps, total):
    """Share `total` among keys in proportion to `weights`, none above its
    cap; what a capped key cannot take goes to the others."""
    shares = {}
    left = {k: w for k, w in weights.items() if w > 0}
    while left and total > 1e-9:
        weight = sum(left.values())
        over = [k for k, w in left.items() if total * w / weight >= caps[k]]
        if not over:
            for k, w in left.items():
                shares[k] = total * w / weight
            break
        for k in over:
            shares[k] = caps[k]
            total -= caps[k]
            del left[k]
    for k in weights:
        shares.setdefault(k, 0.0)
    return shares


class RingBuilder:
    def __init__(self, part_power, replicas, hash_prefix=None, hash_suffix=None):
        if not 1 <= part_power <= 32:
            raise RingError('part_power must be within 1..32')
        if replicas < 1:
            raise RingError('replicas must be at least 1')
        self.part_power = int(part_power)
        self.replicas = int(replicas)
        self.hash_prefix = hash_prefix or secrets.token_hex(8)
        self.hash_suffix = hash_suffix or secrets.token_hex(8)
        self.devs = []              # {'id', 'zone', 'weight', 'path', 'removed'}
        self.next_dev_id = 0
        self.assignment = None      # [replica][partition] -> device id or None
        self.version = 0            # bumped by every rebalance

    @property
    def parts(self):
        return 2 ** self.part_power

    # --- devices ---------------------------------------------------------

    def add_dev(self, path, zone=1, weight=1.0, ip=None, port=None):
        """A device: a directory `path` on the host whose object server
        listens on ip:port (none: on every host that runs the ring's
        servers, i.e. a single-host cluster)."""
        path = os.path.abspath(path)
        if weight < 0:
            raise RingError('weight must not be negative')
        if (ip is None) != (port is None):
            raise RingError('a device names both its ip and port, or neither')
        if any(d['path'] == path and d.get('ip') == ip and d.get('port') == port
               and not d.get('removed') for d in self.devs):
            raise RingError('device %s is already in the ring' % describe(
                {'path': path, 'ip': ip, 'port': port}))
        dev = {'id': self.next_dev_id, 'zone': int(zone), 'weight': float(weight),
               'path': path}
        if port is not None:
            dev['ip'], dev['port'] = str(ip), int(port)
        self.next_dev_id += 1
        self.devs.append(dev)
        return dev

    def _dev(self, dev_id):
        for dev in self.devs:
            if dev['id'] == dev_id and not dev.get('removed'):
                return dev
        raise RingError('no device %s in the ring' % dev_id)

    def remove_dev(self, dev_id):
        """Mark the device removed; the next rebalance moves its partitions
        away (until then servers keep reading it)."""
        self._dev(dev_id)['removed'] = True

    def set_weight(self, dev_id, weight):
        if weight < 0:
            raise RingError('weight must not be negative')
        self._dev(dev_id)['weight'] = float(weight)

    def active_devs(self):
        return [d for d in self.devs if not d.get('removed') and d['weight'] > 0]

    # --- balance -----------------------------------------------------------

    def targets(self):
        """Device id -> the (fractional) partition-replicas it should hold.

        Zones first: with at least as many zones as replicas a zone holds at
        most one replica of a partition, otherwise ceil(replicas/zones); then
        the devices of each zone, at most one replica of a partition each.
        """
        devs = self.active_devs()
        zones = {}
        for dev in devs:
            zones.setdefault(dev['zone'], []).append(dev)
        if not zones:
            return {}
        per_zone = math.ceil(self.replicas / len(zones))
        zone_caps = {z: self.parts * min(per_zone, len(ds)) for z, ds in zones.items()}
        zone_share = _water_fill({z: sum(d['weight'] for d in ds) for z, ds in zones.items()},
                                 zone_caps, float(self.parts * self.replicas))
        targets = {}
        for zone, zdevs in zones.items():
            targets.update(_water_fill({d['id']: d['weight'] for d in zdevs},
                                       {d['id']: self.parts for d in zdevs},
                                       zone_share[zone]))
        return targets

    def counts(self):
        counts = {d['id']: 0 for d in self.devs}
        for row in self.assignment or ():
            for dev_id in row:
                if dev_id is not None:
                    counts[dev_id] = counts.get(dev_id, 0) + 1
        return counts

    def balance(self):
        """Device id -> % above (+) or below (-) its target; and the worst."""
        targets, counts = self.targets(), self.counts()
        result = {}
        for dev_id, target in targets.items():
            result[dev_id] = (100.0 * (counts.get(dev_id, 0) - target) / target
                              if target else 0.0)
        return result, max((abs(v) for v in result.values()), default=0.0)

    def dispersion(self):
        """Partitions with two replicas in one zone though enough zones exist,
        and replica slots with no device."""
        devs = {d['id']: d for d in self.devs}
        zones = len({d['zone'] for d in self.active_devs()})
        per_zone = math.ceil(self.replicas / zones) if zones else 0
        crowded = unassigned = 0
        for part in range(self.parts):
            seen = {}
            for row in self.assignment or ():
                dev_id = row[part]
                if dev_id is None:
                    unassigned += 1
                    continue
                zone = devs[dev_id]['zone']
                seen[zone] = seen.get(zone, 0) + 1
            if any(n > per_zone for n in seen.values()):
                crowded += 1
        return crowded, unassigned

    # --- rebalance -----------------------------------------------------------

    def rebalance(self, seed=None):
        """Reassign what must move; returns the partition-replicas moved."""
        rnd = random.Random(seed)
        targets = self.targets()
        devs = {d['id']: d for d in self.devs}
        if self.assignment is None:
            self.assignment = [[None] * self.parts for _ in range(self.replicas)]
        table = self.assignment
        counts = {dev_id: 0 for dev_id in targets}
        unassigned = []
        moved = 0

        def take(part, r):
            dev_id = table[r][part]
            table[r][part] = None
            counts[dev_id] -= 1
            unassigned.append((part, r))

        # 1. Replicas on devices gone, drained (weight 0), or doubled up.
        for part in range(self.parts):
            seen = set()
            for r in range(self.replicas):
                dev_id = table[r][part]
                if dev_id is None:
                    unassigned.append((part, r))
                elif dev_id not in targets or dev_id in seen:
                    table[r][part] = None
                    unassigned.append((part, r))
                    moved += 1
                else:
                    seen.add(dev_id)
                    counts[dev_id] += 1

        # 2. Dispersion: no zone with more replicas of a partition than needed.
        zones = {devs[i]['zone'] for i in targets}
        per_zone = math.ceil(self.replicas / len(zones)) if zones else 0
        for part in range(self.parts):
            by_zone = {}
            for r in range(self.replicas):
                dev_id = table[r][part]
                if dev_id is not None:
                    by_zone.setdefault(devs[dev_id]['zone'], []).append(r)
            for rs in by_zone.values():
                if len(rs) > per_zone:
                    # Keep the replicas on the devices least over their target.
                    rs.sort(key=lambda r: counts[table[r][part]] - targets[table[r][part]])
                    for r in rs[per_zone:]:
                        take(part, r)
                        moved += 1

        # 3. Devices above their target give up the excess.
        wanting = [i for i, t in targets.items() if counts[i] < math.floor(t)]

        def placeable(part, r):
            others = [table[x][part] for x in range(self.replicas) if x != r]
            zones_used = [devs[i]['zone'] for i in others if i is not None]
            return any(w not in others and zones_used.count(devs[w]['zone']) < per_zone
                       for w in wanting)

        for dev_id, target in targets.items():
            excess = counts[dev_id] - math.ceil(target - 1e-9)
            if excess <= 0:
                continue
            # Rather partitions some device below its target can take
            # without crowding a zone, and none of whose replicas is moving
            # yet (a device can take each partition only once).
            moving = {part for part, _ in unassigned}
            held = [(part, r) for r in range(self.replicas)
                    for part in range(self.parts) if table[r][part] == dev_id]
            rnd.shuffle(held)
            held.sort(key=lambda pr: (not placeable(*pr), pr[0] in moving))
            for part, r in held[:excess]:
                take(part, r)
                moved += 1

        # 4. Place each unassigned replica: a zone the partition uses least,
        # then the device furthest below its target.
        order = sorted(targets, key=lambda i: (devs[i]['zone'], i))
        for part, r in sorted(unassigned):
            if table[r][part] is not None:
                continue
            used_devs = {table[x][part] for x in range(self.replicas)} - {None}
            used_zones = {}
            for dev_id in used_devs:
                zone = devs[dev_id]['zone']
                used_zones[zone] = used_zones.get(zone, 0) + 1
            best, best_key = None, None
            for dev_id in order:
                if dev_id in used_devs:
                    continue
                key = (used_zones.get(devs[dev_id]['zone'], 0),
                       -(targets[dev_id] - counts[dev_id]) / (targets[dev_id] or 1))
                if best_key is None or key < best_key:
                    best, best_key = dev_id, key
            if best is not None:
                table[r][part] = best
                counts[best] += 1

        # Removed devices leave the ring once nothing is assigned to them.
        self.devs = [d for d in self.devs if not d.get('removed')]
        self.version += 1
        return moved

    # --- persistence -----------------------------------------------------------

    def to_dict(self):
        return {'format': FORMAT_VERSION, 'part_power': self.part_power,
                'replicas': self.replicas, 'hash_prefix': self.hash_prefix,
                'hash_suffix': self.hash_suffix, 'next_dev_id': self.next_dev_id,
                'version': self.version, 'devs': self.devs,
                'assignment': self.assignment}

    @classmethod
    def from_dict(cls, data):
        if data.get('format') != FORMAT_VERSION:
            raise RingError('unknown ring file format %r' % data.get('format'))
        builder = cls(data['part_power'], data['replicas'],
                      data['hash_prefix'], data['hash_suffix'])
        builder.devs = data['devs']
        builder.next_dev_id = data['next_dev_id']
        builder.version = data['version']
        builder.assignment = data['assignment']
        return builder

    @classmethod
    def load(cls, path):
        return cls.from_dict(_read(path))

    def save(self, path, exclusive=False):
        """Write the file atomically (temp file, fsync, rename). With
        `exclusive`, fail with FileExistsError when the file already exists
        (so racing creators agree on one ring and one hash secret)."""
        _write(path, self.to_dict(), exclusive)

    def to_ring(self):
        return Ring(self.to_dict())


def _read(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    return json.loads(raw)


def _write(path, data, exclusive=False):
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = '%s.%s.tmp' % (path, secrets.token_hex(4))
    try:
        with open(tmp, 'wb') as f:
            f.write(gzip.compress(json.dumps(data, separators=(',', ':')).encode(),
                                  mtime=0))
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)          # FileExistsError when another won
            os.unlink(tmp)
        else:
            os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def describe(dev):
    """A device as people read it: ip:port/path, or the path."""
    if dev.get('port') is None:
        return dev['path']
    return '%s:%d%s' % (dev['ip'], dev['port'], dev['path'])


def parse_bind(value):
    """(ip, port) of 'ip:port' (or '[ipv6]:port'); None for ''."""
    if not value:
        return None
    host, _, port = value.rpartition(':')
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RingError('%r is not ip:port' % value)
    return host.strip('[]'), int(port)


_SERVER_DEVICE = re.compile(r'^(\[[0-9A-Fa-f:.]+\]|[^/:\[\]]+):(\d+)(/.*)$')


def split_device(entry, base):
    """(path, ip, port) of a device as the config names it: a directory
    (relative to `base`), or IP:PORT/absolute/path for one on the host of
    that object server (ip and port None for the former)."""
    found = _SERVER_DEVICE.match(entry.strip())
    if not found:
        return os.path.join(base, entry.strip()), None, None
    ip, port = parse_bind('%s:%s' % found.group(1, 2))
    return found.group(3), ip, port


def is_local(dev, own=None):
    """Whether this process reaches the device on its own disk: the device
    has no object server (no port), or its ip:port is `own`, this process's
    own object server's (parse_bind of [object_store] object_server_bind)."""
    port = dev.get('port')
    return port is None or (own is not None and (dev.get('ip'), port) == tuple(own))


class Ring:
    """A read-only ring, as the servers use it."""

    def __init__(self, data):
        self.part_power = data['part_power']
        self.replicas = data['replicas']
        self.version = data['version']
        self._prefix = data['hash_prefix'].encode()
        self._suffix = data['hash_suffix'].encode()
        self._shift = 32 - self.part_power
        self.devs = {d['id']: d for d in data['devs']}
        self._table = data['assignment'] or [[None] * 2 ** self.part_power
                                             for _ in range(self.replicas)]
        self._handoff_devs = sorted(
            (d for d in data['devs'] if not d.get('removed') and d['weight'] > 0),
            key=lambda d: d['id'])

    @property
    def partitions(self):
        return 2 ** self.part_power

    @property
    def quorum(self):
        return self.replicas // 2 + 1

    def hash_path(self, account, container=None, obj=None):
        """MD5 hex of the salted path of an account, container or object.
        An account or container name cannot contain '/' (the path would be
        ambiguous); an object name may."""
        if '/' in (account or '') or '/' in (container or ''):
            raise ValueError('an account or container name cannot contain "/"')
        path = '/' + '/'.join(p for p in (account, container, obj) if p is not None)
        return hashlib.md5(self._prefix + path.encode('utf-8') + self._suffix).hexdigest()

    def partition(self, account=None, container=None, obj=None, name_hash=None):
        name_hash = name_hash or self.hash_path(account, container, obj)
        return struct.unpack_from('>I', bytes.fromhex(name_hash[:8]))[0] >> self._shift

    def get_nodes(self, part):
        """The partition's primary devices, in replica order."""
        nodes = []
        for row in self._table:
            dev_id = row[part]
            if dev_id is not None and dev_id in self.devs:
                nodes.append(self.devs[dev_id])
        return nodes

    def get_more_nodes(self, part):
        """Handoff devices for the partition, best first: devices in zones
        the primaries do not use, then the others; spread by a hash so that
        one failed device's load does not all land on one neighbour."""
        primaries = self.get_nodes(part)
        used = {d['id'] for d in primaries}
        zones = {d['zone'] for d in primaries}

        def key(dev):
            spread = hashlib.md5(b'%d-%d' % (part, dev['id'])).digest()
            return (dev['zone'] in zones, spread)
        return [d for d in sorted(self._handoff_devs, key=key) if d['id'] not in used]


# --- the per-process cache ---------------------------------------------------

_cache = {}
_cache_lock = threading.Lock()


def get_ring(path):
    """The ring in `path`, read once per process and again when the file is
    replaced (its inode, size or mtime changed)."""
    path = os.path.abspath(path)
    st = os.stat(path)
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        ring = Ring(_read(path))
        _cache[path] = (stamp, ring)
        return ring


def ring_path(conf, policy=0):
    """The ring file of storage policy number `policy`: ring_file for the
    first, object-<N>.ring beside it for the others."""
    first = conf.object_store.ring_file or os.path.join(conf.data_dir, 'object.ring')
    if not policy:
        return first
    return os.path.join(os.path.dirname(first), 'object-%d.ring' % policy)


def datadir(policy=0):
    """The directory of a device that keeps a policy's objects."""
    return 'objects-%d' % policy if policy else 'objects'


def policies(conf):
    """The storage policies' names, in order (their numbers)."""
    return list(conf.object_store.storage_policies or ['Policy-0'])


def load_ring(conf, policy=0):
    """The configured ring of a storage policy; when its file does not
    exist, first create the embedded default: default_devices
    (<data_dir>/objects/d1; relative paths are inside data_dir; IP:PORT/path
    for a device of that object server, see split_device), each its own zone, the policy's replicas (policy_replicas, else default_replicas)
    and default_part_power."""
    path = ring_path(conf, policy)
    try:
        return get_ring(path)
    except FileNotFoundError:
        pass
    opts = conf.object_store
    devices = [split_device(d, conf.data_dir)
               for d in opts.default_devices or [os.path.join('objects', 'd1')]]
    own = parse_bind(opts.object_server_bind)
    names = policies(conf)
    replicas = opts.default_replicas
    if policy < len(names) and names[policy] in (opts.policy_replicas or {}):
        replicas = int(opts.policy_replicas[names[policy]])
    builder = RingBuilder(opts.default_part_power, replicas)
    for zone, (device, ip, port) in enumerate(devices, 1):
        if is_local({'ip': ip, 'port': port}, own):
            os.makedirs(device, exist_ok=True)
        builder.add_dev(device, zone=zone, weight=1.0, ip=ip, port=port)
    builder.rebalance()
    try:
        builder.save(path, exclusive=True)
    except FileExistsError:
        pass                    # another process created it first: use theirs
    return get_ring(path)
