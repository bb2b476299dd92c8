"""What people add to the operations the SDK declares: what the SDK's models do not say as data.

Allowed values, lengths, and whether a parameter is a security decision of the site or presentation a frontend may
choose. Every entry must name an operation and a parameter of :mod:`django_ekyc.catalogue.operations` (a test
checks it), so an annotation cannot outlive what it annotates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """Who decides a parameter."""

    SITE = "site"  # the site's own value (ids, URLs, tokens): never from a client
    SECURITY = "security"  # how hard the provider checks: the site's decision, never a frontend's
    PRESENTATION = "presentation"  # how the provider's pages look: a frontend may choose, if the site allows it
    USER = "user"  # what the user supplies (MetaInfo, pictures, identity facts)


@dataclass(frozen=True)
class Annotation:
    role: Role = Role.SITE
    choices: frozenset[str] | None = None
    max_length: int | None = None
    pattern: str | None = None  # a full-match regular expression
    json_object: bool = False  # a JSON object sent as a string (LanguageConfig, StyleConfig)
    required: bool | None = None  # required by the provider's pages where the SDK does not say so


YES_NO = frozenset({"Y", "N"})
ZERO_ONE = frozenset({"0", "1"})
# The provider's limit on MerchantBizId (SDK and Initialize pages, 2026-03): letters and digits, at most 32.
MERCHANT_BIZ_ID = Annotation(pattern=r"[A-Za-z0-9]{1,32}", max_length=32)
# Ours, to keep abuse cheap to refuse: the provider states no limit on these strings.
META_INFO_MAX_LENGTH = 10_000
JSON_OPTION_MAX_LENGTH = 20_000

# Initialize and InitializeV2 take the same options (V2 carries pictures in the body).
REQUIRED = Annotation(required=True)
MERCHANT_BIZ_ID_REQUIRED = Annotation(pattern=MERCHANT_BIZ_ID.pattern, max_length=32, required=True)

_START: Mapping[str, Annotation] = {
    "MerchantBizId": MERCHANT_BIZ_ID_REQUIRED,
    "MerchantUserId": REQUIRED,
    "ProductCode": REQUIRED,
    "MetaInfo": Annotation(role=Role.USER, max_length=META_INFO_MAX_LENGTH, required=True),
    "SceneCode": Annotation(pattern=r"[A-Za-z0-9_]{1,10}"),
    "ProcedurePriority": Annotation(choices=frozenset({"url", "keep"})),
    "SecurityLevel": Annotation(role=Role.SECURITY, choices=frozenset({"01", "02"})),
    "IdSpoof": Annotation(role=Role.SECURITY, choices=YES_NO),
    "IdThreshold": Annotation(role=Role.SECURITY, choices=frozenset({"0", "1", "2", "3"})),
    # TEMPLATE: the site's own pool of liveness actions (TemplateConfig, required then: 01 blink ... 07 flash).
    "Model": Annotation(role=Role.SECURITY, choices=frozenset({"LIVENESS", "PHOTINUS_LIVENESS", "TEMPLATE"})),
    "TemplateConfig": Annotation(role=Role.SECURITY, pattern=r"0[1-7](,0[1-7]){0,6}"),
    "TemplateRanCount": Annotation(role=Role.SECURITY, pattern=r"[1-7]"),
    "TemplateType": Annotation(role=Role.SECURITY),  # its values are not documented
    "DocVideo": Annotation(role=Role.SECURITY, choices=YES_NO),
    "ShowAlbumIcon": Annotation(role=Role.SECURITY, choices=ZERO_ONE),
    "EditOcrResult": Annotation(role=Role.SECURITY, choices=ZERO_ONE),
    "Pages": Annotation(role=Role.SECURITY, choices=frozenset({"01", "01,02"})),
    "ShowOcrResult": Annotation(role=Role.PRESENTATION, choices=ZERO_ONE),
    "ShowGuidePage": Annotation(role=Role.PRESENTATION, choices=ZERO_ONE),
    "LanguageConfig": Annotation(role=Role.PRESENTATION, max_length=JSON_OPTION_MAX_LENGTH, json_object=True),
    "StyleConfig": Annotation(role=Role.PRESENTATION, max_length=JSON_OPTION_MAX_LENGTH, json_object=True),
}

ANNOTATIONS: Mapping[str, Mapping[str, Annotation]] = MappingProxyType(
    {
        "Initialize": _START,
        "InitializeV2": _START,
        "CheckResult": {
            "MerchantBizId": MERCHANT_BIZ_ID_REQUIRED,
            "TransactionId": REQUIRED,
            "IsReturnImage": Annotation(choices=YES_NO),
        },
        "DeleteVerifyResult": {
            "TransactionId": REQUIRED,
            "DeleteType": Annotation(choices=frozenset({"Img", "Text"}), required=True),
            "DeleteAfterQuery": Annotation(choices=YES_NO, required=True),
        },
        "FaceVerifyIntl": {"MerchantBizId": MERCHANT_BIZ_ID},
        "FaceDuplicationCheckIntl": {"MerchantBizId": MERCHANT_BIZ_ID, "Liveness": Annotation(choices=ZERO_ONE)},
    }
)
