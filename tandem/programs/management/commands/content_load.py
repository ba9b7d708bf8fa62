from django.core.management.base import BaseCommand, CommandError

from tandem.programs import catalog


class Command(BaseCommand):
    help = "Import shipped program packages idempotently (a changed package becomes a new version)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, quiet: bool, **options) -> None:  # type: ignore[no-untyped-def]
        failed = []
        for result in catalog.load_all():
            if not result.report.ok:
                failed.append(result.code)
                for issue in result.report.errors:
                    self.stderr.write(f"error: programs/{result.code}/{issue}")
                continue
            if not quiet or result.created:
                state = "loaded as new version" if result.created else "unchanged"
                self.stdout.write(f"{result.code} {result.version}: {state}")
        if failed:
            raise CommandError(f"packages with errors were not loaded: {', '.join(failed)}")
