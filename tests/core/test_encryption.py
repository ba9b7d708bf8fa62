"""Clinical free text is encrypted at rest: canary strings written through the models never
appear in raw SQL, a database dump or ``manage.py dumpdata``; they read back through the
model; keys rotate; a missing or malformed key stops the app with a clear message."""

import io
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tandem.accounts import services
from tandem.accounts.models import BreakGlassGrant, Invitation
from tandem.core import crypto
from tandem.core.fields import ENCRYPTED_FIELD_TYPES
from tests.core.envrun import SETUP, production_env, run_python

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a suicidal thoughts since Tuesday"
CANARY_NOTE = "CANARY-b21e reviewed: patient disclosed self-harm"


def raw_dump() -> str:
    """Every row of every table, as an attacker reading the database files would see it."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.append(repr(cursor.fetchall()))
    return "\n".join(parts)


def raw_column(model, field: str, pk) -> str:
    column = model._meta.get_field(field).column
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)} "  # noqa: S608
            f"WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def grant(personas):
    """A break-glass grant with clinical free text, written through the model."""
    now = timezone.now()
    return BreakGlassGrant.objects.create(
        user=personas.other_therapist,
        patient=personas.patient,
        reason=CANARY,
        review_note=CANARY_NOTE,
        started_at=now,
        expires_at=now + timedelta(minutes=60),
    )


def test_canaries_are_not_in_raw_sql(grant):
    stored = raw_column(BreakGlassGrant, "reason", grant.pk)
    assert stored.startswith(crypto.PREFIX)
    assert CANARY not in stored and "CANARY" not in stored
    assert "CANARY" not in raw_column(BreakGlassGrant, "review_note", grant.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_breakglassgrant")
        assert "CANARY" not in repr(cursor.fetchall())


def test_canaries_are_not_in_a_database_dump(grant):
    assert "CANARY" not in raw_dump()


def test_canaries_read_back_through_the_model(grant):
    fresh = BreakGlassGrant.objects.get(pk=grant.pk)
    assert fresh.reason == CANARY
    assert fresh.review_note == CANARY_NOTE


def test_same_text_encrypts_differently_each_time(personas, grant):
    other = BreakGlassGrant.objects.create(
        user=personas.therapist,
        patient=personas.other_patient,
        reason=CANARY,
        expires_at=timezone.now() + timedelta(minutes=60),
    )
    assert raw_column(BreakGlassGrant, "reason", grant.pk) != raw_column(
        BreakGlassGrant, "reason", other.pk
    )


def test_every_encrypted_column_holds_ciphertext(personas, grant):
    services.invite(
        actor=personas.therapist,
        email="canary@test.example",
        full_name="Canary Person",
        role="patient",
    )
    checked = 0
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED_FIELD_TYPES)]
        for field in fields:
            table, column = model._meta.db_table, field.column
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {connection.ops.quote_name(column)} "  # noqa: S608
                    f"FROM {connection.ops.quote_name(table)}"
                )
                for (value,) in cursor.fetchall():
                    if value is not None:
                        assert value.startswith(crypto.PREFIX), f"{table}.{column}: {value!r}"
                        checked += 1
    assert checked >= 3


def test_dumpdata_holds_no_clear_text_and_loads_back(grant, tmp_path):
    out = io.StringIO()
    call_command("dumpdata", "accounts.breakglassgrant", stdout=out)
    dump = out.getvalue()
    assert "CANARY" not in dump
    assert crypto.PREFIX in dump
    full = io.StringIO()
    call_command("dumpdata", stdout=full, exclude=["contenttypes", "auth.permission"])
    assert "CANARY" not in full.getvalue()

    fixture = tmp_path / "grants.json"
    fixture.write_text(dump, encoding="utf-8")
    BreakGlassGrant.objects.all().delete()
    call_command("loaddata", str(fixture), verbosity=0)
    restored = BreakGlassGrant.objects.get(uuid=grant.uuid)
    assert restored.reason == CANARY
    assert restored.review_note == CANARY_NOTE
    assert "CANARY" not in raw_column(BreakGlassGrant, "reason", restored.pk)


def test_invitation_tokens_are_sealed(personas):
    invitation = services.invite(
        actor=personas.therapist,
        email="canary@test.example",
        full_name="Canary Person",
        role="patient",
    )
    token = Invitation.objects.get(pk=invitation.pk).token_sealed
    assert token not in raw_dump()


# --- key rotation ----------------------------------------------------------------------------


def test_key_rotation(personas):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(TANDEM_FIELD_KEYS=[old]):
        grant = BreakGlassGrant.objects.create(
            user=personas.other_therapist,
            patient=personas.patient,
            reason=CANARY,
            expires_at=timezone.now() + timedelta(minutes=60),
        )
        before = raw_column(BreakGlassGrant, "reason", grant.pk)

    # 1. Prepend the new key: old values still read, new values use the new key. (The
    # suite's own key stays too: the personas' second factors were written with it.)
    with override_settings(TANDEM_FIELD_KEYS=[new, old, *settings.TANDEM_FIELD_KEYS]):
        assert BreakGlassGrant.objects.get(pk=grant.pk).reason == CANARY
        out = io.StringIO()
        call_command("rotate_field_keys", stdout=out)  # 2. re-encrypt
        assert "accounts.BreakGlassGrant: 1 rows re-encrypted" in out.getvalue()
    after = raw_column(BreakGlassGrant, "reason", grant.pk)
    assert after != before
    assert "CANARY" not in after

    # 3. Drop the old key: everything still reads.
    with override_settings(TANDEM_FIELD_KEYS=[new]):
        assert BreakGlassGrant.objects.get(pk=grant.pk).reason == CANARY
        assert BreakGlassGrant.objects.get(pk=grant.pk).review_note == ""
    # The old key alone no longer opens the data: it really was re-encrypted.
    with override_settings(TANDEM_FIELD_KEYS=[old]), pytest.raises(crypto.DecryptionError):
        BreakGlassGrant.objects.get(pk=grant.pk)


def test_a_wrong_key_fails_loudly_not_silently(grant):
    with (
        override_settings(TANDEM_FIELD_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(crypto.DecryptionError, match="no configured key"),
    ):
        BreakGlassGrant.objects.get(pk=grant.pk)


def test_plain_text_in_an_encrypted_column_is_refused(grant):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_breakglassgrant SET reason = %s WHERE id = %s",
            ["planted clear text", grant.pk],
        )
    with pytest.raises(crypto.DecryptionError, match="not in Tandem's encrypted format"):
        BreakGlassGrant.objects.get(pk=grant.pk)


# --- missing or malformed keys ---------------------------------------------------------------


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"], ["", ""], ["c2hvcnQ="]])
def test_check_keys_refuses_missing_or_malformed_keys(keys):
    with override_settings(TANDEM_FIELD_KEYS=keys), pytest.raises(ImproperlyConfigured) as info:
        crypto.check_keys()
    assert "TANDEM_FIELD_KEYS" in str(info.value)


def test_production_without_field_keys_refuses_to_start(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, TANDEM_FIELD_KEYS=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "TANDEM_FIELD_KEYS must be set in the production profile" in result.stderr
    assert "generate_field_key" in result.stderr


def test_production_with_a_malformed_key_refuses_to_start(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, TANDEM_FIELD_KEYS="not-a-fernet-key"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "comma-separated list of Fernet keys" in result.stderr


def test_production_with_good_keys_starts(tmp_path):
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = run_python(
        SETUP + "; print('started')", production_env(tmp_path, TANDEM_FIELD_KEYS=keys)
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_generate_field_key_prints_a_usable_key():
    out = io.StringIO()
    call_command("generate_field_key", stdout=out)
    key = out.getvalue().strip()
    with override_settings(TANDEM_FIELD_KEYS=[key]):
        crypto.check_keys()
        assert crypto.decrypt(crypto.encrypt(CANARY)) == CANARY


def test_break_glass_reason_written_through_the_service_is_not_in_a_dump(personas):
    grant = services.break_glass(
        actor=personas.other_therapist, patient=personas.patient, reason=CANARY
    )
    services.review_break_glass(actor=personas.supervisor, grant=grant, note=CANARY_NOTE)
    assert "CANARY" not in raw_dump()


def test_typed_text_that_looks_like_ciphertext_is_kept(personas):
    """A patient may type anything, including the storage prefix: no crash, no loss."""
    text = f"{crypto.PREFIX}not really ciphertext"
    grant = BreakGlassGrant(
        user=personas.other_therapist,
        patient=personas.patient,
        reason=text,
        expires_at=timezone.now() + timedelta(minutes=60),
    )
    grant.full_clean()
    grant.save()
    assert BreakGlassGrant.objects.get(pk=grant.pk).reason == text
    assert raw_column(BreakGlassGrant, "reason", grant.pk) != text


def test_totp_secrets_are_not_stored_in_clear(personas):
    from allauth.mfa.models import Authenticator

    from tandem.accounts.demo import DEMO_TOTP_SECRET

    row = Authenticator.objects.filter(user=personas.therapist, type="totp").get()
    assert DEMO_TOTP_SECRET not in str(row.data)
    assert row.data["secret"].startswith(crypto.PREFIX)
    assert DEMO_TOTP_SECRET not in raw_dump()


def test_key_rotation_reaches_second_factor_secrets(personas):
    """TOTP secrets and recovery-code seeds live in allauth's JSON, not in an encrypted
    column: rotation re-encrypts them too, and the second factor keeps working."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    user = personas.other_therapist
    Authenticator.objects.filter(user=user).delete()
    with override_settings(TANDEM_FIELD_KEYS=[old]):
        totp = TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").instance
        before = Authenticator.objects.get(pk=totp.pk).data["secret"]
        assert before.startswith(crypto.PREFIX)
    with override_settings(TANDEM_FIELD_KEYS=[new, old, *settings.TANDEM_FIELD_KEYS]):
        out = io.StringIO()
        call_command("rotate_field_keys", stdout=out)
        assert "mfa.Authenticator: " in out.getvalue()
    after = Authenticator.objects.get(pk=totp.pk).data["secret"]
    assert after != before and after.startswith(crypto.PREFIX)
    with override_settings(TANDEM_FIELD_KEYS=[new]):
        assert get_adapter().decrypt(after) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with override_settings(TANDEM_FIELD_KEYS=[old]), pytest.raises(crypto.DecryptionError):
        get_adapter().decrypt(after)


def test_rotation_encrypts_a_secret_written_in_clear(personas):
    from allauth.mfa.models import Authenticator

    user = personas.other_therapist
    Authenticator.objects.filter(user=user).delete()
    row = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    call_command("rotate_field_keys", stdout=io.StringIO())
    stored = Authenticator.objects.get(pk=row.pk).data["secret"]
    assert stored.startswith(crypto.PREFIX) and crypto.decrypt(stored) == "JBSWY3DPEHPK3PXP"
