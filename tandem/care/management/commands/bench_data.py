"""Seed a benchmark clinic in bulk (see ``bench/generate.py``): never in production."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Generate a benchmark clinic with realistic histories in bulk "
        "(executemany on SQLite, COPY on PostgreSQL)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--patients", type=int, default=12_000)
        parser.add_argument("--therapists", type=int, default=10)
        parser.add_argument("--weeks", type=int, default=8)
        parser.add_argument(
            "--caseloads",
            default="50,500,5000",
            help="caseload sizes of the first therapists (comma separated)",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "bench_data writes thousands of fake patients; use a bench database."
            )
        try:
            from bench.generate import Plan, generate
        except ImportError as exc:  # the bench package lives next to manage.py
            raise CommandError("run from the project root (the bench package is there)") from exc
        try:
            caseloads = tuple(int(x) for x in options["caseloads"].split(",") if x.strip())
            plan = Plan(
                patients=options["patients"],
                therapists=options["therapists"],
                weeks=options["weeks"],
                caseloads=caseloads,
                seed=options["seed"],
            )
            plan.sizes()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        stats = generate(plan, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{plan.slug}: {stats.line()}"))
