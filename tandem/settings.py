"""Tandem settings: one module, configured by environment variables.

Two profiles. ``TANDEM_ENV=development`` (the default) works out of the box: SQLite
under ``var/``, generated local secrets, console email. ``TANDEM_ENV=production``
refuses to start without ``SECRET_KEY``, ``TANDEM_FIELD_KEYS``, ``ALLOWED_HOSTS`` and an
SMTP ``EMAIL_URL``, and turns on every transport-security setting so that
``manage.py check --deploy`` is clean.
See README.md (configuration table) and docs/operations.md.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from tandem.env import email_settings, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TANDEM_VAR_DIR", str(BASE_DIR / "var")))

TANDEM_ENV = env_str("TANDEM_ENV", "development")
if TANDEM_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("TANDEM_ENV must be 'development' or 'production'")
PRODUCTION = TANDEM_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in the production profile")


def _local_secret(name: str, make: callable) -> str:  # type: ignore[valid-type]
    """A per-checkout secret kept in var/ (development only), created on first use."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the production profile")
    SECRET_KEY = _local_secret("secret-key", lambda: secrets.token_urlsafe(50))

# Keys for clinical free text (Fernet keys, comma separated, newest first).
TANDEM_FIELD_KEYS = env_list("TANDEM_FIELD_KEYS")
if not TANDEM_FIELD_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "TANDEM_FIELD_KEYS must be set in the production profile: clinical text is "
            "encrypted with keys kept outside the database. Generate one with "
            "`manage.py generate_field_key`."
        )
    TANDEM_FIELD_KEYS = [_local_secret("field-keys", _fernet_key)]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the production profile")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "tandem.core",
    "tandem.audit",
    "tandem.accounts",
    "tandem.notifications",
    "tandem.programs",
    "tandem.safety",
    "tandem.exercises",
    "tandem.assessments",
    "tandem.journey",
    "tandem.messaging",
    "tandem.wellbeing",
    "tandem.blended",
    "tandem.care",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tandem.core.middleware.StripNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tandem.accounts.middleware.UserSessionsMiddleware",
    "tandem.accounts.middleware.SessionTimeoutMiddleware",
    "tandem.accounts.middleware.LanguageMiddleware",
    "tandem.accounts.middleware.MFARequiredMiddleware",
    "tandem.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "tandem.urls"
WSGI_APPLICATION = "tandem.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tandem" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.core.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tandem.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Durability: WAL, synchronous=FULL, immediate transactions, busy timeout;
    # Django turns foreign keys on for every SQLite connection.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": env_str("TANDEM_TEST_DB", "") or None}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        # Shared by every process (TOTP replay protection, rate limits) without Redis.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tandem_cache",
    }
}
if env_str("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL"),
    }

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts, passwords, sessions -----------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "tandem.accounts.passwords.LengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "tandem.accounts.passwords.ContextWordValidator"},
]
PASSWORD_RESET_TIMEOUT = 30 * 60

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute lifetime, see TANDEM_SESSION_*
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
TANDEM_SESSION_IDLE_STAFF = timedelta(minutes=env_int("TANDEM_SESSION_IDLE_STAFF_MINUTES", 15))
TANDEM_SESSION_IDLE_PATIENT = timedelta(minutes=env_int("TANDEM_SESSION_IDLE_PATIENT_MINUTES", 30))
TANDEM_SESSION_ABSOLUTE = timedelta(hours=12)
TANDEM_LOCKOUT_THRESHOLD = 10
TANDEM_LOCKOUT_BASE = timedelta(minutes=15)
TANDEM_LOCKOUT_MAX = timedelta(hours=24)
TANDEM_IP_FAILURES_PER_HOUR = 50
TANDEM_INVITATION_DAYS = env_int("TANDEM_INVITATION_DAYS", 7)
TANDEM_BREAK_GLASS_MINUTES = 60
# Reverse proxies in front of Tandem (0 = none): how many X-Forwarded-For hops to trust for
# the client address in the audit log and the per-IP login limit.
TANDEM_TRUSTED_PROXY_COUNT = env_int("TANDEM_TRUSTED_PROXY_COUNT", 0)
# Periodic jobs (idempotent management commands) that `manage.py scheduler` runs in turn;
# in production run them from cron / systemd timers instead (docs/operations.md).
TANDEM_PERIODIC_COMMANDS = env_list(
    "TANDEM_PERIODIC_COMMANDS",
    [
        "safety_escalate",
        "assessments_schedule",
        "messaging_sync_cover",
        "care_signals",
        "notifications_periodic",
    ],
)
# "This is hard for me": when the patient can expect an answer (working days).
TANDEM_HARD_ANSWER_WORKING_DAYS = env_int("TANDEM_HARD_ANSWER_WORKING_DAYS", 2)
# Public holidays skipped by working-day arithmetic (the `holidays` package's country code).
TANDEM_HOLIDAY_COUNTRY = env_str("TANDEM_HOLIDAY_COUNTRY", "FI")

