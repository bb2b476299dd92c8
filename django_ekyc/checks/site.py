"""Checks of how the provider and browsers reach this site: E015 (development mode outside DEBUG), W016 (no
PUBLIC_BASE_URL outside DEBUG), E017 (a PUBLIC_BASE_URL that is not https, the documentation's example, or a
placeholder such as ``https://<your domain>``), E022 (a webhook endpoint reached over plain http)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.conf import EkycSettings

# Hosts the documentation uses in its examples (RFC 2606/6761 names): never a real site's.
EXAMPLE_HOSTS = ("example", "example.com", "example.net", "example.org", "invalid", "test")
# Dot-separated labels of letters, digits and inner hyphens: what a placeholder ("<your domain>", "{domain}") is not.
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    return [
        *_development_mode(ekyc.SIMULATOR_URL),
        *_public_base_url(ekyc.PUBLIC_BASE_URL),
        *_webhook_urls({name: endpoint.url for name, endpoint in ekyc.WEBHOOKS.endpoints.items()}),
    ]


def _webhook_urls(urls: dict[str, str]) -> list[CheckMessage]:
    """Events (and, for some endpoints, identity data) must not cross a network in clear: https, or this host."""
    return [
        Error(
            f"EKYC WEBHOOKS endpoint {name!r} is reached over plain http: its events would cross the network "
            "unencrypted.",
            hint="Use an https URL (http is accepted only for 127.0.0.1, ::1 and localhost).",
            id="django_ekyc.E022",
        )
        for name, url in urls.items()
        if _scheme_and_host(url)[0] != "https" and _scheme_and_host(url)[1] not in ("127.0.0.1", "::1", "localhost")
    ]


def _development_mode(simulator_url: str | None) -> list[CheckMessage]:
    if not simulator_url:
        return []
    return [
        Error(
            "EKYC SIMULATOR_URL (development mode) is set while DEBUG is off: verifications would go to a simulator.",
            hint="Remove SIMULATOR_URL and set the AccessKey of your account.",
            id="django_ekyc.E015",
        )
    ]


def _public_base_url(url: str | None) -> list[CheckMessage]:
    if not url:
        return [
            Warning(
                "EKYC PUBLIC_BASE_URL is not set: ReturnUrl and CallbackUrl are built from each request's host, and "
                "behind a proxy that speaks http to the site the callback (https only) is silently left out.",
                hint="Set PUBLIC_BASE_URL to the https address users reach the site at.",
                id="django_ekyc.W016",
            )
        ]
    scheme, host = _scheme_and_host(url)
    if scheme != "https":
        problem = "is not https: the provider calls back only to https, and browsers come back over it"
    elif not _is_host(host):
        problem = "names no host (a placeholder such as <your domain>?): put the address users reach the site at"
    elif host.endswith(tuple(f".{name}" for name in EXAMPLE_HOSTS)) or host in EXAMPLE_HOSTS:
        problem = "is an example from the documentation: users and the provider would be sent off this site"
    else:
        return []
    return [Error(f"EKYC PUBLIC_BASE_URL {url!r} {problem}.", id="django_ekyc.E017")]


def _scheme_and_host(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        return parts.scheme, (parts.hostname or "").lower()
    except ValueError:  # brackets that hold no IPv6 address: "https://[your domain]"
        return url.partition(":")[0].lower(), ""


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return HOST_NAME.fullmatch(host) is not None
    return True
