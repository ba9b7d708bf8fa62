"""The audit log: complete for staff reads, append-only, hash-chained, and verified by
``manage.py audit_verify``, which exits non-zero and names the entry when someone with
database access edits, deletes, inserts or truncates rows."""

import datetime
import itertools
import json

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tandem.accounts import services
from tandem.audit import services as audit
from tandem.audit.models import AuditEntry, ChainHead
from tandem.core.models import AppendOnlyError

pytestmark = pytest.mark.django_db

TABLE = "audit_auditentry"


# --- helpers: an attacker with database access -----------------------------------------------


def drop_append_only_triggers() -> None:
    """What an attacker with owner rights on the database would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {TABLE}")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def run_verifier(capsys) -> tuple[int, str]:
    """``manage.py audit_verify`` as the operator runs it: (exit code, output)."""
    try:
        ManagementUtility(["manage.py", "audit_verify"]).execute()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def chain(personas, login):
    """A realistic stretch of log: reads, a denial, a break-glass and a role change."""
    client = login(personas.therapist)
    for _ in range(3):
        client.get(reverse("patient_detail", args=[personas.patient.uuid]))
    login(personas.outsider).get(reverse("patient_detail", args=[personas.patient.uuid]))
    services.break_glass(
        actor=personas.other_therapist,
        patient=personas.patient,
        reason="Alert at night, care team away",
    )
    services.change_role(actor=personas.admin, user=personas.researcher, role="supervisor")
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) >= 6
    return entries


# --- completeness ----------------------------------------------------------------------------


def test_a_staff_read_writes_an_entry_with_actor_patient_and_address(personas, login):
    client = login(personas.therapist)
    before = AuditEntry.objects.count()
    response = client.get(
        reverse("patient_detail", args=[personas.patient.uuid]),
        REMOTE_ADDR="192.0.2.44",
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="accounts.patient.viewed").get()
    assert AuditEntry.objects.count() > before
    assert entry.actor == personas.therapist
    assert entry.actor_role == "therapist"
    assert entry.patient_uuid == personas.patient.uuid
    assert entry.clinic_id_ref == personas.clinic.pk
    assert entry.ip == "192.0.2.44"
    assert entry.user_agent == "TestBrowser/1.0"
    assert entry.outcome == "ok"
    assert entry.at.utcoffset() == datetime.timedelta(0)


def test_supervisor_reads_are_audited_too(personas, login):
    login(personas.supervisor).get(reverse("patient_detail", args=[personas.other_patient.uuid]))
    entry = AuditEntry.objects.get(action="accounts.patient.viewed")
    assert entry.actor == personas.supervisor
    assert entry.patient_uuid == personas.other_patient.uuid


def test_patient_list_is_audited(personas, login):
    login(personas.therapist).get(reverse("patient_list"), REMOTE_ADDR="192.0.2.9")
    entry = AuditEntry.objects.get(action="accounts.patient.listed")
    assert entry.actor == personas.therapist and entry.ip == "192.0.2.9"


def test_view_denials_are_audited(personas, login):
    login(personas.researcher).get(reverse("staff_list"))
    entry = AuditEntry.objects.get(action="accounts.view.denied")
    assert entry.actor == personas.researcher and entry.outcome == "denied"


def test_entries_link_into_a_chain(chain):
    assert chain[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    head = ChainHead.objects.get()
    assert head.last_hash == chain[-1].hash and head.count == len(chain)


# --- the verifier ----------------------------------------------------------------------------


def test_an_intact_chain_verifies(chain, capsys):
    assert audit.verify() == []
    code, output = run_verifier(capsys)
    assert code == 0
    assert "intact" in output


def test_an_empty_log_verifies(db, capsys):
    assert audit.verify() == []
    assert run_verifier(capsys)[0] == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "nothing to see here"),
        ("action", "accounts.patient.listed"),
        ("outcome", "denied"),
        ("ip", "10.9.9.9"),
        ("user_agent", "Forged/1.0"),
        ("actor_role", "supervisor"),
        ("patient_uuid", "00000000-0000-4000-8000-000000000000"),
        ("detail", json.dumps({"forged": True})),
        ("at", "2020-01-01 00:00:00"),
        ("actor_id", 999999),
    ],
)
def test_an_edited_row_is_detected_and_named(chain, capsys, column, value):
    victim = chain[2]
    drop_append_only_triggers()
    raw(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, victim.id])  # noqa: S608
    problems = audit.verify()
    assert [p.entry_id for p in problems] == [victim.id]
    assert "edited" in problems[0].message
    code, output = run_verifier(capsys)
    assert code != 0
    assert f"entry {victim.id}" in output
    assert "FAILED" in output


def test_an_edited_row_with_a_recomputed_hash_breaks_the_link(chain, capsys):
    victim, following = chain[2], chain[3]
    drop_append_only_triggers()
    victim.reason = "rewritten by an attacker"
    forged = victim.compute_hash()
    raw(
        f"UPDATE {TABLE} SET reason = %s, hash = %s WHERE id = %s",  # noqa: S608
        [victim.reason, forged, victim.id],
    )
    problems = audit.verify()
    assert following.id in [p.entry_id for p in problems]
    code, output = run_verifier(capsys)
    assert code != 0 and f"entry {following.id}" in output


def test_a_deleted_row_is_detected(chain, capsys):
    victim, following = chain[2], chain[3]
    drop_append_only_triggers()
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [victim.id])  # noqa: S608
    problems = audit.verify()
    assert following.id in [p.entry_id for p in problems]
    assert any("removed or changed" in p.message for p in problems)
    code, output = run_verifier(capsys)
    assert code != 0 and f"entry {following.id}" in output


def test_a_truncated_tail_is_detected(chain, capsys):
    drop_append_only_triggers()
    raw(f"DELETE FROM {TABLE} WHERE id >= %s", [chain[-2].id])  # noqa: S608
    problems = audit.verify()
    assert problems
    assert any("chain head mismatch" in p.message for p in problems)
    code, output = run_verifier(capsys)
    assert code != 0
    assert f"{len(chain)} entries recorded, {len(chain) - 2} present" in output


def test_an_inserted_row_is_detected(chain, capsys):
    last = chain[-1]
    raw(
        f"INSERT INTO {TABLE} (uuid, at, actor_role, action, outcome, target_type, reason, "  # noqa: S608
        "user_agent, detail, prev_hash, hash) VALUES (%s, %s, '', 'forged', 'ok', '', '', '', "
        "%s, %s, %s)",
        [
            "11111111-1111-4111-8111-111111111111"
            if connection.vendor == "postgresql"
            else "11111111111141118111111111111111",
            "2031-01-01 00:00:00",
            "{}",
            last.hash,
            "f" * 64,
        ],
    )
    forged_id = AuditEntry.objects.latest("id").id
    assert forged_id in [p.entry_id for p in audit.verify()]
    code, output = run_verifier(capsys)
    assert code != 0 and f"entry {forged_id}" in output


def test_call_command_raises_for_a_broken_chain(chain):
    drop_append_only_triggers()
    raw(f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", [chain[0].id])  # noqa: S608
    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit_verify")


# --- append-only -----------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_entry(chain):
    entry = AuditEntry.objects.get(pk=chain[0].pk)
    entry.reason = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert audit.verify() == []


def test_the_database_refuses_bulk_updates_and_deletes(chain):
    if connection.vendor not in {"sqlite", "postgresql"}:
        pytest.skip("append-only triggers exist for SQLite and PostgreSQL")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[0].pk).update(reason="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[0].pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"DELETE FROM {TABLE}")  # noqa: S608
    assert AuditEntry.objects.count() == len(chain)
    assert audit.verify() == []


# --- who sees the log ------------------------------------------------------------------------


def test_patients_access_log_shows_staff_reads_and_break_glass_reasons(personas, login, chain):
    page = login(personas.patient.user).get(reverse("my_access_log")).content.decode()
    assert personas.therapist.full_name in page
    assert "accounts.patient.viewed" in page
    assert personas.other_therapist.full_name in page
    assert "Emergency access:" in page
    assert "Alert at night, care team away" in page


def test_access_log_shows_only_the_patients_own_entries(personas, login, chain):
    login(personas.outsider).get(reverse("patient_detail", args=[personas.foreign_patient.uuid]))
    page = login(personas.other_patient.user).get(reverse("my_access_log")).content.decode()
    assert personas.therapist.full_name not in page
    assert "Alert at night" not in page
    assert personas.outsider.full_name not in page
    assert "No staff member has opened your information yet." in page
    own = login(personas.patient.user).get(reverse("my_access_log")).content.decode()
    assert personas.outsider.full_name not in own  # the outsider's read was of another patient


def test_access_log_leaves_out_the_patients_own_actions(personas, login):
    audit.record(actor=personas.patient.user, action="journey.viewed", patient=personas.patient)
    page = login(personas.patient.user).get(reverse("my_access_log")).content.decode()
    assert "journey.viewed" not in page


def test_clinic_log_shows_own_clinic_in_utc(personas, login, chain):
    supervisor = login(personas.supervisor)
    page = supervisor.get(reverse("clinic_audit_log")).content.decode()
    assert "accounts.break_glass.opened" in page
    viewed = AuditEntry.objects.filter(action="accounts.patient.viewed").first()
    assert viewed.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") in page
    foreign = login(personas.outsider_supervisor).get(reverse("clinic_audit_log"))
    assert "accounts.break_glass.opened" not in foreign.content.decode()
    filtered = supervisor.get(reverse("clinic_audit_log"), {"action": "accounts.user"})
    assert "accounts.patient.viewed" not in filtered.content.decode()
    assert "accounts.user.role_changed" in filtered.content.decode()
