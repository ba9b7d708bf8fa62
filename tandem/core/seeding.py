"""Demo data is seeded app by app, bottom layer first: each app that has demo data
registers a seeder in its AppConfig.ready (``seeding.register(order, fn)``)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

_seeders: list[tuple[int, str, Callable[[], object]]] = []


def register(order: int, name: str, seeder: Callable[[], object]) -> None:
    if all(existing != name for _, existing, _ in _seeders):
        _seeders.append((order, name, seeder))


def run_all() -> None:
    with transaction.atomic():
        for _, _, seeder in sorted(_seeders, key=lambda item: item[0]):
            seeder()
