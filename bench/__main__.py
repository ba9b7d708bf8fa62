"""``python -m bench`` (``make bench``): the workspace benchmark.

On SQLite by default (``var/bench/bench-<size>.sqlite3``), on PostgreSQL when
``DATABASE_URL`` is set (in a separate database ``<name>_bench_<size>`` on the same
server, created if missing); ``<size>`` is ``default``, ``full`` or the patient count.
Seeds a clinic in bulk (``bench/generate.py``), times the periodic ``care_signals`` job
(first build and a steady-state run), then, for therapists with caseloads of 50, 500
and 5 000 patients, times in-process: the triage page, the caseload (first and last
page), a patient overview, submitting a questionnaire, sending a message and opening a
module page — median and p95 server time, queries per request, and the floor (the same
SQL on a bare driver connection) with the ratio. Submitting a questionnaire is also
measured side by side with a peer, ``django-survey-and-report``, installed at bench time
into ``bench/.peer`` (never into the project's lock file) and run in its own process: its
submissions alternate with Tandem's in short blocks, so both meet the same load on the
machine.

Default: a clinic of 12 000 enrollments (runs in under 5 minutes on 2 cores).
``--full``: a clinic of 100 000 enrollments, which the closing note reports.
Results: a table on stdout and JSON in ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="a clinic of 100 000 enrollments")
    parser.add_argument("--patients", type=int, help="clinic size (default 12 000; --full 100 000)")
    parser.add_argument("--therapists", type=int, help="therapists in the clinic")
    parser.add_argument("--weeks", type=int, help="weeks of history (default 8)")
    parser.add_argument("--caseloads", default="50,500,5000")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--floors", type=int, default=7, help="floor replays per page")
    parser.add_argument("--skip-peer", action="store_true", help="no peer comparison")
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="time only the steady run of care_signals"
    )
    return parser.parse_args(argv)


def _suffix(args: argparse.Namespace) -> str:
    """One database per clinic size, so a default run never scans the --full clinic."""
    if args.full and not args.patients:
        return "full"
    return str(args.patients) if args.patients else "default"


def configure(args: argparse.Namespace) -> str:
    """Environment for the bench database, before Django reads its settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        name = (parts.path.lstrip("/") or "tandem") + "_bench_" + _suffix(args)
        bench_url = urlunsplit(parts._replace(path="/" + name))
        _create_postgres_database(url, name, fresh=args.fresh)
        os.environ["DATABASE_URL"] = bench_url
        return "postgresql"
    path = ROOT / "var" / "bench" / f"bench-{_suffix(args)}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return "sqlite"


def _create_postgres_database(url: str, name: str, *, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def plan_for(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bench.generate import Plan

    caseloads = tuple(int(x) for x in args.caseloads.split(",") if x.strip())
    patients = args.patients or (100_000 if args.full else 12_000)
    therapists = args.therapists or (len(caseloads) + max(1, (patients - sum(caseloads)) // 1000))
    weeks = args.weeks or 8
    return Plan(patients=patients, therapists=therapists, weeks=weeks, caseloads=caseloads)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    vendor = configure(args)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from bench import scenarios
    from bench.generate import generate

    started = time.perf_counter()
    print(f"Tandem workspace benchmark on {vendor}", flush=True)
    call_command("migrate", verbosity=0)
    plan = plan_for(args)
    print(f"seeding {plan.slug} …", flush=True)
    stats = generate(plan, log=lambda line: print(line, flush=True))
    if stats.rows:
        print(f"  {stats.line()}", flush=True)
    jobs = scenarios.time_periodic(rebuild=not args.no_rebuild)
    scenarios.analyze()  # as autovacuum / PRAGMA optimize would have by now
    for name, value in jobs.items():
        print(f"  care_signals {name}: {value['seconds']:.2f}s — {value['summary']}", flush=True)
    started_peer = "not asked for (--skip-peer)" if args.skip_peer else scenarios.start_peer()
    peer_process = started_peer if isinstance(started_peer, scenarios.Peer) else None
    try:
        pages = scenarios.run(plan, repeat=args.repeat, floors=args.floors, peer=peer_process)
    except BaseException:
        if peer_process:
            peer_process.kill()
        raise
    peer = peer_process.close() if peer_process else {"skipped": started_peer}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "plan": plan.__dict__ | {"slug": plan.slug},
        "seeding": {"seconds": round(stats.seconds, 1), "rows": stats.rows},
        "care_signals": jobs,
        "pages": pages,
        "peer": peer,
        "seconds": round(time.perf_counter() - started, 1),
    }
    scenarios.print_table(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{vendor}-{plan.patients}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"\nJSON: {RESULTS / name}  ({result['seconds']:.0f}s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