ACCOUNT_ADAPTER = "tandem.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Tandem: "
ACCOUNT_RATE_LIMITS = {
    # Tandem's own lockout (accounts.throttle) implements the decided values; allauth's
    # cache-based limits stay on only for mail-sending actions.
    "login_failed": False,
    "login": False,
    # Rate strings, not passwords (bandit reads the key names as credentials).
    "reset_password": "20/m/ip,5/m/key",  # nosec B105
    "reset_password_from_key": "20/m/ip",  # nosec B105
    "reauthenticate": "10/m/user",
}
MFA_ADAPTER = "tandem.accounts.adapters.MFAAdapter"
MFA_FORMS = {  # second-factor codes obey the same lockout as passwords
    "authenticate": "tandem.accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "tandem.accounts.forms.MFAReauthenticateForm",
    # Passkeys: malformed credentials refused with a message; the same lockout.
    "login_webauthn": "tandem.accounts.forms.PasskeyLoginForm",
    "authenticate_webauthn": "tandem.accounts.forms.PasskeyAuthenticateForm",
    "reauthenticate_webauthn": "tandem.accounts.forms.PasskeyReauthenticateForm",
    "add_webauthn": "tandem.accounts.forms.AddPasskeyForm",
}
# Passkeys (WebAuthn) as a second factor and for signing in without a password; browsers
# allow them on https:// and on http://localhost (not on http://127.0.0.1).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_TOLERANCE = 1
MFA_TOTP_ISSUER = "Tandem"
MFA_RECOVERY_CODE_COUNT = 10
USERSESSIONS_TRACK_ACTIVITY = True

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fi", _("Finnish")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "tandem" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
CONTENT_DIR = Path(env_str("TANDEM_CONTENT_DIR", str(BASE_DIR / "content")))

# --- Email ------------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL")
if PRODUCTION and not EMAIL_URL.lower().startswith(("smtp://", "smtps://")):
    # Console output would put invitation and reset links (bearer tokens) into the logs.
    raise ImproperlyConfigured(
        "EMAIL_URL must be an smtp:// or smtps:// URL in the production profile "
        "(e.g. smtp://user:password@mail.example.org:587?tls=1)"
    )
MAILERS = email_settings(EMAIL_URL)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tandem <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications (docs/notifications.md) ------------------------------------------------------
TANDEM_SMS_BACKEND = env_str("TANDEM_SMS_BACKEND", "tandem.notifications.sms.ConsoleSmsBackend")
TANDEM_SMS_OPTIONS: dict[str, str] = {}
TANDEM_NOTIFICATION_LEASE_SECONDS = env_int("TANDEM_NOTIFICATION_LEASE_SECONDS", 600)
TANDEM_NOTIFICATION_MAX_ATTEMPTS = 5
TANDEM_NOTIFICATION_RETENTION_DAYS = env_int("TANDEM_NOTIFICATION_RETENTION_DAYS", 90)

# --- Security headers --------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
TANDEM_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload flag only takes effect once the apex domain is submitted to the list.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-tandem-session"
    CSRF_COOKIE_NAME = "__Host-tandem-csrf"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
