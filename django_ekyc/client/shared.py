"""The process-wide clients built from settings, one per account, rebuilt when ``settings.EKYC`` changes."""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from django_ekyc.client.operations import EkycClient

_clients: dict[str, EkycClient] = {}
_clients_lock = threading.Lock()


def get_client(account: str = "") -> EkycClient:
    """The process-wide client of ``account`` built from settings, created on first use.

    Sharing it keeps the connection pool warm across requests; it is rebuilt
    when ``settings.EKYC`` changes (``override_settings`` in tests).
    """
    with _clients_lock:
        if account not in _clients:
            _clients[account] = EkycClient.from_settings(account)
        return _clients[account]


def reset_client() -> None:
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


@receiver(setting_changed)
def _reset_client_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "EKYC":
        reset_client()
