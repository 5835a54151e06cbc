"""Settings for the citizen reception platform.

Everything comes from the environment (see README "Configuration"). With no environment the platform runs
on an *embedded default*: SQLite, the in-process channel layer, and Celery on a filesystem broker (a real
worker and beat, no server needed). Production values are the safe ones: DEBUG off, HTTPS only, secure
cookies, HSTS. ``manage.py check --deploy`` is clean once ALLOWED_HOSTS and SECRET_KEY are set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one generated once and kept in var/ (never in the code)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core.third_party.AxesConfig",
    "channels",
    "core.third_party.ViAddressConfig",
    # Our apps
    "core",
    "accounts",
    "offices",
    "workdays",
    "notifications",
    "sessions.apps.ReceptionSessionsConfig",
    "scheduling",
    "signaling",
    "media.apps.MediaConfig",
    "audit",
    "cases",
    "minutes",
    "documents",
    "oversight",
    "reports",
    "followup",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.ClientLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.FriendlyErrorPagesMiddleware",  # the site's 404 page also with DEBUG on (make run)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "admin_templates"],  # admin overrides (accessibility, issue 17)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores ---------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_int("DB_POOL_MAX", 20) > 0:
        # Under ASGI every concurrent request runs in a thread of its own, each with its own connection:
        # without a pool, a burst of requests exhausts PostgreSQL's max_connections. The pool bounds the
        # connections per process; requests beyond it wait up to DB_POOL_TIMEOUT seconds.
        DATABASES["default"]["OPTIONS"] = {"pool": {
            "min_size": env_int("DB_POOL_MIN", 2), "max_size": env_int("DB_POOL_MAX", 20),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Several processes (Daphne, Celery worker, beat) share the file: wait instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "tcd")
if REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialWithJitterBackoff

    from core.redis_connection import pool_options as redis_pool_options

    CHANNEL_LAYERS = {
        "default": {
            # core (lists, BRPOP; group_send pipelined: core/channel_layer.py) or pubsub (PUBLISH/SUBSCRIBE: one
            # message per process per group): chosen on numbers, docs/benchmarks.md "National reception day".
            "BACKEND": {"core": "core.channel_layer.PipelinedRedisChannelLayer",
                        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}[
                os.environ.get("CHANNEL_LAYER_BACKEND", "core")],
            "CONFIG": {
                # channels-redis blocks on BRPOP for 5 s; redis-py 8's default socket timeout is also 5 s, so an
                # idle wait raced it and killed the consumer (room sockets closed with 1011 every ~5 s). A
                # longer timeout, and retries that carry consumers across a Redis restart.
                # redis-py 8's pool holds at most 100 connections per event loop and *fails* (MaxConnectionsError)
                # beyond: a Daphne with a thousand sockets passes that in any burst (group_add at hello,
                # group_send fan-out), and events were lost. A larger pool; the room fan-out is also bounded
                # (signaling.services.send_messages).
                # The connection class re-raises a cancellation Python 3.11 drops (core/redis_connection.py).
                "hosts": [{**redis_pool_options(REDIS_URL), "socket_timeout": 15,
                           "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000),
                           "retry": Retry(ExponentialWithJitterBackoff(base=0.1, cap=1), 10)}],
                "prefix": CHANNEL_LAYER_PREFIX,
                # All the sockets of one Daphne share one Redis list (channels-redis "specific." channels), and a
                # message to a list at capacity (was 500) is dropped silently: 22 of 80 admissions lost at 150 sockets in
                # a burst (bench/room_fanout.py). Clients recover lost events by seq, but the cap must be
                # far above a burst of one process: the list is drained continuously, memory is not the limit.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 20000),
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",  # one redis.Redis per pool (core/cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "tcd"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# HTTP requests one process runs at once (core/asgi.py); the others wait in the event loop, in order. 0: no
# bound (Django's default: a thread per request, however many arrive).
HTTP_MAX_CONCURRENT_REQUESTS = env_int("HTTP_MAX_CONCURRENT_REQUESTS", max(env_int("DB_POOL_MAX", 20), 0) or 20)
# --- Celery ---------------------------------------------------------------------------------------------
# Embedded default: the filesystem transport (kombu) lets Daphne, the worker and beat exchange real task
# messages through var/celery/ with no broker server. With REDIS_URL set, Redis is the broker.
CELERY_BROKER_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "platform-heartbeat": {"task": "core.tasks.record_heartbeat", "schedule": float(env_int("HEARTBEAT_SECONDS", 60))},
    "purge-expired-signups": {"task": "accounts.tasks.purge_expired_signups", "schedule": 3600.0},
    "materialize-plans": {"task": "scheduling.tasks.materialize_plans", "schedule": 3600.0},
    "publish-due-sessions": {"task": "scheduling.tasks.publish_due_sessions", "schedule": 900.0},
    "send-reminders": {"task": "scheduling.tasks.send_due_reminders", "schedule": 300.0},
    "mark-no-shows": {"task": "scheduling.tasks.mark_no_shows", "schedule": 900.0},
    "auto-open-sessions": {"task": "sessions.tasks.auto_open_sessions", "schedule": 60.0},
    "expire-room-disconnects": {"task": "signaling.tasks.expire_disconnected", "schedule": 15.0},
    # Daily, before office hours (Asia/Ho_Chi_Minh): warnings, overdue alerts and escalation of cases.
    "check-case-deadlines": {"task": "cases.check_case_deadlines",
                             "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(
                                 hour=env_int("CASE_DEADLINE_CHECK_HOUR", 6), minute=0)},
    # Daily: drafts of the reports whose cut-off has passed, then alerts on overdue reports (docs/reports.md).
    "draft-reports": {"task": "reports.draft_due_reports",
                      "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(hour=5, minute=30)},
    # Notifications (docs/notifications.md): the sweep of unsent SMS/e-mail and the daily digest.
    "send-pending-notifications": {"task": "notifications.send_pending", "schedule": 60.0},
    "send-daily-digests": {"task": "notifications.send_daily_digests",
                           "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(
                               hour=env_int("NOTIFICATION_DIGEST_HOUR", 7), minute=0)},
    # Daily: overdue plan tasks, late assignment reports, filed petitions past their keeping (docs/cases.md).
    "check-followups": {"task": "followup.check_followups",
                        "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(
                            hour=env_int("CASE_DEADLINE_CHECK_HOUR", 6), minute=15)},
}

# --- Reports (docs/reports.md) ---------------------------------------------------------------------------
# Working days after the cut-off (the 14th) by which an office of each tier submits its periodic report.
REPORT_DEADLINE_WORKING_DAYS = {"commune": env_int("REPORT_DEADLINE_DAYS_COMMUNE", 2),
                                "provincial": env_int("REPORT_DEADLINE_DAYS_PROVINCIAL", 5),
                                "central": env_int("REPORT_DEADLINE_DAYS_CENTRAL", 10)}
REPORT_KL107_DUE = (11, 15)  # the yearly report on Conclusion 107-KL/TW: by 15 November
REPORT_KL107_PERIOD_KIND = "9m"  # its data: 15 Dec – 14 Sep (the last cut-off before 15 Nov)
REPORT_DRAFT_LOOKBACK_DAYS = 45  # the beat drafts reports whose cut-off passed within this many days

# --- Minutes (docs/minutes.md) -------------------------------------------------------------------------
MINUTES_MAX_TEXT_CHARS = env_int("MINUTES_MAX_TEXT_CHARS", 50_000)
MINUTES_SCAN_MAX_BYTES = env_int("MINUTES_SCAN_MAX_BYTES", 20 * 1024 * 1024)

# --- Cases: deadlines (shared/DOMAIN.md, "Deadlines"; defaults from the law, configurable) -------------
CASE_CITIZEN_NOTICE_WORKING_DAYS = env_int("CASE_CITIZEN_NOTICE_WORKING_DAYS", 10)
CASE_COMPLAINT_ACCEPT_DAYS = env_int("CASE_COMPLAINT_ACCEPT_DAYS", 10)
# Complaint resolution, in days (Law on Complaints 2011, art. 28 and 37): first/second time, remote area,
# complex. CASE_COMPLAINT_RESOLUTION_DAYS="first=30,first_complex=45,..." overrides single entries.
CASE_COMPLAINT_RESOLUTION_DAYS = {
    "first": 30, "first_complex": 45, "first_remote": 45, "first_remote_complex": 60,
    "second": 45, "second_complex": 60, "second_remote": 60, "second_remote_complex": 70,
    **{k.strip(): int(v) for k, v in (item.split("=", 1) for item in env_list("CASE_COMPLAINT_RESOLUTION_DAYS", []))},
}
CASE_DENUNCIATION_RESOLUTION_DAYS = env_int("CASE_DENUNCIATION_RESOLUTION_DAYS", 30)
CASE_DENUNCIATION_MAX_EXTENSIONS = env_int("CASE_DENUNCIATION_MAX_EXTENSIONS", 2)
CASE_DENUNCIATION_EXTENSION_MAX_DAYS = env_int("CASE_DENUNCIATION_EXTENSION_MAX_DAYS", 30)
CASE_FILED_KEEP_YEARS = env_int("CASE_FILED_KEEP_YEARS", 1)
CASE_DEADLINE_WARNING_WORKING_DAYS = env_int("CASE_DEADLINE_WARNING_WORKING_DAYS", 3)
CASE_ESCALATION_DELAY_DAYS = env_int("CASE_ESCALATION_DELAY_DAYS", 5)
# Duplicate and repeat detection (cases/duplicates.py, issue 16).
CASE_DUPLICATE_WINDOW_DAYS = env_int("CASE_DUPLICATE_WINDOW_DAYS", 365)
CASE_DUPLICATE_MIN_SIMILARITY = float(os.environ.get("CASE_DUPLICATE_MIN_SIMILARITY", "0.5"))
CASE_DUPLICATE_MAX_CANDIDATES = env_int("CASE_DUPLICATE_MAX_CANDIDATES", 300)
CASE_REPEATED_TRANSFER_MIN = env_int("CASE_REPEATED_TRANSFER_MIN", 2)
DOCUMENTS_LOG_PDF_MAX_ROWS = env_int("DOCUMENTS_LOG_PDF_MAX_ROWS", 5000)

# --- Audit trail (audit/models.py) ---------------------------------------------------------------------
# Independent hash chains; an entry goes to its target's lane, so writes about different things do not
# queue behind one lock. Raising it later is safe (each entry keeps its lane); so is lowering it.
AUDIT_CHAIN_LANES = env_int("AUDIT_CHAIN_LANES", 64)

# --- Auth ---------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PhoneOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:home"

# Login throttling (django-axes): lock a login name from one address after repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Every spelling of one phone or e-mail counts against one login name (accounts.identifiers).
AXES_USERNAME_CALLABLE = "accounts.identifiers.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)

# One-time codes for sign-up verification.
OTP_LENGTH = 6
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 600)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_RESEND_INTERVAL_SECONDS = env_int("OTP_RESEND_INTERVAL_SECONDS", 60)
PHONE_DEFAULT_REGION = "VN"

# Pluggable outbound messages. E-mail goes through Django's EMAIL_BACKEND; SMS through SMS_BACKEND.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if not os.environ.get("EMAIL_HOST") else
    "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tiepcongdan@localhost")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "notifications.sms.ConsoleSMSBackend")
# The console backend sends nothing: in production (DEBUG off) the platform refuses to start with it unless
# this is set on purpose (a staging without an operator gateway; the test suite).
# (notifications.sms.refuse_console_in_production: Daphne, Celery and every checked manage.py command.)
ALLOW_CONSOLE_SMS = env_bool("ALLOW_CONSOLE_SMS", False)
SMS_SENDER_NAME = os.environ.get("SMS_SENDER_NAME", "TiepCongDan")

# Field encryption for personal data (CCCD numbers now; denouncers' identity later). A comma-separated
# list of Fernet keys: the first encrypts, all decrypt (rotation). Without it a key is generated in var/.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
# The key of the blind indexes (keyed hashes for lookups on encrypted values); generated in var/ if unset.
FIELD_INDEX_KEY = os.environ.get("FIELD_INDEX_KEY", "")

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.drf.CappedLimitOffsetPagination",
    "DEFAULT_METADATA_CLASS": "core.drf.SafeMetadata",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": os.environ.get("THROTTLE_SIGNUP", "10/hour"),
        "otp": os.environ.get("THROTTLE_OTP", "20/hour"),
        "login": os.environ.get("THROTTLE_LOGIN", "30/minute"),
    },
}
# The largest page any API list returns (``?limit=`` above it is lowered to it).
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "200"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Tiếp công dân trực tuyến API",
    "DESCRIPTION": "Online citizen reception platform (Vietnam)",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MatterKindEnum": "scheduling.models.MatterKind",
        "OfficeKindEnum": "offices.models.OfficeKind",
        "SessionKindEnum": "sessions.models.SessionKind",
        "CaseSourceEnum": "cases.models.CaseSource",
        "CaseFieldEnum": "cases.models.CaseField",
    },
}

# --- Security: safe by default, relaxed only in DEBUG ---------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_FAILURE_VIEW = "frontend.error_views.csrf_failure"  # the site's 403 page, in Vietnamese
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# With a shared cache (Redis), sessions are read from it and written to both it and the database
# (issue 18: a session read costs a Redis GET instead of a SQL query on every authenticated request).
# Without Redis each process has its own local-memory cache, which would keep a logged-out session
# alive in the other processes: sessions stay in the database only.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line is redacted: no bearer token (join links, sign-up tokens, codes) and no phone number.
    "filters": {"redact": {"()": "core.logsafety.RedactingFilter"},
                "client_errors_without_traceback": {"()": "core.logging.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 403/404 is logged once, one line, no traceback (core.logging); a 5xx keeps its traceback.
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}

# --- Domain settings (defaults from shared/DOMAIN.md) ---------------------------------------------------
# Periodic reception: legal minimum of days per month, by office tier (Law 136/2025/QH15).
RECEPTION_MIN_DAYS_PER_MONTH = {"commune": 2, "provincial": 1, "central": 1}
# Group cases (đông người): 5–10 people name 1–2 representatives; more than 10 name up to 5.
GROUP_CASE_MIN_PEOPLE = 5
GROUP_CASE_LARGE_THRESHOLD = 10
GROUP_CASE_REPRESENTATIVES_SMALL = 2
GROUP_CASE_REPRESENTATIVES_LARGE = 5
# Public holidays come from the `holidays` package's Vietnam calendar; administrators add make-up days.
WORKDAYS_HOLIDAY_COUNTRY = "VN"
# Kinds of office whose minimum differs from their tier's (e.g. {"department": 1}); empty by default.
RECEPTION_MIN_DAYS_PER_MONTH_BY_KIND: dict[str, int] = {}
LEGAL_MINIMUM_ROLLING_MONTHS = env_int("LEGAL_MINIMUM_ROLLING_MONTHS", 12)

# Scheduling (issue 3).
PUBLICATION_MIN_WORKING_DAYS = env_int("PUBLICATION_MIN_WORKING_DAYS", 5)  # publish ≥ 5 working days ahead
AUTO_PUBLISH_WORKING_DAYS_AHEAD = env_int("AUTO_PUBLISH_WORKING_DAYS_AHEAD", 10)  # periodic sessions
MATERIALIZE_DAYS_AHEAD = env_int("MATERIALIZE_DAYS_AHEAD", 42)  # periodic sessions created 6 weeks ahead
SLOT_MINUTES_DEFAULT = 30
SLOT_CAPACITY_DEFAULT = 1
# Staff pages: up to this many offices the picker is a drop-down, above it a search box (frontend.office_picker).
OFFICE_PICKER_LIST_MAX = 40
REGISTRATION_CLOSES_HOURS_BEFORE = env_int("REGISTRATION_CLOSES_HOURS_BEFORE", 24)
WAITLIST_MAX_PER_SLOT = env_int("WAITLIST_MAX_PER_SLOT", 10)
# Lifetime of the cached "slot and waiting list full" flag (issue 18, scheduling/services/full_slots.py): a
# backstop only — every write that frees a place invalidates the flag when it commits.
REGISTRATION_FULL_FLAG_SECONDS = env_int("REGISTRATION_FULL_FLAG_SECONDS", 10)
MAX_PEOPLE_PER_REGISTRATION = 500
REMINDER_EARLY_HOURS = 24
REMINDER_LATE_HOURS = 1
NO_SHOW_GRACE_MINUTES = env_int("NO_SHOW_GRACE_MINUTES", 30)
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
CELERY_TASK_EAGER_PROPAGATES = True
# The room of a published session opens by itself this long before its start (beat task, idempotent);
# the host or an officer may open it by hand from SESSION_OPEN_EARLY_MINUTES before.
SESSION_AUTO_OPEN_MINUTES_BEFORE = env_int("SESSION_AUTO_OPEN_MINUTES_BEFORE", 30)
SESSION_OPEN_EARLY_MINUTES = env_int("SESSION_OPEN_EARLY_MINUTES", 60)

# Live room (issue 4).
ROOM_RECONNECT_GRACE_SECONDS = env_int("ROOM_RECONNECT_GRACE_SECONDS", 60)
# A participant shown connected who sends nothing (clients ping every 10–20 s) for this long is taken as
# dropped at their last sign of life: their server died without closing the socket.
ROOM_SILENT_SECONDS = env_int("ROOM_SILENT_SECONDS", 60)
JOIN_LINK_MAX_AGE_SECONDS = env_int("JOIN_LINK_MAX_AGE_SECONDS", 14 * 24 * 3600)
WS_MAX_FRAMES_PER_SECOND = env_int("WS_MAX_FRAMES_PER_SECOND", 20)
WS_FRAME_BURST = env_int("WS_FRAME_BURST", 60)
# Back-pressure (issue 18): room commands of one Daphne process waiting for or holding a database thread.
# Beyond this a command is answered with a typed ``busy`` error (nothing applied, nothing lost; the client
# retries after ``retry_after``) instead of queueing without bound and timing everybody out.
ROOM_MAX_PENDING_COMMANDS = env_int("ROOM_MAX_PENDING_COMMANDS", 200)
ROOM_BUSY_RETRY_SECONDS = env_float("ROOM_BUSY_RETRY_SECONDS", 1.0)
# Media workers (media/worker.py): a room's claim lives this long without renewal (a dead worker's rooms are
# taken over after it), claims are renewed/sought every interval, and room state is re-read every poll.
MEDIA_CLAIM_TTL_SECONDS = env_float("MEDIA_CLAIM_TTL_SECONDS", 10.0)
MEDIA_CLAIM_INTERVAL_SECONDS = env_float("MEDIA_CLAIM_INTERVAL_SECONDS", 2.0)
MEDIA_STATE_POLL_SECONDS = env_float("MEDIA_STATE_POLL_SECONDS", 0.5)
# "forward": the worker forwards encoded VP8/Opus frames (docs/media.md); "relay": the old decode/re-encode
# relay (aiortc's MediaRelay), kept for the benchmark's comparison.
MEDIA_RELAY = os.environ.get("MEDIA_RELAY", "forward")
# The media worker's event loop: "uvloop" (libuv; its UDP transport and scheduler cost less per packet than
# asyncio's selector loop, docs/benchmarks.md) or "asyncio". The embedded worker runs on the web process's loop.
MEDIA_EVENT_LOOP = os.environ.get("MEDIA_EVENT_LOOP", "uvloop")
# The embedded default (no REDIS_URL, `make run`): one media worker runs inside the web process (in-process
# channel layer and room claims), so rooms have live media with no extra process. Off with Redis: production
# runs `manage.py media_worker` processes.
MEDIA_EMBEDDED = env_bool("MEDIA_EMBEDDED", not REDIS_URL)
# Where the media worker's ICE host candidates listen (media/network.py): addresses (default: every interface
# but loopback, as aioice does) and a UDP port range to open in the firewall (0 and 0: any port).
MEDIA_BIND_ADDRESSES = env_list("MEDIA_BIND_ADDRESSES", [])
MEDIA_UDP_PORT_MIN = env_int("MEDIA_UDP_PORT_MIN", 0)
MEDIA_UDP_PORT_MAX = env_int("MEDIA_UDP_PORT_MAX", 0)
# Weak lines (media/netwatch.py, docs/media.md): a subscriber's downlink steps down (all pictures → the floor
# holder's → sound only) after DOWN_SECONDS of loss ≥ DOWN_LOSS or RTT ≥ DOWN_RTT, and climbs back one step
# after UP_SECONDS of loss ≤ UP_LOSS (doubling after a failed climb, up to MAX_UP_SECONDS).
MEDIA_WEAK_LINE = {
    "down_loss": env_float("MEDIA_WEAK_DOWN_LOSS", 0.06),
    "up_loss": env_float("MEDIA_WEAK_UP_LOSS", 0.03),
    "down_rtt": env_float("MEDIA_WEAK_DOWN_RTT", 1.0),
    "down_seconds": env_float("MEDIA_WEAK_DOWN_SECONDS", 2.0),
    "up_seconds": env_float("MEDIA_WEAK_UP_SECONDS", 4.0),
    "max_up_seconds": env_float("MEDIA_WEAK_MAX_UP_SECONDS", 32.0),
}
# What a browser publishes (frontend/static/frontend/room.js, RTCRtpSender.setParameters): video at most this
# bitrate and frame rate, scaled down by PHONE_SCALE on a phone-size screen; audio (Opus, FEC and DTX on
# where the browser offers them) always goes first.
MEDIA_VIDEO_MAX_KBPS = env_int("MEDIA_VIDEO_MAX_KBPS", 500)
MEDIA_VIDEO_MAX_FPS = env_int("MEDIA_VIDEO_MAX_FPS", 20)
MEDIA_VIDEO_PHONE_SCALE = env_float("MEDIA_VIDEO_PHONE_SCALE", 2.0)
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = os.environ.get("TURN_SECRET", "")
TURN_CREDENTIAL_TTL_SECONDS = env_int("TURN_CREDENTIAL_TTL_SECONDS", 3600)
