"""Settings for a webhook worker the tests run as a subprocess (``manage.py ekyc_deliver_webhooks``): the suite's
own, with ``EKYC["WEBHOOKS"]`` from the ``EKYC_TEST_WEBHOOKS`` environment variable (JSON), since the example
project's settings have no way to set endpoints."""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import EKYC as _EKYC

EKYC = {**_EKYC, "WEBHOOKS": json.loads(os.environ.get("EKYC_TEST_WEBHOOKS", "{}"))}
