"""Timing requests in-process, and the floor: the same SQL on a bare driver connection.

*Server time* is the wall time of one request through Django's test ``Client`` (URL
routing, middleware, view, template, on-commit handlers; no network, no WSGI server).
*Queries* are counted with an ``execute_wrapper`` (every statement the connection runs).
*The floor* re-runs the statements of one request on a fresh driver connection
(``sqlite3`` or ``psycopg``) in the same process, with the same parameters, fetching
every row, in one transaction that it commits: what the database alone costs for that
page, its durable write included. To get those statements without applying them twice,
the floor first runs the request inside a transaction that is rolled back (on-commit
handlers executed inside it, as a commit would); the replay's commit then makes exactly
the changes the request would have made (a fresh audit entry chained to the log, an
assignment completed, a message stored), so the database stays as the application
leaves it.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

Request = Callable[[], Any]
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "END")


@dataclass
class Measure:
    name: str
    server_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    status: set[int] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def _p95(values: list[float]) -> float:
        if not values:
            return 0.0
        ordered = sorted(values)
        index = max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))
        return ordered[index]

    def summary(self) -> dict[str, Any]:
        median = statistics.median(self.server_ms) if self.server_ms else 0.0
        floor = statistics.median(self.floor_ms) if self.floor_ms else 0.0
        return {
            "name": self.name,
            "median_ms": round(median, 2),
            "p95_ms": round(self._p95(self.server_ms), 2),
            "queries": int(statistics.median(self.queries)) if self.queries else 0,
            "queries_min": min(self.queries) if self.queries else 0,
            "queries_max": max(self.queries) if self.queries else 0,
            "floor_ms": round(floor, 2),
            "ratio": round(median / floor, 2) if floor else None,
            "samples": len(self.server_ms),
            "floor_samples": len(self.floor_ms),
            "status": sorted(self.status),
            **self.extra,
        }


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


class Recorder:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, bool]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.statements.append((sql, params, many))
        return execute(sql, params, many, context)


def time_request(request: Request) -> tuple[float, int, Any]:
    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        response = request()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, counter.count, response


def _run_on_commit(start: int) -> None:
    """Execute the on-commit callbacks registered since ``start`` (and the ones they
    register), as a commit would — Django's TestCase does the same."""
    while True:
        count = len(connection.run_on_commit)
        for _sids, callback, robust in connection.run_on_commit[start:]:
            try:
                callback()
            except Exception:
                if not robust:
                    raise
        if count == len(connection.run_on_commit):
            break
        start = count


def capture(request: Request) -> list[tuple[str, Any, bool]]:
    """The statements of one request run in a transaction that is rolled back."""
    recorder = Recorder()
    with connection.execute_wrapper(recorder), transaction.atomic():
        start = len(connection.run_on_commit)
        request()
        _run_on_commit(start)
        transaction.set_rollback(True)
    return [s for s in recorder.statements if not s[0].lstrip().upper().startswith(CONTROL)]


class Floor:
    """A bare driver connection to the same database."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.conn: Any = sqlite3.connect(str(settings["NAME"]), isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys=ON")
        else:
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            params.pop("prepare_threshold", None)
            self.conn = psycopg.connect(**params, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def replay(self, statements: list[tuple[str, Any, bool]]) -> float:
        if self.vendor == "sqlite":
            return self._sqlite(statements)
        return self._postgres(statements)

    def _sqlite(self, statements: list[tuple[str, Any, bool]]) -> float:
        from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

        prepared = [
            (FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"), params, many)
            for sql, params, many in statements
        ]
        cur = self.conn.cursor()
        started = time.perf_counter()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for sql, params, many in prepared:
                if many:
                    cur.executemany(sql, params)
                elif params is None:
                    cur.execute(sql)
                else:
                    cur.execute(sql, params)
                cur.fetchall()
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return (time.perf_counter() - started) * 1000

    def _postgres(self, statements: list[tuple[str, Any, bool]]) -> float:
        import psycopg

        cur = psycopg.ClientCursor(self.conn)
        started = time.perf_counter()
        cur.execute("BEGIN")
        try:
            for sql, params, many in statements:
                if many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)
                if cur.description is not None:
                    cur.fetchall()
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return (time.perf_counter() - started) * 1000


def measure(
    name: str,
    request: Request,
    *,
    repeat: int,
    floors: int,
    warmup: int = 3,
    floor: Floor | None = None,
    expect: tuple[int, ...] = (200,),
) -> Measure:
    result = Measure(name)
    for _ in range(warmup):
        request()
    for _ in range(repeat):
        elapsed, count, response = time_request(request)
        result.server_ms.append(elapsed)
        result.queries.append(count)
        result.status.add(response.status_code)
        if response.status_code not in expect:
            raise RuntimeError(f"{name}: HTTP {response.status_code}")
    if floor is not None:
        for _ in range(floors):
            statements = capture(request)
            result.floor_ms.append(floor.replay(statements))
    return result
