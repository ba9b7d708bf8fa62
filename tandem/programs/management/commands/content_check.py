from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tandem.programs import catalog


class Command(BaseCommand):
    help = "Validate every program package (and instrument definitions); errors name file and line."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("paths", nargs="*", help="package directories (default: all)")
        parser.add_argument("--strict", action="store_true", help="treat warnings as errors")

    def handle(self, *args, paths: list[str], strict: bool, **options) -> None:  # type: ignore[no-untyped-def]
        from tandem.programs.content import load_package

        if paths:
            reports = {
                Path(p).name: load_package(Path(p), instruments_dir=catalog.instruments_dir())[1]
                for p in paths
            }
        else:
            reports = catalog.check_all()
        errors = warnings = 0
        for code, report in reports.items():
            for issue in report.errors:
                self.stderr.write(f"error: programs/{code}/{issue}")
            for issue in report.warnings:
                self.stdout.write(f"warning: programs/{code}/{issue}")
            errors += len(report.errors)
            warnings += len(report.warnings)
        errors += self._check_instruments()
        summary = f"{len(reports)} program package(s): {errors} error(s), {warnings} warning(s)"
        if errors or (strict and warnings):
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _check_instruments(self) -> int:
        try:
            from tandem.assessments import definitions
        except ImportError:
            return 0
        problems = definitions.validate_directory(catalog.instruments_dir())
        for problem in problems:
            self.stderr.write(f"error: {problem}")
        return len(problems)
