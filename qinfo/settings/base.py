"""Settings shared by every environment. Everything that varies comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from qinfo.env import env_bool, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", default=False)
# The development key is refused by production settings; see production.py.
SECRET_KEY = env_str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    # Swagger UI's files served from our own static files: /api/docs/ works without internet.
    "drf_spectacular_sidecar",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "qinfo",
    "schools",
    "students",
    "academics",
    "earlywarning",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response; see CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the acting user and URL on every audited change made during a request.
    "pghistory.middleware.HistoryMiddleware",
    # Last, so that lockouts see the authenticated user.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qinfo.urls"
WSGI_APPLICATION = "qinfo.wsgi.application"
ASGI_APPLICATION = "qinfo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.navigation",
            ],
            "builtins": ["qinfo.templatetags.thai"],
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/qinfo")}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", default="test_qinfo")}
# The audit triggers ask for `pgtrigger.ignore` inside an exception block; when the setting does
# not exist every written row pays for a rolled-back subtransaction. An empty list by default
# keeps bulk writes (imports, grade saves) several times faster and ignores nothing.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c pgtrigger.ignore={{}}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Only what can be recomputed or done without lives in the cache, so it degrades instead of
# raising while Redis is down (qinfo.cache); short timeouts keep a hung Redis from holding pages.
CACHES = {
    "default": {
        "BACKEND": "qinfo.cache.DegradingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", default="qinfo"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_USER_MODEL = "schools.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the signed-in user read from a 60-second cached copy.
    "schools.auth.CachedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule on the password: Django calls it after every change of password, from any
    # page, the admin or the shell, and it revokes the user's API tokens.
    {"NAME": "schools.auth.RevokeTokensOnPasswordChange"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: server-side in the database, read through a copy that lives 60 seconds in the cache
# (schools.sessions; not Django's cached_db, whose copy lives as long as the session: signing
# in and every page keep working while Redis is down, and a sign-out the cache missed is
# forgotten within a minute), HTTP-only cookies, expire after a school day of idling.
SESSION_ENGINE = "schools.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=False)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from this site
# only; no inline script at all (behaviour lives in static/js), no third-party origin. Inline
# <style> elements need the request's nonce; style="" attributes are allowed (CSP3's
# style-src-attr): they cannot run code, and the templates use them for small layout tweaks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# django-axes: lock out a username from one address after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "th"
# Thai only: with English listed, a browser set to English got Django's and DRF's own messages
# in English inside the Thai pages. locale/th holds Thai for what their catalogues lack.
LANGUAGES = [("th", "ไทย")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="Q-Info <no-reply@q-info.local>")

REST_FRAMEWORK = {
    # Token first, so that a missing or dead token answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "schools.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "qinfo.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "qinfo.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "qinfo.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {"export": "30/hour", "token": "20/hour"},
}
# API tokens (django-rest-knox): stored hashed, expire, revocable one by one or all at once.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", default=24 * 7)),
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKEN_LIMIT_PER_USER", default=10),
    "AUTO_REFRESH": False,
}
# The schema and docs page are open in development; production requires sign-in.
API_DOCS_REQUIRE_LOGIN = env_bool("API_DOCS_REQUIRE_LOGIN", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Q-Info API",
    "DESCRIPTION": "ระบบสารสนเทศโรงเรียน Q-Info — ข้อมูลนักเรียน ผลการเรียน และการเตือนภัยล่วงหน้า",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["qinfo.api.ApiDocsPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `kind` or `status` with their own choices; name each enum.
    "ENUM_NAME_OVERRIDES": {
        "StatusChangeKindEnum": "students.models.StatusChange.Kind",
        "SubjectKindEnum": "academics.models.Subject.Kind",
        "AssessmentItemKindEnum": "academics.models.AssessmentItem.Kind",
        "ResultChangeKindEnum": "academics.models.ResultChange.Kind",
        "EvaluationKindEnum": "academics.models.Evaluation.Kind",
        "CalendarEventKindEnum": "schools.models.CalendarEvent.Kind",
        "StudentStatusEnum": "students.models.Student.Status",
        "ImportJobStatusEnum": "students.models.ImportJob.Status",
        "InterventionKindEnum": "earlywarning.models.Intervention.Kind",
    },
}

# Celery: a job row is created in the request and its id enqueued on commit; workers pick
# one task at a time and acknowledge only after it finishes, so a killed worker's task is
# redelivered instead of lost.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
# WeasyPrint can hold on to memory after a large document; recycle the child past this (KiB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=600_000)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
# Broker outages: a worker started while Redis is down waits for it, and one that loses it keeps
# reconnecting for as long as it takes (instead of giving up after 100 tries). A task running
# when the connection drops is left to finish: its message is restored to the queue on
# reconnect and the second delivery finds the job done (tasks claim their job; see qinfo.jobs).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
# Leases of background jobs (qinfo.jobs): a running job renews its lease every
# JOB_HEARTBEAT_SECONDS; one not renewed for JOB_LEASE_SECONDS has lost its worker and the sweep
# (every JOB_SWEEP_SECONDS) queues it again, or fails it with a retry after JOB_MAX_ATTEMPTS
# starts. So a killed worker's job moves again within about a lease and a sweep (1-2 minutes).
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", default=10)
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", default=60)
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", default=30)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", default=3)
# Student imports: a file above either bound is read and checked by the Celery worker (with its
# memory cap), not in the web request; the page follows it. Bytes are what a reader goes through:
# a CSV as uploaded, an .xlsx's sheets unpacked (known from the archive's directory, unpacking
# nothing). Rows are the file's lines.
IMPORT_PARSE_IN_WORKER_BYTES = env_int("IMPORT_PARSE_IN_WORKER_BYTES", default=1024 * 1024)
IMPORT_PARSE_IN_WORKER_ROWS = env_int("IMPORT_PARSE_IN_WORKER_ROWS", default=2_000)
# Dirty marks (qinfo.dirty): whatever stays marked DIRTY_GRACE_SECONDS after its change (its
# task was lost) is recomputed by the sweep every DIRTY_SWEEP_SECONDS.
DIRTY_GRACE_SECONDS = env_int("DIRTY_GRACE_SECONDS", default=60)
DIRTY_SWEEP_SECONDS = env_int("DIRTY_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {"task": "qinfo.sweep_jobs", "schedule": JOB_SWEEP_SECONDS},
    "sweep-dirty": {"task": "qinfo.sweep_dirty", "schedule": DIRTY_SWEEP_SECONDS},
    "clear-expired-sessions": {"task": "schools.clear_expired_sessions", "schedule": crontab(hour=2, minute=0)},
    "expire-guardian-codes": {"task": "students.expire_guardian_codes", "schedule": crontab(hour=2, minute=10)},
    "recompute-all-gpa": {"task": "academics.recompute_all_gpa", "schedule": crontab(hour=2, minute=30)},
    # After the GPAs, which the academic risk rules read.
    "recompute-all-risk": {"task": "earlywarning.recompute_all_risk", "schedule": crontab(hour=3, minute=30)},
    # Alert deliveries that came due: retries, the hourly e-mail digests, the end of quiet hours.
    "send-alert-deliveries": {"task": "earlywarning.send_due_deliveries", "schedule": 60},
    # Generated document files past their retention (DOCUMENT_RETENTION_DAYS) are deleted.
    "expire-document-files": {"task": "reports.expire_files", "schedule": crontab(hour=4, minute=0)},
}

# How many days the generated files of each document type are kept after they are made (a job's
# zip or PDF, the merged PDF inside it, each issued document's file): the retention sweep
# (reports.expire_files, nightly) deletes them and the pages offer a new request; the
# IssuedDocument rows stay, so serials and verification codes stay valid. A school overrides a
# type in School.policy["document_retention_days"] (reports.selectors.options); types not listed
# keep DOCUMENT_RETENTION_DEFAULT_DAYS.
DOCUMENT_RETENTION_DEFAULT_DAYS = env_int("DOCUMENT_RETENTION_DEFAULT_DAYS", default=90)
DOCUMENT_RETENTION_DAYS = {"pp1": 90, "pp3": 365, "pp5": 365, "pp6": 180, "pp7": 90}

# Alert delivery (earlywarning.channels): the LINE Messaging API's base URL (tests point it at a
# local receiver), attempts before a delivery is failed, and the timeout of one HTTP send.
LINE_API_BASE = env_str("LINE_API_BASE", default="https://api.line.me")
ALERT_DELIVERY_MAX_ATTEMPTS = env_int("ALERT_DELIVERY_MAX_ATTEMPTS", default=6)
ALERT_HTTP_TIMEOUT = env_int("ALERT_HTTP_TIMEOUT", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "qinfo.pdpa": {"level": "INFO"},
        # Every sign-in is already in axes' own table; keep the console for problems.
        "axes": {"level": "WARNING"},
    },
}

# Parent activation codes printed by the school stay valid this many days.
GUARDIAN_CODE_VALID_DAYS = env_int("GUARDIAN_CODE_VALID_DAYS", default=60)
