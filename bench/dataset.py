"""The benchmark dataset: seeded once into its own database and kept between runs.

Seeding 100,000 students takes minutes, so the database is reused as long as it was built
from the same seed parameters and its applied migrations are unchanged on disk. Both are
recorded in a one-row table inside the bench database itself (so the marker cannot outlive the
data it describes). New migrations are applied to the kept data with `migrate`, as in
production; when the parameters change, or a migration already applied was edited or removed,
the database is dropped and built again from scratch.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from psycopg import sql

from qinfo.env import env_int

MARKER_TABLE = "bench_dataset"


@dataclass(frozen=True)
class SeedParams:
    areas: int
    schools: int
    students_per_school: int
    seed: int

    @classmethod
    def from_env(cls) -> SeedParams:
        # Smaller values make a quick run (e.g. BENCH_STUDENTS_PER_SCHOOL=100); note that the
        # bench database is then rebuilt, and rebuilt again at the next full-size run.
        return cls(
            areas=env_int("BENCH_AREAS", default=10),
            schools=env_int("BENCH_SCHOOLS", default=10),
            students_per_school=env_int("BENCH_STUDENTS_PER_SCHOOL", default=1000),
            seed=env_int("BENCH_SEED", default=1),
        )

    @property
    def students(self) -> int:
        return self.areas * self.schools * self.students_per_school


@dataclass
class Dataset:
    database: str
    params: SeedParams
    seeded_now: bool
    seed_seconds: float | None  # only when seeded in this run

    def as_json(self) -> dict:
        return {**asdict(self), "params": asdict(self.params)}


def migrations_hash(keys: set[tuple[str, str]] | None = None) -> str:
    """A digest of the migration files on disk (those named by `keys`, else all): edits to a
    migration count, not only new names."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    for key in sorted(loader.disk_migrations):
        if keys is not None and key not in keys:
            continue
        module = sys.modules[loader.disk_migrations[key].__module__]
        digest.update(repr(key).encode())
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _applied() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


def _marker(params: SeedParams) -> str:
    """What the marker says of the database as it is now: the seed and its applied migrations."""
    return json.dumps({"params": asdict(params), "migrations": migrations_hash(_applied())}, sort_keys=True)


def ensure_dataset() -> Dataset:
    params = SeedParams.from_env()
    name = settings.DATABASES["default"]["NAME"]
    if _database_exists(name) and (marker := _read_marker()) is not None and marker == _marker(params):
        loader = MigrationLoader(connection, ignore_no_migrations=True)
        pending = set(loader.disk_migrations) - loader.applied_migrations.keys()
        if pending:
            # Other people's work goes on while the data is kept: apply what is new, as a deploy would.
            print(f"Applying {len(pending)} new migration(s) to the kept bench database {name}.")
            call_command("migrate", interactive=False, verbosity=0)
            _write_marker(_marker(params))
        return Dataset(database=name, params=params, seeded_now=False, seed_seconds=None)

    print(f"Building the bench database {name} ({params.students:,} students); this takes a few minutes.")
    _recreate_database(name)
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    with _audit_triggers_without_exceptions():
        call_command(
            "seed_demo",
            areas=params.areas,
            schools=params.schools,
            students_per_school=params.students_per_school,
            seed=params.seed,
            quiet_logins=True,
        )
    # A live database has been vacuumed by autovacuum long since; without this the first
    # runs after seeding see no visibility map (no index-only scans) and time differently.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    _write_marker(_marker(params))
    print(f"Seeded in {seconds:.1f} s.")
    return Dataset(database=name, params=params, seeded_now=True, seed_seconds=seconds)


@contextmanager
def _audit_triggers_without_exceptions() -> Iterator[None]:
    """Seed with the audit triggers' session settings present, then forget them.

    For every row written, the pgtrigger and pghistory trigger functions read a setting
    (`pgtrigger.ignore`, `pghistory.context_id`) inside BEGIN ... EXCEPTION; when it is unset
    the read fails and PostgreSQL rolls back a subtransaction, and each such rollback scans the
    transaction's whole queue of pending trigger events (Django makes every foreign key
    DEFERRABLE INITIALLY DEFERRED, so that queue holds a check for every row written so far).
    In seed_demo's single transaction that is quadratic: 100,000 students did not finish in
    half an hour. With the settings present nothing fails, the cost is linear, and the seeded
    rows are the same; their history events are marked as coming from this seed.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET pgtrigger.ignore = '{}'")
        cursor.execute("SELECT set_config('pghistory.context_id', %s, false)", [str(uuid.uuid4())])
        cursor.execute(
            "SELECT set_config('pghistory.context_metadata', %s, false)",
            [json.dumps({"command": "seed_demo", "by": "bench"})],
        )
    try:
        yield
    finally:
        # Session settings: closing the connection is what makes sure no benchmark sees them.
        connection.close()


def _admin_connection() -> psycopg.Connection:
    """A connection to the maintenance database, to create and drop the bench database."""
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    return psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v})


def _database_exists(name: str) -> bool:
    with _admin_connection() as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _recreate_database(name: str) -> None:
    connections.close_all()
    with _admin_connection() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    # The project's own command, so the bench database is created exactly like the others.
    call_command("ensure_db", stdout=io.StringIO())


def _read_marker() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT marker FROM {MARKER_TABLE}")
        row = cursor.fetchone()
    return row[0] if row else None


def _write_marker(marker: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (marker text NOT NULL)")
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (marker) VALUES (%s)", [marker])
