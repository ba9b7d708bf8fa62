"""What the benchmark times, and how it prints it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.timing import Floor, Measure, Recorder, capture, measure, time_request

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
PEER_DIR = Path(__file__).resolve().parent / ".peer"
PEER_VERSION = "1.5.0"
# Tandem's and the peer's submissions alternate in blocks of this many, each block
# after an untimed warm-up: both meet the same load, and neither is timed cold from a
# switch between the two processes.
PEER_BLOCK = 5
CYCLE = "request cycle alone (healthz)"
ROOT = Path(__file__).resolve().parent.parent


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)  # sessions made once, no password hashing
    return client


# --- the periodic job -------------------------------------------------------------------------


def time_periodic(*, rebuild: bool = True) -> dict[str, Any]:
    from tandem.care import periodic

    out = {}
    runs = (("rebuild", True), ("steady", False)) if rebuild else (("steady", False),)
    for name, full in runs:
        started = time.perf_counter()
        summary = periodic.run(rebuild=full)
        out[name] = {
            "seconds": round(time.perf_counter() - started, 2),
            "enrollments": summary.enrollments,
            "summary": summary.line(),
            "phases": {k: round(v, 2) for k, v in summary.timings.items()},
        }
    return out


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- pages ------------------------------------------------------------------------------------


def _subject(therapist: Any) -> tuple[Any, Any]:
    """A patient of ``therapist`` with a history: active enrollment, scores, signals."""
    from tandem.care.models import CaseloadRow

    row = (
        CaseloadRow.objects.filter(primary_therapist=therapist, status="active")
        .exclude(last_activity_at__isnull=True)
        .select_related("patient__user", "enrollment")
        .order_by("-active_days", "-open_signals", "pk")
        .first()
    )
    return row.patient, row.enrollment


def _assignments(patient: Any, enrollment: Any, count: int, tag: str) -> list[Any]:
    from tandem.assessments import services
    from tandem.assessments.models import Assignment

    now = timezone.now()
    baseline = services.baseline_response(  # as ``assessments.services.assign`` stores it
        patient_id=patient.pk, instrument="phq9", enrollment_id=enrollment.pk
    ) or (None, None)
    rows = [
        Assignment(
            patient=patient,
            enrollment=enrollment,
            instrument="phq9",
            baseline_id=baseline[0],
            baseline_total=baseline[1],
            source="schedule",
            schedule_key=f"bench:{tag}:{n}:{uuid.uuid4().hex[:8]}",
            available_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=2),
            expires_at=now + timedelta(days=14),
        )
        for n in range(count)
    ]
    return Assignment.objects.bulk_create(rows)


def _phq9_form() -> dict[str, str]:
    from tandem.assessments import definitions

    definition = definitions.get("phq9")
    data = {"instrument": "phq9", "mode": "page", "step": "0", "action": "next"}
    for item in definition.items:
        data[f"item_{item.number}"] = "0" if item.number == 9 else "1"
    return data


def _first_page(enrollment: Any) -> tuple[str, str]:
    module = enrollment.version.package.program.modules[0]
    return module.id, module.pages[0].id


def run(plan: Any, *, repeat: int, floors: int, peer: Peer | None = None) -> list[dict[str, Any]]:
    """Every page at every caseload size, the sizes interleaved request by request (so a
    burst of load on a shared machine hits all sizes alike); the peer's submissions
    alternate with Tandem's in blocks (``PEER_BLOCK``)."""
    from tandem.accounts.models import Clinic, User

    clinic = Clinic.objects.get(slug=plan.slug)
    therapists = list(
        User.objects.filter(clinic=clinic, role="therapist").order_by("pk")[: len(plan.caseloads)]
    )
    floor = Floor()
    out: list[dict[str, Any]] = []
    try:
        pages = {
            size: _pages(size, therapist, repeat=repeat, floors=floors)
            for size, therapist in zip(plan.caseloads, therapists, strict=True)
        }

        def page_names(mine: dict[str, Any]) -> list[str]:
            return [name for name in mine if not name.startswith("_")]

        count = len(page_names(next(iter(pages.values()))))
        for index in range(count):
            results = {}
            for size, mine in pages.items():
                name = page_names(mine)[index]
                results[size] = Measure(name)
                request, _expect = mine[name]
                for _ in range(3):
                    request()
            with_peer = peer is not None and name.startswith("submit")
            for start in range(0, repeat, PEER_BLOCK if with_peer else repeat):
                block = min(repeat - start, PEER_BLOCK) if with_peer else repeat
                if start:  # back from the peer's block: warm again, untimed
                    for mine in pages.values():
                        mine[page_names(mine)[index]][0]()
                for _ in range(block):
                    for size, mine in pages.items():
                        name = page_names(mine)[index]
                        request, expect = mine[name]
                        elapsed, count, response = time_request(request)
                        if response.status_code not in expect:
                            raise RuntimeError(f"{name} at {size}: HTTP {response.status_code}")
                        results[size].server_ms.append(elapsed)
                        results[size].queries.append(count)
                        results[size].status.add(response.status_code)
                if with_peer:
                    peer.block(block)  # type: ignore[union-attr]
            for size, mine in pages.items():
                name = page_names(mine)[index]
                request, _expect = mine[name]
                for _ in range(floors):
                    results[size].floor_ms.append(floor.replay(capture(request)))
                results[size].extra["caseload"] = size
                if name.startswith("submit"):
                    patient, enrollment = mine["_subject"]
                    results[size].extra["service_queries"] = _service_queries(patient, enrollment)
            for size in pages:
                out.append(results[size].summary())
                print(_line(out[-1]), flush=True)
        supervisor = User.objects.get(clinic=clinic, role="supervisor")
        out.extend(_clinic_pages(plan, supervisor, repeat=max(5, repeat // 3), floor=floor))
    finally:
        floor.close()
    order = {size: n for n, size in enumerate(plan.caseloads)}
    out.sort(key=lambda r: order.get(r.get("caseload"), len(order)))  # stable: pages in order
    return out


def _pages(size: int, therapist: Any, *, repeat: int, floors: int) -> dict[str, Any]:
    """The requests of one caseload size: name → (request, expected statuses)."""
    staff = _client(therapist)
    patient, enrollment = _subject(therapist)
    own = _client(patient.user)
    last_page = max(1, math.ceil(size / 25))
    pool = iter(_assignments(patient, enrollment, 3 + 2 * repeat + 2 * floors + 5, f"{size}"))
    form = _phq9_form()
    module, page = _first_page(enrollment)
    send_url = reverse("messaging_send", args=[enrollment.uuid])

    def submit() -> Any:
        assignment = next(pool)
        data = {**form, "token": uuid.uuid4().hex}
        return own.post(reverse("questionnaire_fill", args=[assignment.uuid]), data)

    def send() -> Any:
        return own.post(
            send_url,
            {"body": "A short note about my week: the walks helped.", "client_token": uuid.uuid4()},
        )

    module_url = reverse(
        "module_page", kwargs={"enrollment": enrollment.uuid, "module": module, "page": page}
    )
    return {
        "triage": (lambda: staff.get(reverse("care_triage")), (200,)),
        "caseload, first page": (lambda: staff.get(reverse("care_caseload")), (200,)),
        f"caseload, last page ({last_page})": (
            lambda: staff.get(reverse("care_caseload"), {"page": last_page}),
            (200,),
        ),
        "patient overview": (
            lambda: staff.get(reverse("care_patient", args=[patient.uuid])),
            (200,),
        ),
        "submit questionnaire (PHQ-9)": (submit, (302,)),
        "send a message": (send, (302,)),
        "open a module page": (lambda: own.get(module_url), (200,)),
        "_subject": (patient, enrollment),
    }


def _service_queries(patient: Any, enrollment: Any) -> dict[str, int]:
    """Queries of ``assessments.services.submit_response`` alone (its on-commit handlers
    not included), for instruments with few and many items."""
    from tandem.assessments import definitions, services

    out = {}
    for code in ("gad7", "phq9", "wsas", "audit"):
        try:
            definition = definitions.get(code)
        except Exception:  # an instrument not shipped  # noqa: S112
            continue
        assignment = _assignments(patient, enrollment, 1, f"svc-{code}")[0]
        assignment.instrument = code
        assignment.baseline, assignment.baseline_total = None, None  # the lookup: worst case
        assignment.save(update_fields=["instrument", "baseline", "baseline_total"])
        answers = {item.number: 0 for item in definition.items if item.required}
        from django.db import transaction

        recorder = Recorder()
        with transaction.atomic():
            with connection.execute_wrapper(recorder):
                services.submit_response(actor=patient.user, assignment=assignment, answers=answers)
            transaction.set_rollback(True)
        out[f"{code} ({len(definition.items)} items)"] = len(
            [
                sql
                for sql, _params, _many in recorder.statements
                if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))
            ]
        )
    return out


def _clinic_pages(plan: Any, supervisor: Any, *, repeat: int, floor: Floor) -> list[dict]:
    client = _client(supervisor)
    results = []
    for name, request in (
        ("supervisor view", lambda: client.get(reverse("care_supervisor"))),
        ("clinic caseload, first page", lambda: client.get(reverse("care_caseload"))),
        ("clinic triage", lambda: client.get(reverse("care_triage"))),
        # No page at all: a signed-in request to the health check (middleware, session,
        # user, second-factor check, one SELECT 1) — the request cycle's own ratio.
        (CYCLE, lambda: client.get(reverse("healthz"))),
    ):
        result = measure(name, request, repeat=repeat, floors=3, floor=floor)
        result.extra["caseload"] = f"clinic {plan.patients}"
        results.append(result.summary())
        print(_line(results[-1]), flush=True)
    return results


# --- the peer -----------------------------------------------------------------------------------


def ensure_peer() -> str | None:
    """``django-survey-and-report`` in ``bench/.peer`` (pip --target), or why not."""
    if (PEER_DIR / "survey").is_dir():
        return None
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(PEER_DIR), "--no-deps", f"django-survey-and-report=={PEER_VERSION}",
        "pytz",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        return "could not install django-survey-and-report: " + done.stderr.strip()[-300:]
    return None


class Peer:
    """The peer in its own process (its own settings), timing one submission per call:
    the benchmark alternates them with Tandem's submissions."""

    def __init__(self) -> None:
        self.result = Measure("peer: django-survey-and-report")
        self.result.extra["caseload"] = "peer"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(PEER_DIR), env.get("PYTHONPATH", "")])
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.peer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self._read()  # ready

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None  # nosec B101
        for line in self.process.stdout:
            if line.startswith("{"):
                return json.loads(line)
        stderr = self.process.stderr.read() if self.process.stderr else ""
        raise RuntimeError(f"the peer stopped: {stderr.strip()[-500:]}")

    def submit(self, *, timed: bool = True) -> None:
        assert self.process.stdin is not None  # nosec B101
        self.process.stdin.write("submit\n")
        self.process.stdin.flush()
        answer = self._read()
        if answer["status"] != 302:
            raise RuntimeError(f"peer: HTTP {answer['status']}")
        if timed:
            self.result.server_ms.append(answer["ms"])
            self.result.queries.append(answer["queries"])
            self.result.status.add(answer["status"])

    def block(self, count: int) -> None:
        """One untimed warm-up submission, then ``count`` timed ones."""
        self.submit(timed=False)
        for _ in range(count):
            self.submit()

    def close(self) -> dict[str, Any]:
        assert self.process.stdin is not None  # nosec B101
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        stored = self._read()
        self.process.wait(timeout=60)
        return self.result.summary() | stored

    def kill(self) -> None:
        self.process.kill()


