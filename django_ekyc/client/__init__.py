"""``EkycClient``: signed calls to ``cloudauth-intl`` (2022-08-09) over ``requests``.

The package, by job:

- :mod:`~django_ekyc.client.operations`: ``EkycClient`` and its operations (``initialize``, ``check_result``...);
- :mod:`~django_ekyc.client.retry`: ``RetryPolicy``, which failures are retried and after how long;
- :mod:`~django_ekyc.client.transport`: one signed request and its parsed answer or typed error;
- :mod:`~django_ekyc.client.configured`: the options of a client built from ``settings.EKYC``;
- :mod:`~django_ekyc.client.shared`: ``get_client()``, the process-wide client per account.

Each parameter travels where the official SDK puts it (the form proven against the gateway): in the signed query
string, except face pictures, which go in a form body covered by ``x-acs-content-sha256``. Because the URL then
carries tokens and MetaInfo, the transport never chains ``requests``' exceptions (their messages hold the URL)
and :class:`django_ekyc.logging.ProviderQueryFilter` keeps urllib3's request lines free of the query string.
"""

from django_ekyc.client.configured import account_config, client_options
from django_ekyc.client.operations import EkycClient, JsonConfig, json_config
from django_ekyc.client.retry import RetryPolicy
from django_ekyc.client.shared import get_client, reset_client
from django_ekyc.client.transport import API_VERSION, USER_AGENT, Transport, normalize_timeout, split_endpoint

__all__ = [
    "API_VERSION",
    "USER_AGENT",
    "EkycClient",
    "JsonConfig",
    "RetryPolicy",
    "Transport",
    "account_config",
    "client_options",
    "get_client",
    "json_config",
    "normalize_timeout",
    "reset_client",
    "split_endpoint",
]
