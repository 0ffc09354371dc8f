"""Migration 0010: object rows keep their listing entries (and, on SQLite,
live in their primary key); rows from before are kept and listed alike."""
import json

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.db import migration
from cloudstack.object_store import manager
from tests.unit.test_db import empty_database  # noqa: F401 - a fixture

TS = '1700000000.12345'


def test_rows_from_before_0010_are_kept_and_listed(empty_database):  # noqa: F811
    migration.upgrade('0009')
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO object_store_accounts (id, name, metadata, created_at, "
            "put_timestamp, container_count, object_count, bytes_used) VALUES "
            "(1, 'AUTH_p', '{}', :ts, :ts, 1, 2, 3)"), {'ts': TS})
        conn.execute(sa.text(
            "INSERT INTO object_store_containers (id, account_id, name, metadata, "
            "storage_policy, created_at, put_timestamp, object_count, bytes_used) "
            "VALUES (1, 1, 'c', '{}', 0, :ts, :ts, 2, 3)"), {'ts': TS})
        for name, size in (('b\u00e9', 1), ('a"q', 2)):
            conn.execute(sa.text(
                "INSERT INTO object_store_objects (container_id, name, size, etag, "
                "content_type, timestamp, metadata) VALUES (1, :name, :size, 'e', "
                "'text/plain', :ts, '{}')"), {'name': name, 'size': size, 'ts': TS})
    migration.upgrade()
    assert migration.differences() == []
    mgr = manager.get()
    _, body = mgr.list_objects_json(None, 'AUTH_p', 'c', manager.Listing())
    assert json.loads(body) == [
        {'hash': 'e', 'last_modified': '2023-11-14T22:13:20.123450', 'bytes': 2,
         'name': 'a"q', 'content_type': 'text/plain'},
        {'hash': 'e', 'last_modified': '2023-11-14T22:13:20.123450', 'bytes': 1,
         'name': 'b\u00e9', 'content_type': 'text/plain'}]
    # what the rows themselves keep from now on is the same entry
    assert json.loads(manager.listing_entry('a"q', 2, 'e', 'text/plain', TS)) == \
        json.loads(body)[0]
    if db_api.is_sqlite():
        with db_api.get_engine().connect() as conn:
            ddl = conn.execute(sa.text(
                "SELECT sql FROM sqlite_master WHERE name = 'object_store_objects'")).scalar()
        assert 'WITHOUT ROWID' in ddl