def start_peer() -> Peer | str:
    """The peer's process, or why there is none."""
    problem = ensure_peer()
    if not problem:
        try:
            return Peer()
        except RuntimeError as exc:
            problem = str(exc)
    print(f"peer skipped: {problem}", flush=True)
    return problem


# --- printing -----------------------------------------------------------------------------------


def _line(row: dict[str, Any]) -> str:
    ratio = f"{row['ratio']:.1f}×" if row.get("ratio") else "–"
    return (
        f"  {row.get('caseload', '')!s:>14}  {row['name']:<32} {row['median_ms']:8.1f} "
        f"{row['p95_ms']:8.1f} {row['queries']:6d} {row.get('floor_ms', 0):8.2f} {ratio:>7}"
    )


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"Tandem workspace benchmark — {result['database']}, clinic of "
        f"{result['plan']['patients']:,} enrollments, {result['plan']['weeks']} weeks of history"
    )
    header = (
        f"  {'caseload':>14}  {'page':<32} {'median':>8} {'p95':>8} {'SQL':>6} "
        f"{'floor':>8} {'ratio':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in result["pages"]:
        print(_line(row))
    peer = result.get("peer")
    if peer and not peer.get("skipped"):
        print(_line(peer))
    elif peer:
        print(f"  peer skipped: {peer['skipped']}")
    print()
    for name, job in result["care_signals"].items():
        print(
            f"  care_signals ({name}): {job['seconds']:.2f}s over "
            f"{job['enrollments']:,} active enrollments"
        )
    _targets(result)


def _targets(result: dict[str, Any]) -> None:
    pages = result["pages"]

    def find(name: str, caseload: Any) -> dict[str, Any] | None:
        return next(
            (p for p in pages if p["name"].startswith(name) and p.get("caseload") == caseload),
            None,
        )

    lines = []
    for name in ("triage", "caseload, first page"):
        at500, at50, at5000 = find(name, 500), find(name, 50), find(name, 5000)
        if at500 and result["database"] == "sqlite":
            ok = at500["p95_ms"] < 60
            lines.append(f"{name}: p95 {at500['p95_ms']:.1f} ms at 500 (< 60 ms): {_ok(ok)}")
        if at50 and at5000:
            ratio = at5000["median_ms"] / at50["median_ms"]
            lines.append(f"{name}: 5 000 vs 50 = {ratio:.2f}× (≤ 1.5×): {_ok(ratio <= 1.5)}")
        queries = {
            p["queries"]
            for p in pages
            if p["name"].startswith(name) and isinstance(p.get("caseload"), int)
        }
        lines.append(f"{name}: queries {sorted(queries)} (constant): {_ok(len(queries) == 1)}")
    for page in pages:
        big = isinstance(page.get("caseload"), int) and page["caseload"] >= 500
        if big and page.get("ratio") and page["ratio"] > 5:
            lines.append(
                f"{page['name']} at {page['caseload']}: {page['ratio']:.1f}× its floor (≤ 5×): no"
            )
    cycle = next((p for p in pages if p["name"] == CYCLE), None)
    if cycle and cycle.get("ratio"):
        lines.append(
            f"for comparison, a signed-in request that renders nothing is "
            f"{cycle['ratio']:.1f}× its floor ({cycle['median_ms']:.1f} ms vs "
            f"{cycle['floor_ms']:.2f} ms)"
        )
    submit = find("submit questionnaire", 500) or find("submit questionnaire", 50)
    peer = result.get("peer") or {}
    if submit:
        service = submit.get("service_queries", {})
        fits = all(v <= 6 for v in service.values())
        lines.append(f"submit questionnaire: service queries {service} (≤ 6): {_ok(fits)}")
        if peer.get("median_ms"):
            share = submit["median_ms"] / peer["median_ms"]
            lines.append(
                f"submit questionnaire: {share:.2f} of the peer's time (≤ 0.33): "
                f"{_ok(share <= 1 / 3)}"
            )
    for name, job in result["care_signals"].items():
        seconds, count = job["seconds"], job["enrollments"]
        if name == "steady":  # what the scheduler repeats every few minutes: the target
            lines.append(
                f"care_signals, the periodic run: {seconds:.1f}s for {count:,} enrollments "
                f"(< 30 s): {_ok(seconds < 30)}"
            )
        else:  # every caseload row and signal built from empty tables: once per database
            lines.append(
                f"care_signals, first build from empty tables (once): {seconds:.1f}s for "
                f"{count:,} enrollments (not a target)"
            )
    print("\nTargets:")
    for line in lines:
        print("  " + line)


def _ok(value: bool) -> str:
    return "yes" if value else "NO"


__all__ = ["Measure", "Peer", "capture", "print_table", "run", "start_peer", "time_periodic"]
