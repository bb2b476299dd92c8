"""A faithful stand-in for Alibaba Cloud's ``cloudauth-intl`` API, hosted page and web SDK.

Start it with ``python manage.py ekyc_simulator`` or, from Python,
``with Simulator({"key-id": "secret"}) as sim: ...`` (see :mod:`django_ekyc.testing`).
Never expose it publicly: its ``/_sim/`` control endpoints have no authentication.
"""

from django_ekyc.simulator.server import Simulator

__all__ = ["Simulator"]
