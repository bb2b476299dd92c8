"""Settings for the example project and demo site.

Everything comes from the environment (or an optional ``.env`` beside
``manage.py``) through django-environ. With no real AccessKey configured, the
site talks to the simulator that ``make demo`` starts on 127.0.0.1:8765.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-example-project-only")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# The benchmarks run the demo with DEBUG off against the simulator on purpose.
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_ekyc",
    "django_tasks_db",  # background sync on a worker: manage.py db_worker
    "example_project",
]
if find_spec("django.tasks") is None:  # Django 5.2: the backport of django.tasks
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db"), "django_tasks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language, or the one chosen in the header (Django's set_language view): the app's pages, its
    # API's messages and the document names then come in it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"  # uvicorn example_project.asgi:application

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DEMO_DIR = BASE_DIR / ".demo"  # the demo's SQLite database, kept out of git
if "DATABASE_URL" not in env:
    DEMO_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DEMO_DIR / 'db.sqlite3'}")}
# Reuse database connections across requests (a new PostgreSQL connection costs milliseconds).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
# English and the six languages django-ekyc is translated into (the header shows each in its own name).
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "Simplified Chinese"),
    ("zh-hant", "Traditional Chinese"),
    ("id", "Indonesian"),
    ("ms", "Malay"),
    ("th", "Thai"),
    ("vi", "Vietnamese"),
]
STATIC_URL = "static/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

_real_key = env.str("EKYC_ACCESS_KEY_ID", default="")  # none: the demo runs against the local simulator

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # The OpenAPI schema at /ekyc/api/schema/ (drf-spectacular, the "openapi" extra).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # django-ekyc's throttles are DRF scopes (empty: no limit); unset, 10/hour and 30/minute per user. Against the
    # simulator, nothing is billed: the demo lets a user start 100 times an hour, enough to try every product,
    # document and outcome; with a real AccessKey each start is billed, and the app's 10 an hour stands. The
    # demo's own variables are DEMO_*: an EKYC_* variable names a setting of the app (EKYC_START_THROTTLE_RATE
    # was one, and ekyc_from_env says what replaced it).
    "DEFAULT_THROTTLE_RATES": {
        "ekyc_start": env.str("DEMO_START_THROTTLE_RATE", default="10/hour" if _real_key else "100/hour") or None,
        "ekyc_refresh": env.str("DEMO_REFRESH_THROTTLE_RATE", default="30/minute") or None,
        "ekyc_check": env.str("DEMO_CHECK_THROTTLE_RATE", default="20/hour") or None,
    },
}

# Without a real AccessKey the demo runs against the local simulator.
SIMULATOR_PORT = env.int("EKYC_SIMULATOR_PORT", default=8765)
EKYC_USES_SIMULATOR = not _real_key

EKYC = {
    "ACCESS_KEY_ID": _real_key or "demo-access-key-id",
    "ACCESS_KEY_SECRET": env.str("EKYC_ACCESS_KEY_SECRET", default="" if _real_key else "demo-access-key-secret"),
    # Without a real AccessKey, the local simulator; with one, REGION picks Alibaba's endpoint.
    "ENDPOINT": env.str("EKYC_ENDPOINT", default=f"http://127.0.0.1:{SIMULATOR_PORT}" if EKYC_USES_SIMULATOR else None),
    # The demo offers greater-China documents, global documents and a liveness-only check.
    "PRODUCTS": env.list("EKYC_PRODUCTS", default=["eKYC", "eKYC_PRO", "FACE_LIVENESS_PRO"]),
    "REGION": env.str("EKYC_REGION", default="cn-hongkong"),
    "RATE_LIMIT": env.int("EKYC_RATE_LIMIT", default=8) or None,
    "ENCRYPTION_KEYS": env.list("EKYC_ENCRYPTION_KEYS", default=[]),
    # After the provider's page, show the demo's own page for the transaction.
    "RESULT_REDIRECT_URL": "/verifications/{id}/",
    # Set when the site is reached under another name than the request's host (a proxy, a tunnel).
    "PUBLIC_BASE_URL": env.str("EKYC_PUBLIC_BASE_URL", default=None),
    # Faces: each passed verification's face goes in this face library (created in the provider's console; the
    # simulator creates it), which flags one person behind several accounts; re-verification searches it.
    "FACE_LIBRARY": env.str("EKYC_FACE_LIBRARY", default="demofaces" if EKYC_USES_SIMULATOR else None),
    "REVERIFY_PRODUCT": env.str("EKYC_REVERIFY_PRODUCT", default="FACE_IDU" if EKYC_USES_SIMULATOR else None),
    # Where a page guarded by reverification_required sends a user who must confirm it is them.
    "REVERIFY_URL": "/confirm-it-is-you/",
    # Checks from the user's own pictures (the /checks/ page, ekyc/api/checks/): those that run in Hong Kong. Each
    # is billed; the user's daily budget is PICTURE_CHECK_DAILY_LIMIT (10).
    "PICTURE_CHECKS": env.list(
        "EKYC_PICTURE_CHECKS",
        default=["FACE_COMPARE", "FACE_LIVENESS_MIN_PRO", "FACE_LIVENESS_MIN", "ID_OCR_MAX", "ID_OCR_MIN", "eKYC_MIN"],
    ),
    "PICTURE_CHECK_DAILY_LIMIT": env.int("EKYC_PICTURE_CHECK_DAILY_LIMIT", default=10),
}
# Where re-verification is on, a user may also confirm it is them from one face picture (the /checks/ page).
EKYC["REVERIFY_FROM_PICTURE"] = bool(EKYC["REVERIFY_PRODUCT"])
# The web SDK script the browser loads to produce MetaInfo ({% ekyc_scripts %}): the simulator's stand-in here.
if EKYC_USES_SIMULATOR:
    EKYC["WEB_SDK_URL"] = f"{EKYC['ENDPOINT']}/cdn/jsvm_all.js"

# Background sync runs as a task (django_ekyc.tasks.sync_waiting_transactions) on the ORM backend: its queue is a
# table of the site's own database, so it needs nothing the site does not already run, and a task is enqueued in
# the same transaction as the work that asks for it. Workers: manage.py db_worker. The periodic trigger:
# manage.py ekyc_enqueue_sync from cron every minute (the demo runs it with --every 60).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The start throttle, the refresh throttle and the site-wide provider rate limit count in the cache: with
# several processes (gunicorn workers, hosts) it must be shared. CACHE_URL=redis://127.0.0.1:6379/1 in
# production; the demo's single process is fine with local memory.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Request lines and failed-request logs carry the return and callback tokens: keep them out of every log.
REQUEST_LOGGERS = (
    "django.server",
    "django.request",
    "gunicorn.access",
    "gunicorn.error",
    "uvicorn.access",
    "uvicorn.error",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ekyc_redact": {"()": "django_ekyc.logging.RedactTokensFilter"}},
    "formatters": {
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["ekyc_redact"]},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["ekyc_redact"]},
    },
    "loggers": {
        "django_ekyc": {"handlers": ["console"], "level": env.str("EKYC_LOG_LEVEL", default="INFO")},
        **{
            name: {
                "handlers": ["server" if name == "django.server" else "console"],
                "filters": ["ekyc_redact"],
                "level": "INFO",
                "propagate": False,
            }
            for name in REQUEST_LOGGERS
        },
    },
}
