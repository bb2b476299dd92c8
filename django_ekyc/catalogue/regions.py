"""The provider's regions: endpoints, the per-API quota, and whether face libraries live there.

From the provider's pages: the server-side OpenAPI endpoints (es/fr, 2026-09: six regions, ``cloudauth-intl`` and
``cloudauth-intl-vpc``), the API overview's per-API quota (2026-10: 10 in Hong Kong and Singapore, 3 in Jakarta and
Kuala Lumpur, which run local deployments), and the FACE_IDU_MIN pages (ja, 2026-04: Kuala Lumpur too). Frankfurt
and Silicon Valley have endpoints but no page says which product runs there, so no product is offered there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["REGIONS", "Region"]


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    # Calls per second per API and account (the API overview); None where no page gives one.
    quota: int | None
    face_libraries: bool = False

    def endpoint(self, *, vpc: bool = False) -> str:
        """The API's base URL here; ``vpc`` for the internal endpoint reached from a VPC in the same region."""
        return f"https://cloudauth-intl{'-vpc' if vpc else ''}.{self.code}.aliyuncs.com"


def _table(*regions: Region) -> Mapping[str, Region]:
    return MappingProxyType({region.code: region for region in regions})


REGIONS: Mapping[str, Region] = _table(
    Region("cn-hongkong", "China (Hong Kong)", quota=10, face_libraries=True),
    Region("ap-southeast-1", "Singapore", quota=10, face_libraries=True),
    Region("ap-southeast-5", "Indonesia (Jakarta)", quota=3, face_libraries=True),
    Region("ap-southeast-3", "Malaysia (Kuala Lumpur)", quota=3, face_libraries=True),
    Region("eu-central-1", "Germany (Frankfurt)", quota=None),
    Region("us-west-1", "US (Silicon Valley)", quota=None),
)
DEFAULT_REGION = "cn-hongkong"


def endpoint_for(region: str, *, vpc: bool = False) -> str:
    """The base URL of a region's endpoint (``KeyError`` for a region the provider does not have)."""
    return REGIONS[region].endpoint(vpc=vpc)
