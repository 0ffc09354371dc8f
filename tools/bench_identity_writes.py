#!/usr/bin/env python3
"""Do concurrent identity writes queue on the identity revision? (PostgreSQL)

Every identity write bumps the identity revision in its own transaction, so
that each worker's token cache sees the change at once. With one revision row
every writer holds that row's lock from its bump until its commit (the WAL
flush), so unrelated writes (two projects created at once) wait for each
other; the revision is therefore spread over REVISION_SLOTS rows. This runs N
processes writing through the identity manager for a while, with the
revision on one row (as it was), on a random one of its slots (as it is), on
a slot no other writer holds (SKIP LOCKED: a possible change) and not bumped
at all, and prints the writes per second and the mean time a bump took (its
wait for another writer's row lock, mostly, on an idle machine) and how many
writers PostgreSQL saw waiting for a lock, on average (sampled every 10 ms).

usage: tools/bench_identity_writes.py postgresql:///DB?host=/var/run/postgresql
           [--procs 1,4,8] [--seconds 5]
The database is emptied and migrated.
"""
import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))


def _setup(url):
    from cloudstack.conf import CONF
    CONF([], project='cloudstack', default_config_files=[])
    CONF.set_override('connection', url, group='database')
    CONF.set_override('data_dir', tempfile.mkdtemp(prefix='cs-bench-'))


def _free_slot_bump(bump):
    """A bump that takes a slot no other transaction holds (SKIP LOCKED), and
    waits (a random slot, as `bump`) only when every slot is held."""
    import sqlalchemy as sa
    from cloudstack.identity import models

    def free_slot(session):
        slot = session.scalar(sa.select(models.Revision.id).order_by(sa.func.random())
                              .limit(1).with_for_update(skip_locked=True))
        if slot is None:
            return bump(session)
        session.execute(sa.update(models.Revision).where(models.Revision.id == slot)
                        .values(value=models.Revision.value + 1))
    return free_slot


def _writer(url, mode, seconds, start, counts, waits, index, raw):
    _setup(url)
    from cloudstack.db import api as db_api
    from cloudstack.identity import manager
    from cloudstack.identity import models
    from cloudstack.identity.manager import base
    db_api.reset()
    if mode == 'none':
        base.bump_revision = lambda session: None
    elif mode == 'one row':
        base.REVISION_SLOTS = 1
    elif mode == 'free slot':
        base.bump_revision = _free_slot_bump(base.bump_revision)
    bump, waited = base.bump_revision, [0.0]

    def timed(session):
        began = time.monotonic()
        bump(session)
        waited[0] += time.monotonic() - began
    base.bump_revision = timed
    mgr = manager.get()
    start.wait()
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        if raw:     # the smallest identity write: the commit is most of it
            with mgr.write() as session:
                session.add(models.Region(id=uuid.uuid4().hex, extra={}))
        else:
            mgr.create_project({'name': 'p-%s' % uuid.uuid4().hex, 'domain_id': 'default'})
        done += 1
    counts[index] = done
    waits[index] = waited[0]


MODES = ('one row', 'slots', 'free slot', 'none')


# Backends of this database waiting for a lock (a row's), as PostgreSQL sees them:
# unlike the time a bump takes, this does not grow when the CPUs are only busy.
LOCK_WAITERS = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")


def run(url, procs, seconds, mode, raw):
    """(writes per second, mean ms per bump, mean writers waiting for a lock)"""
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    ctx = multiprocessing.get_context('spawn')
    start, counts, waits = ctx.Event(), ctx.Array('i', procs), ctx.Array('d', procs)
    workers = [ctx.Process(target=_writer, args=(url, mode, seconds, start, counts, waits,
                                                 i, raw))
               for i in range(procs)]
    for w in workers:
        w.start()
    time.sleep(3)           # the imports
    start.set()
    samples = []
    with db_api.get_engine().connect() as conn:
        while any(w.is_alive() for w in workers):
            samples.append(conn.execute(sa.text(LOCK_WAITERS)).scalar())
            conn.rollback()
            time.sleep(0.01)
    for w in workers:
        w.join()
    return (sum(counts) / seconds, 1000 * sum(waits) / max(sum(counts), 1),
            sum(samples) / max(len(samples), 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('url')
    ap.add_argument('--procs', default='1,4,8')
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--raw', action='store_true',
                    help='insert a region per transaction instead of creating projects')
    args = ap.parse_args()
    _setup(args.url)
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    from cloudstack.db import migration
    from cloudstack.identity import manager
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text('DROP SCHEMA public CASCADE'))
        conn.execute(sa.text('CREATE SCHEMA public'))
    migration.sync()
    manager.get().bootstrap('bench-pw')
    db_api.reset()
    print('procs  ' + '  '.join('%-30s' % m for m in MODES))
    print('       ' + '  '.join('%-30s' % 'writes/s  ms/bump  lock-waiting'
                                for _ in MODES))
    for procs in [int(p) for p in args.procs.split(',')]:
        cells = []
        for mode in MODES:
            rate, wait, waiting = run(args.url, procs, args.seconds, mode, args.raw)
            cells.append('%8.0f  %7.2f  %12.2f' % (rate, wait, waiting))
        print('%5d  ' % procs + '  '.join('%-30s' % c for c in cells), flush=True)


if __name__ == '__main__':
    main()
