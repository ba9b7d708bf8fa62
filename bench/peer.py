"""The peer: storing the same 9 answers with ``django-survey-and-report``.

Run by ``python -m bench`` in a subprocess with ``bench/.peer`` on ``PYTHONPATH`` (the
package is installed there with ``pip --target`` at bench time; it never enters the
project's lock file). A minimal Django project: the survey app, sessions, auth; one
survey of 9 radio questions (0–3, like the PHQ-9), all on one page; a signed-in user per
submission (sessions made once with ``force_login``), timed like Tandem's pages through
the test client. It answers the benchmark over stdin and stdout, one JSON line per
submission (``main``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure() -> None:
    import dj_database_url
    from django.conf import settings

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        database = dj_database_url.parse(url.rsplit("/", 1)[0] + "/" + _peer_pg_name(url))
    else:
        path = ROOT / "var" / "bench" / "peer.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        database = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
        }
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-peer-only",  # noqa: S106  # nosec B106
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "survey",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        ROOT_URLCONF="bench.peer_urls",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={"default": database},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        STATIC_URL="/static/",
        USE_TZ=True,
        LOGIN_URL="/login/",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )


def _peer_pg_name(url: str) -> str:
    name = url.rsplit("/", 1)[1] or "tandem"
    return f"{name}_peer"


def _ensure_pg(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg
    from psycopg import sql

    name = _peer_pg_name(url)
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    """Serve submissions on request: each line ``submit`` on stdin times one submission
    (by a new signed-in user; the session is made before the clock starts) and answers
    with a JSON line; ``quit`` answers with what was stored and exits. The benchmark
    alternates these with Tandem's own submissions, so both meet the same machine."""
    url = os.environ.get("DATABASE_URL", "")
    _ensure_pg(url)
    configure()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from survey.models import Answer, Question, Response, Survey

    from bench.timing import time_request

    call_command("migrate", verbosity=0)
    survey = Survey.objects.create(
        name="PHQ-9 like",
        description="Nine questions",
        need_logged_user=True,
        editable_answers=False,
        display_method=Survey.ALL_IN_ONE_PAGE,
    )
    questions = [
        Question.objects.create(
            text=f"Question {n}",
            order=n,
            required=True,
            survey=survey,
            type=Question.RADIO,
            choices="0, 1, 2, 3",
        )
        for n in range(1, 10)
    ]
    url_ = reverse("survey-detail", kwargs={"id": survey.pk})
    data = {f"question_{q.pk}": "1" for q in questions}
    _reply({"ready": True})
    for n, line in enumerate(sys.stdin):
        if line.strip() != "submit":
            break
        user = User.objects.create_user(f"peer{n}", password=None)
        client = Client()
        client.force_login(user)
        elapsed, count, response = time_request(lambda c=client: c.post(url_, data))
        _reply({"ms": elapsed, "queries": count, "status": response.status_code})
    _reply({"stored": {"responses": Response.objects.count(), "answers": Answer.objects.count()}})
    return 0


def _reply(value: dict) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
