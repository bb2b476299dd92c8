"""Plain helpers shared by the test modules: the start request, API clients, and the tokens a start issues.

Fixtures built on them (``api``, ``start``, ``api_start``, ``finish``) live in ``conftest.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from rest_framework.test import APIClient

    from django_ekyc.models import KycTransaction
    from django_ekyc.testing import RunningSimulator

LIST_URL = "/ekyc/api/transactions/"

META_INFO = '{"apdidToken":"","bioMetaInfo":"4.1.0:2916352,0","deviceType":"web","ua":"Mozilla/5.0 (X11; Linux)"}'

# A site served over https: only then does a start send a CallbackUrl and issue a callback token.
SHOP = "https://shop.example"


def shop_url(path: str) -> str:
    """``build_url`` for a start on :data:`SHOP`."""
    return f"{SHOP}{path}"


def start_body(**fields: Any) -> dict[str, Any]:
    """The fields of a valid start (a passport), with ``fields`` added or replacing them; a new dict each call."""
    return {"doc_type": "01000000", "meta_info": META_INFO, **fields}


def api_client(user: Any) -> APIClient:
    """A DRF test client authenticated as ``user``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def start_via_api(client: APIClient, **fields: Any) -> KycTransaction:
    """POST a start (:func:`start_body` with ``fields``) as ``client``; it must answer 201. The row it created."""
    from django_ekyc.models import KycTransaction

    response = client.post(LIST_URL, start_body(**fields), format="json")
    assert response.status_code == 201, response.content
    return KycTransaction.objects.get(public_id=response.json()["id"])


def initialize_params(simulator: RunningSimulator) -> dict[str, str]:
    """The parameters of the latest Initialize call the simulator recorded."""
    return simulator.control.calls("Initialize")[-1]["params"]


def return_path(params: dict[str, str]) -> str:
    """The path of the ReturnUrl a start sent: ``/ekyc/return/<token>/``."""
    return urlsplit(params["ReturnUrl"]).path


def return_token(params: dict[str, str]) -> str:
    """The return token in the ReturnUrl a start sent."""
    return return_path(params).rstrip("/").rsplit("/", 1)[1]


def callback_token(params: dict[str, str]) -> str:
    """The callback token a start sent (only on https sites, see :data:`SHOP`)."""
    return params["CallbackToken"]


# The Redis databases (on 127.0.0.1:6379) the suite's multi-process tests use, one per module so that they never
# share keys: EKYC_TEST_REDIS_DB=N picks N, N + 1 and N + 2 (default 5: 5, 6 and 7; the benchmarks use 11 to 13).
# The task worker and the deployment tests empty theirs (FLUSHDB); the rate limit tests delete only their own keys.
# Two runs at once on one Redis need two values three apart (5 and 8): they would empty each other's databases.
REDIS_DB_BASE = int(os.environ.get("EKYC_TEST_REDIS_DB", "5"))
REDIS_DBS = {"ratelimit": REDIS_DB_BASE, "task_worker": REDIS_DB_BASE + 1, "deployment": REDIS_DB_BASE + 2}


def redis_url(module: str) -> str:
    """The URL of the Redis database of ``module`` (a key of :data:`REDIS_DBS`)."""
    return f"redis://127.0.0.1:6379/{REDIS_DBS[module]}"


def throttle_rates(**rates: str | None) -> Any:
    """DRF's ``DEFAULT_THROTTLE_RATES`` with the given scopes (``start``, ``refresh``: the ``ekyc_`` scopes)."""
    from django.conf import settings
    from django.test import override_settings

    scoped = {f"ekyc_{scope}": rate for scope, rate in rates.items()}
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scoped})
