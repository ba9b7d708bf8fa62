"""Configuration from the environment: helpers fail loudly on bad values, EMAIL_URL is
parsed, and the production profile refuses to start without its secrets (subprocesses:
the settings module is read once per process)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tandem import env
from tests.core.envrun import SETUP, production_env, run_manage, run_python

# --- the helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("TANDEM_TEST_FLAG", raw)
    assert env.env_bool("TANDEM_TEST_FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "yes please"])
def test_env_bool_refuses_other_values(monkeypatch, raw):
    monkeypatch.setenv("TANDEM_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="TANDEM_TEST_FLAG must be a boolean"):
        env.env_bool("TANDEM_TEST_FLAG")


def test_unset_or_empty_means_the_default(monkeypatch):
    monkeypatch.delenv("TANDEM_TEST_FLAG", raising=False)
    assert env.env_bool("TANDEM_TEST_FLAG", default=True) is True
    assert env.env_int("TANDEM_TEST_FLAG", 7) == 7
    assert env.env_str("TANDEM_TEST_FLAG", "dflt") == "dflt"
    assert env.env_list("TANDEM_TEST_FLAG", ["a"]) == ["a"]
    monkeypatch.setenv("TANDEM_TEST_FLAG", "")
    assert env.env_bool("TANDEM_TEST_FLAG", default=True) is True
    assert env.env_int("TANDEM_TEST_FLAG", 7) == 7
    assert env.env_str("TANDEM_TEST_FLAG", "dflt") == "dflt"


def test_env_int(monkeypatch):
    monkeypatch.setenv("TANDEM_TEST_NUMBER", "42")
    assert env.env_int("TANDEM_TEST_NUMBER", 1) == 42
    for bad in ("forty", "4.2", "12min"):
        monkeypatch.setenv("TANDEM_TEST_NUMBER", bad)
        with pytest.raises(ImproperlyConfigured, match="TANDEM_TEST_NUMBER must be an integer"):
            env.env_int("TANDEM_TEST_NUMBER", 1)


def test_env_list(monkeypatch):
    monkeypatch.setenv("TANDEM_TEST_LIST", " a.example , b.example,,  ")
    assert env.env_list("TANDEM_TEST_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("TANDEM_TEST_LIST", "   ")
    assert env.env_list("TANDEM_TEST_LIST", ["x"]) == ["x"]


def test_file_variant_wins(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("TANDEM_TEST_SECRET", "from-env")
    monkeypatch.setenv("TANDEM_TEST_SECRET_FILE", str(secret))
    assert env.env_str("TANDEM_TEST_SECRET") == "from-file"


def test_unreadable_file_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_TEST_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=r"TANDEM_TEST_SECRET_FILE=.* cannot be read"):
        env.env_str("TANDEM_TEST_SECRET")


# --- EMAIL_URL -------------------------------------------------------------------------------


def _mailer(url):
    default = env.email_settings(url)["default"]
    return default["BACKEND"].rsplit(".", 2)[-2], default["OPTIONS"]


@pytest.mark.parametrize("url", ["", "console://", "CONSOLE://"])
def test_console_email(url):
    assert _mailer(url) == ("console", {})


def test_locmem_email():
    assert _mailer("locmem://")[0] == "locmem"


def test_smtp_url_with_credentials_and_starttls():
    backend, options = _mailer("smtp://mailer%40tandem:p%40ss%2Fword@mail.example.org:587?tls=1")
    assert backend == "smtp"
    assert options["host"] == "mail.example.org"
    assert options["port"] == 587
    assert options["username"] == "mailer@tandem"
    assert options["password"] == "p@ss/word"
    assert options["use_tls"] is True
    assert options["use_ssl"] is False


def test_smtp_defaults():
    _, options = _mailer("smtp://127.0.0.1")
    assert options["port"] == 25 and options["use_tls"] is False and options["use_ssl"] is False
    assert options["username"] == "" and options["password"] == ""
    _, options = _mailer("smtp://127.0.0.1:8025")
    assert options["host"] == "127.0.0.1" and options["port"] == 8025


def test_smtps_is_implicit_tls_on_465():
    _, options = _mailer("smtps://mail.example.org")
    assert options["port"] == 465 and options["use_ssl"] is True


@pytest.mark.parametrize("url", ["http://mail.example.org", "sendmail://", "ftp://x"])
def test_unsupported_email_schemes_fail_loudly(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme"):
        env.email_settings(url)


def test_bad_email_port_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="invalid port"):
        env.email_settings("smtp://mail.example.org:notaport")


# --- the production profile (subprocesses) ---------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set in the production profile"),
        ("TANDEM_FIELD_KEYS", "TANDEM_FIELD_KEYS must be set in the production profile"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set in the production profile"),
        ("EMAIL_URL", "EMAIL_URL must be an smtp:// or smtps:// URL in the production profile"),
    ],
)
def test_production_refuses_to_start_without(tmp_path, missing, message):
    result = run_python(SETUP, production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_console_email(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, EMAIL_URL="console://"))
    assert result.returncode != 0 and "EMAIL_URL must be an smtp://" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must be off in the production profile" in result.stderr


def test_unknown_profile_is_refused(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, TANDEM_ENV="staging"))
    assert result.returncode != 0
    assert "TANDEM_ENV must be 'development' or 'production'" in result.stderr


def test_bad_values_stop_the_start(tmp_path):
    result = run_python(SETUP, production_env(tmp_path, SECURE_SSL_REDIRECT="sometimes"))
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be a boolean" in result.stderr


def test_production_transport_security(tmp_path):
    code = SETUP + (
        "; from django.conf import settings as s"
        "; print(s.DEBUG, s.SECURE_HSTS_SECONDS >= 365*24*3600, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_NAME, s.PASSWORD_HASHERS[0])"
    )
    result = run_python(code, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "True",
        "__Host-tandem-session",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def test_production_passes_check_deploy(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_work_without_configuration(tmp_path):
    env_vars = production_env(
        tmp_path,
        TANDEM_ENV=None,
        SECRET_KEY=None,
        TANDEM_FIELD_KEYS=None,
        ALLOWED_HOSTS=None,
        EMAIL_URL=None,
    )
    code = SETUP + (
        "; from django.conf import settings as s"
        "; print(s.DEBUG, bool(s.SECRET_KEY), len(s.TANDEM_FIELD_KEYS), s.ALLOWED_HOSTS,"
        " s.MAILERS['default']['BACKEND'].split('.')[-2])"
    )
    result = run_python(code, env_vars)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "1",
        "['127.0.0.1',",
        "'localhost']",
        "console",
    ]
    # Local secrets are generated once, kept private, and reused.
    secret = tmp_path / "var" / "secret-key"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    again = run_python(
        SETUP + "; from django.conf import settings as s; print(s.SECRET_KEY)", env_vars
    )
    assert again.stdout.strip() == secret.read_text().strip()
