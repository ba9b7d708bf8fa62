"""Check program packages without Django: ``python -m tandem.programs.content <dir>...``.

Each argument is a package directory (content/programs/<code>) or a directory of
packages (content/programs). Exits with 1 when any package has errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .loader import find_packages, validate_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tandem.programs.content", description="Validate Tandem program packages."
    )
    parser.add_argument("paths", nargs="*", default=["content/programs"])
    parser.add_argument("--quiet", action="store_true", help="show errors only")
    args = parser.parse_args(argv)
    failed = False
    for arg in args.paths:
        path = Path(arg)
        packages = [path] if (path / "manifest.yaml").is_file() else find_packages(path)
        if not packages:
            print(f"{path}: no program packages found", file=sys.stderr)
            failed = True
        for package in packages:
            report = validate_package(package)
            for issue in report.errors:
                print(f"{package}/{issue} (error)")
            if not args.quiet:
                for issue in report.warnings:
                    print(f"{package}/{issue} (warning)")
            status = "OK" if report.ok else "FAILED"
            print(
                f"{package}: {status} – {len(report.errors)} error(s), "
                f"{len(report.warnings)} warning(s)"
            )
            failed = failed or not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
