from django.core.management.base import BaseCommand, CommandError

from tandem.audit.services import verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero when it was tampered with."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        problems = verify()
        if problems:
            for problem in problems:
                where = f"entry {problem.entry_id}" if problem.entry_id else "chain"
                self.stderr.write(f"{where}: {problem.message}")
            raise CommandError(f"audit chain verification FAILED ({len(problems)} problems)")
        self.stdout.write(self.style.SUCCESS("audit chain verified: intact"))
