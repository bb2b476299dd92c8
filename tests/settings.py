"""Settings for django-ekyc's own test suite: SQLite by default, ``DATABASE_URL`` when set."""

from __future__ import annotations

from importlib.util import find_spec

import environ

env = environ.Env()

SECRET_KEY = "django-ekyc-tests-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}

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
    "django_tasks_db",  # the task workers the example project runs (tests/test_task_worker.py)
    "example_project",  # its demo pages are what the browser tests drive
]
if find_spec("django.tasks") is None:  # Django 5.2: the backport of django.tasks
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db"), "django_tasks")

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
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
]

STATIC_URL = "/static/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The suite talks to a local simulator over http on purpose, in one process (a local-memory cache is right).
SILENCED_SYSTEM_CHECKS = ["django_ekyc.W002", "django_ekyc.W003", "django_ekyc.W007"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test-only Fernet keys; the first encrypts.
TEST_ENCRYPTION_KEYS = ["bm90LWEtcmVhbC1rZXktdGVzdHMtb25seS0wMDAwMDA=", "b2xkLXRlc3Qta2V5LWZvci1yb3RhdGlvbi0wMDAwMDA="]

EKYC = {
    "ACCESS_KEY_ID": "LTAI-settings-key-id",
    "ACCESS_KEY_SECRET": "settings-secret-value",
    "ENDPOINT": "http://127.0.0.1:9",
    "RETRY_BACKOFF": 0.01,
    "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
}
