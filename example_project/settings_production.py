"""Production settings for the example project: what ``manage.py check --deploy`` expects.

Everything secret comes from the environment; nothing here has a usable default.
"""

from __future__ import annotations

from example_project.settings import *  # noqa: F403
from example_project.settings import EKYC, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Throttles and the provider rate limit must count across every worker and host (django_ekyc.W007).
CACHES = {"default": env.cache("CACHE_URL")}

EKYC = {
    **EKYC,
    "ACCESS_KEY_ID": env.str("EKYC_ACCESS_KEY_ID"),
    "ACCESS_KEY_SECRET": env.str("EKYC_ACCESS_KEY_SECRET"),
    "ENDPOINT": env.str("EKYC_ENDPOINT", default="https://cloudauth-intl.cn-hongkong.aliyuncs.com"),
    "ENCRYPTION_KEYS": env.list("EKYC_ENCRYPTION_KEYS"),
    "PUBLIC_BASE_URL": env.str("EKYC_PUBLIC_BASE_URL"),
}
