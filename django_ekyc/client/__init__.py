"""``EkycClient``: signed calls to ``cloudauth-intl`` (2022-08-09) over ``requests``.

The package, by job:

- :mod:`~django_ekyc.client.operations`: ``EkycClient`` and its operations (``initialize``, ``check_result``...);
- :mod:`~django_ekyc.client.retry`: ``RetryPolicy``, which failures are retried and after how long;
- :mod:`~django_ekyc.client.transport`: one signed request and its parsed answer or typed error;
- :mod:`~django_ekyc.client.configured`: the options of a client built from ``settings.EKYC``;
- :mod:`~django_ekyc.client.shared`: ``get_client()``, the process-wide client per account.

Each operation and parameter is the catalogue's (:mod:`django_ekyc.catalogue.operations`, read from the official
SDK): checked before sending, and placed where the SDK puts it, in the signed query string or in a form body
covered by ``x-acs-content-sha256``. Because the URL then
carries tokens and MetaInfo, the transport never chains ``requests``' exceptions (their messages hold the URL)
and :class:`django_ekyc.logging.ProviderQueryFilter` keeps urllib3's request lines free of the query string.
"""

from django_ekyc.client.operations import EkycClient
from django_ekyc.client.shared import get_client, reset_client

__all__ = ["EkycClient", "get_client", "reset_client"]
