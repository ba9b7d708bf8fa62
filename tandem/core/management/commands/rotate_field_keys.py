"""Re-encrypt every encrypted field with the newest key in TANDEM_FIELD_KEYS, and the
second-factor secrets that allauth keeps inside its ``Authenticator.data`` JSON (TOTP
secrets, recovery-code seeds; encrypted through ``accounts.adapters.MFAAdapter``)."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from tandem.core import crypto
from tandem.core.fields import ENCRYPTED_FIELD_TYPES


class Command(BaseCommand):
    help = (
        "Re-encrypt clinical text with the newest field key. Prepend the new key to "
        "TANDEM_FIELD_KEYS, run this, then remove the old key."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options) -> None:  # type: ignore[no-untyped-def]
        total = 0
        for model in apps.get_models():
            fields = [
                f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED_FIELD_TYPES)
            ]
            if not fields:
                continue
            names = [f.attname for f in fields]
            count = 0
            last_pk = None
            while True:
                # Read raw ciphertext (no decryption) and write rotated ciphertext back.
                rows = list(_raw_rows(model, fields, last_pk, batch_size))
                if not rows:
                    break
                with transaction.atomic():
                    for pk, *values in rows:
                        updates = {
                            name: crypto.rotate(value)
                            for name, value in zip(names, values, strict=True)
                            if value is not None
                        }
                        if updates:
                            _raw_update(model, pk, fields, updates)
                            count += 1
                last_pk = rows[-1][0]
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        count = _rotate_authenticators(batch_size)
        total += count
        self.stdout.write(f"mfa.Authenticator: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows re-encrypted."))


# The values allauth encrypts through the adapter: a TOTP secret, a recovery-code seed.
SECRET_KEYS = ("secret", "seed")


def _rotate_authenticators(batch_size: int) -> int:
    """Re-encrypt the secrets inside each authenticator's JSON with the newest key (and
    encrypt any written before encryption was on)."""
    from allauth.mfa.models import Authenticator

    count = 0
    last_pk = 0
    while True:
        rows = list(
            Authenticator.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "data")[:batch_size]
        )
        if not rows:
            return count
        with transaction.atomic():
            for pk, data in rows:
                rotated = _rotated(data)
                if rotated != data:
                    Authenticator.objects.filter(pk=pk).update(data=rotated)
                    count += 1
        last_pk = rows[-1][0]


def _rotated(data: object) -> object:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key in SECRET_KEYS:
        value = out.get(key)
        if not isinstance(value, str) or not value:
            continue
        out[key] = (
            crypto.rotate(value) if value.startswith(crypto.PREFIX) else crypto.encrypt(value)
        )
    return out


def _raw_rows(model, fields, last_pk, limit):  # type: ignore[no-untyped-def]
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Identifiers come from model metadata, quoted by the backend; values are parameters.
    sql = f"SELECT {pk}, {cols} FROM {table}"  # noqa: S608  # nosec B608
    params: list[object] = []
    if last_pk is not None:
        sql += f" WHERE {pk} > %s"
        params.append(last_pk)
    sql += f" ORDER BY {pk} LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _raw_update(model, pk, fields, updates) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    by_attname = {f.attname: f.column for f in fields}
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(by_attname[a])} = %s" for a in updates)
    where = connection.ops.quote_name(model._meta.pk.column)
    # Identifiers come from model metadata, quoted by the backend; values are parameters.
    sql = f"UPDATE {table} SET {sets} WHERE {where} = %s"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*updates.values(), pk])
