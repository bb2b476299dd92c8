"""The HTTP side of the client, apart from any one request: the endpoint and timeout as given, and the session.

Kept apart from :mod:`~django_ekyc.client.transport` so that the transport is about one signed request.
"""

from __future__ import annotations

import os
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from django_ekyc.exceptions import EkycConfigurationError


class _NoCookies(DefaultCookiePolicy):
    """The API sets no cookies we need; refusing them keeps the shared session stateless."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def normalize_timeout(value: Any) -> tuple[float, float]:
    """Accept a number or a ``(connect, read)`` pair, as ``requests`` does."""
    pair = (value, value) if isinstance(value, int | float) else tuple(value or ())
    if len(pair) != 2 or not all(isinstance(v, int | float) and v > 0 for v in pair):
        raise EkycConfigurationError("TIMEOUT must be a positive number or a (connect, read) pair.")
    return float(pair[0]), float(pair[1])


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """Return ``(base_url, host)``; the host is exactly what we sign and send."""
    if "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EkycConfigurationError(f"ENDPOINT must be an http(s) URL, not {endpoint!r}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EkycConfigurationError("ENDPOINT must be a base URL without a path or query.")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if parts.port in (None, default_port) else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # IPv6 literal
        host = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port not in (None, default_port) else "")
    return f"{parts.scheme}://{host}", host


def new_session(pool_maxsize: int, base_url: str) -> requests.Session:
    """A pooled, cookie-less session whose environment (proxies, CA bundle) is read once, here.

    ``requests`` otherwise re-reads the environment on every request (``HTTPS_PROXY``, ``NO_PROXY``, ``.netrc``,
    ``REQUESTS_CA_BUNDLE``): a measurable cost on every start. The proxies for the provider's URL and the CA
    bundle are resolved when the client is built, so corporate egress proxies keep working; the provider's
    requests carry their own signature, so ``.netrc`` credentials never applied to them.
    """
    session = requests.Session()
    # Retries are ours (signed anew each time); urllib3 must not replay a request with a used nonce.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NoCookies())
    session.proxies.update(get_environ_proxies(base_url))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    return session
