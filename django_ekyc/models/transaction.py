"""``KycTransaction``: one verification attempt by one user.

The row is the system of record: it is written before the provider is called and every provider call and state
change adds a :class:`~django_ekyc.models.KycTransactionEvent`, so no request can lose an attempt or what happened
to it. State changes go through :mod:`django_ekyc.services` only, never through ``save()`` from a view.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.catalogue.document_fields import DocumentFacts, document_facts
from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.catalogue.products import CATALOGUE, DOCUMENT_PRODUCTS, Channel
from django_ekyc.fields import Ciphertext, EncryptedJSONField
from django_ekyc.models.states import (
    TERMINAL_STATUSES,
    DeepfakeStatus,
    FaceStatus,
    Purpose,
    ReviewRule,
    ReviewState,
    Status,
)
from django_ekyc.offering import get_product

# Fields of the Ext* results that carry images (base64); kept only with STORE_IMAGES, never shown.
IMAGE_FIELDS = frozenset({"idImage", "idBackImage", "faceImg", "faceImage", "docVideo", "video"})


User = AbstractBaseUser | AnonymousUser
CHANNEL_CHOICES = [
    (Channel.WEB.value, _("Browser")),
    (Channel.APP.value, _("Native app")),
    (Channel.SERVER.value, _("The site's pictures (server-side)")),
]


# What the guards take as ``product``: one ProductCode, several, or None (the products that verify a document).
ProductCodes = str | Iterable[str] | None


def as_product_codes(product: ProductCodes) -> frozenset[str]:
    """``product`` as the guards take it: one ProductCode or an iterable of them; None means the products that
    verify a document (:data:`~django_ekyc.catalogue.products.DOCUMENT_PRODUCTS`). A code the catalogue does not
    know, or none at all, raises ``ValueError`` and a wrong type ``TypeError``: a misspelt code would match nothing
    and lock every user out without a word."""
    if product is None:
        return DOCUMENT_PRODUCTS
    codes: tuple[object, ...] = (
        tuple(product) if isinstance(product, Iterable) and not isinstance(product, str) else (product,)
    )
    if not all(isinstance(code, str) for code in codes):
        raise TypeError("product must be a ProductCode or an iterable of ProductCodes.")
    known = [*CATALOGUE, *PICTURE_CHECKS]
    unknown = [str(code) for code in codes if code not in known]
    if unknown or not codes:
        named = ", ".join(unknown) or "none"
        raise ValueError(f"product must name ProductCodes of the catalogue ({', '.join(known)}); got {named}.")
    return frozenset(str(code) for code in codes)


def effective_pass() -> models.Q:
    """The verifications whose effective verdict is a pass: the latest staff decision, else the provider's."""
    overruled = [ReviewState.REJECTED, ReviewState.REVERIFY]
    # A first approval of four eyes takes no effect: the decision before it (a rejection, say) still stands.
    still_overruled = models.Q(review=ReviewState.SECOND, review_decision__verdict__in=["reject", "reverify"])
    provider_pass = models.Q(status=Status.PASSED) & ~models.Q(review__in=overruled) & ~still_overruled
    second_after_approval = models.Q(review=ReviewState.SECOND, review_decision__verdict="approve")
    return provider_pass | models.Q(review=ReviewState.APPROVED) | second_after_approval


class KycTransactionQuerySet(models.QuerySet["KycTransaction"]):
    def for_user(self, user: User) -> KycTransactionQuerySet:
        """The user's own transactions (none for an anonymous user)."""
        pk = user.pk
        return self.none() if pk is None else self.filter(user_id=pk)

    def waiting(self) -> KycTransactionQuerySet:
        return self.filter(status=Status.INITIALIZED)

    def passed(
        self, *, max_age: timedelta | None = None, product: ProductCodes = None, purpose: str = "verify"
    ) -> KycTransactionQuerySet:
        """Passed verifications (or re-verifications, by ``purpose``) completed within ``max_age``.

        ``product`` (one ProductCode or several) names the products that count. By default a verification counts
        only if its product verifies a document (``Product.verifies_document``): a passed liveness check proves
        that somebody was alive, not who they are. Re-verifications count whatever their product unless
        ``product`` is given. An unknown code raises ``ValueError`` (:func:`as_product_codes`).

        The verdict is the effective one: a staff decision, where there is one, wins over the provider's (a
        rejected verification does not count, nor one whose user is asked to verify again; an approved one does)."""
        rows = self.filter(effective_pass(), purpose=purpose)
        if max_age is not None:
            rows = rows.filter(completed_at__gte=timezone.now() - max_age)
        if product is not None or purpose == Purpose.VERIFY:
            rows = rows.filter(product_code__in=sorted(as_product_codes(product)))
        return rows

    def latest_passed(
        self, user: User, *, max_age: timedelta | None = None, product: ProductCodes = None, purpose: str = "verify"
    ) -> KycTransaction | None:
        """The user's most recent passed verification (or re-verification, by ``purpose``; within ``max_age``,
        of ``product`` as :meth:`passed` takes it), or None; anonymous users have none."""
        rows = self.passed(max_age=max_age, product=product, purpose=purpose)  # a wrong product fails for anyone
        if not getattr(user, "is_authenticated", False):
            return None
        return rows.for_user(user).order_by("-completed_at", "-id").first()


class KycTransaction(models.Model):
    """A verification attempt: what was asked of the provider, and what it decided."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # SET_NULL: erasing a user keeps the decision trail, pseudonymised (``merchant_user_id`` stays: it is how the
    # records of an erased person are found, and it names nobody); see docs/retention.md.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kyc_transactions",
        verbose_name=_("user"),
        db_index=False,  # the (user, created_at) index serves every lookup by user
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CREATED)
    # Unique by the constraints below, not ``unique=True``: on PostgreSQL that adds a second, pattern-matching index
    # to each, which no query here uses.
    merchant_biz_id = models.CharField(_("merchant business id"), max_length=32, editable=False)
    # Which of EKYC["ACCOUNTS"] opened it ("" = the default account); refreshes use the same one.
    account = models.CharField(_("provider account"), max_length=64, blank=True, default="", editable=False)
    # A keyed hash of the user id: the provider never learns who the user is here.
    merchant_user_id = models.CharField(_("merchant user id"), max_length=64, editable=False)
    # NULL, not "": unique, and many rows have none yet.
    transaction_id = models.CharField(  # noqa: DJ001
        _("provider transaction id"), max_length=64, null=True, blank=True
    )
    # The provider's product (ProductCode) and where the user verifies (a browser or a native app).
    product_code = models.CharField(_("product"), max_length=32, default="eKYC", editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=CHANNEL_CHOICES, default="web", editable=False)
    # Empty for products that read no document (a liveness check).
    doc_type = models.CharField(_("document type"), max_length=16, blank=True)
    # A first verification, or a re-verification of the same person (against ``reverify_of``'s face).
    purpose = models.CharField(_("purpose"), max_length=8, choices=Purpose.choices, default=Purpose.VERIFY)
    reverify_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("re-verifies")
    )
    # With REVERIFY_PRODUCT = FACE_VERIFY: the face of this passed verification, for later comparisons.
    # Identity data: encrypted, purged with the result.
    reference_face = EncryptedJSONField(_("reference face"), null=True, blank=True, editable=False)
    # When this verification's face became the user's reference face (the latest such one is the reference).
    reference_at = models.DateTimeField(_("reference face since"), null=True, blank=True, editable=False)
    face_status = models.CharField(
        _("face"), max_length=24, choices=FaceStatus.choices, blank=True, default=FaceStatus.NONE
    )
    scene_code = models.CharField(_("scene code"), max_length=10, blank=True)
    # The deepfake screening of a passed verification's face, and when it was claimed or done (its lease).
    deepfake = models.CharField(
        _("deepfake screening"), max_length=12, choices=DeepfakeStatus.choices, blank=True, default=DeepfakeStatus.NONE
    )
    deepfake_at = models.DateTimeField(_("deepfake screened"), null=True, blank=True, editable=False)
    # The user's consent a check from pictures was made under (None for the hosted flows).
    # RESTRICT, not PROTECT: a consent cannot go while a check points at it, unless the user (and so the check)
    # goes in the same deletion.
    consent = models.ForeignKey(
        "django_ekyc.Consent",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="transactions",
        editable=False,
        verbose_name=_("consent"),
    )
    # Staff review (a layer beside the provider's verdict, never rewriting it): where it stands, why it is in the
    # queue, since when, and the latest decision that took effect.
    review = models.CharField(
        _("review"), max_length=12, choices=ReviewState.choices, blank=True, default=ReviewState.NONE
    )
    review_rule = models.CharField(_("reviewed for"), max_length=24, choices=ReviewRule.choices, blank=True)
    review_since = models.DateTimeField(_("in review since"), null=True, blank=True, editable=False)
    review_decision = models.ForeignKey(
        "django_ekyc.ReviewDecision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("latest decision"),
    )
    # Where the user stopped in an abandoned hosted flow (CheckVerifyLog's InterruptPage), and its log.
    stopped_at = models.CharField(_("stopped at"), max_length=64, blank=True, editable=False)
    verify_log = EncryptedJSONField(_("provider's log of the flow"), null=True, blank=True, editable=False)
    # The Initialize options sent (never MetaInfo, never the URLs or tokens).
    options = models.JSONField(_("options"), default=dict, blank=True)
    passed = models.BooleanField(_("passed"), null=True)
    sub_code = models.CharField(_("sub code"), max_length=16, blank=True)
    # The parsed Ext* results (images only if STORE_IMAGES): personal data, encrypted at rest.
    result = EncryptedJSONField(_("result"), null=True, blank=True)
    identity_purged_at = models.DateTimeField(_("identity data purged"), null=True, blank=True)
    # The pictures (images in the result, the reference face, the face in the library) can go before the text.
    pictures_purged_at = models.DateTimeField(_("pictures purged"), null=True, blank=True, editable=False)
    provider_deleted_at = models.DateTimeField(_("deleted at the provider"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    # SHA-256 of the random tokens in the ReturnUrl and given as CallbackToken:
    # a copy of the database is not enough to forge a return or a callback.
    return_token_hash = models.CharField(max_length=64, editable=False)
    callback_token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Background sync: when to ask the provider next, and how often it has been asked.
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    check_attempts = models.PositiveIntegerField(_("checks"), default=0)
    # When the provider was last asked about it, whoever asked: user-prompted checks are spaced by this.
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)
    # How many history rows its hash chain holds: a row cut from the chain's end shows against it.
    history_seq = models.PositiveIntegerField(_("history rows"), default=0, editable=False)

    objects = KycTransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("KYC transaction")
        verbose_name_plural = _("KYC transactions")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["merchant_biz_id"], name="ekyc_tx_merchant_biz_id_unique"),
            models.UniqueConstraint(fields=["transaction_id"], name="ekyc_tx_transaction_id_unique"),
            models.UniqueConstraint(fields=["return_token_hash"], name="ekyc_tx_return_token_unique"),
        ]
        # Each index serves a query the app runs (bench/indexes.py prints which, from the plans).
        indexes = [
            models.Index(fields=["user", "-created_at"], name="ekyc_tx_user_created"),
            models.Index(fields=["status", "created_at"], name="ekyc_tx_status_created"),
            models.Index(fields=["status", "next_check_at"], name="ekyc_tx_status_next_check"),
            models.Index(fields=["face_status", "next_check_at"], name="ekyc_tx_face_status_next"),
            models.Index(fields=["deepfake", "deepfake_at"], name="ekyc_tx_deepfake"),
            models.Index(fields=["review", "review_since"], name="ekyc_tx_review_queue"),
            # An erased or departed person's records, found by their pseudonym (the user may be gone).
            models.Index(fields=["merchant_user_id"], name="ekyc_tx_subject"),
            # Re-verifications are rare: the admin's filter for them would scan the table to count them.
            models.Index(fields=["created_at"], name="ekyc_tx_reverifications", condition=models.Q(purpose="reverify")),
            # The retention purge's candidates: finished rows whose identity data is still held, oldest first.
            models.Index(
                fields=["completed_at", "id"], name="ekyc_tx_purge_due", condition=models.Q(identity_purged_at=None)
            ),
            # The deletions at the provider still to make: only the pending rows, not every purged one.
            models.Index(
                fields=["identity_purged_at"],
                name="ekyc_tx_provider_deletion",
                condition=models.Q(
                    identity_purged_at__isnull=False, provider_deleted_at=None, transaction_id__isnull=False
                ),
            ),
        ]
        permissions = [
            ("refresh_kyctransaction", _("Can refresh a KYC transaction from the provider")),
            ("view_identity_data", _("Can reveal the identity data of a KYC transaction")),
            ("accept_reference_face", _("Can accept a flagged face as the user's reference face")),
            ("review_kyctransaction", _("Can see the review queue of KYC transactions")),
            ("decide_kyctransaction", _("Can decide a KYC transaction under review")),
            ("view_operations", _("Can see the operator's view of the verification flow")),
            ("report_fraud", _("Can report a confirmed fraud to the provider")),
            ("export_subject_data", _("Can export a person's KYC data (an access request)")),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def doc_type_label(self) -> str:
        """The document's name (``Passport (global e-passport...)``), or its code when the table has none."""
        if not self.doc_type:
            return ""
        product = get_product(self.product_code)
        label = product.doc_types.get(self.doc_type) if product is not None else None
        return gettext(str(label)) if label else self.doc_type

    @property
    def product_label(self) -> str:
        product = get_product(self.product_code)
        return gettext(product.label) if product else self.product_code

    # -- what adopters read of the result (identity data: handle as such) ----------------------------------

    @property
    def result_unreadable(self) -> bool:
        """The stored result is encrypted with a key that is no longer configured."""
        return isinstance(self.result, Ciphertext)

    def result_part(self, name: str) -> Mapping[str, Any]:
        """One parsed part of the result (``ext_id_info``, ``ext_face_info``...); empty when absent or unreadable."""
        if not isinstance(self.result, Mapping):
            return {}
        part = self.result.get(name) or {}
        return part if isinstance(part, Mapping) else {}

    @property
    def document(self) -> DocumentFacts:
        """What the document says, normalised across the provider's per-document field names (number, names,
        dates as YYYY-MM-DD where the provider's format allows): personal data, read from :attr:`ocr_fields`."""
        return document_facts(self.ocr_fields)

    @property
    def ocr_fields(self) -> dict[str, Any]:
        """The fields read from the document (name, number, dates...): personal data."""
        fields = self.result_part("ext_id_info").get("ocrIdInfo") or {}
        return dict(fields) if isinstance(fields, Mapping) else {}

    @property
    def document_checks(self) -> dict[str, Any]:
        """Whether the document was read (``ocrIdPassed``) and judged genuine (``spoofResult``: Y means spoof)."""
        id_info = self.result_part("ext_id_info")
        spoof = id_info.get("spoofInfo") or {}
        checks = {"ocrIdPassed": id_info.get("ocrIdPassed"), "spoofResult": spoof.get("spoofResult")}
        return {key: value for key, value in checks.items() if value is not None}

    @property
    def spoof_detected(self) -> bool | None:
        """True when the document failed anti-counterfeiting; None when it was not checked."""
        result = self.document_checks.get("spoofResult")
        return None if result is None else str(result).upper() == "Y"

    @property
    def face_checks(self) -> dict[str, Any]:
        """Face comparison and liveness (``facePassed``, ``faceComparisonScore``, ``faceAttack``...), no images."""
        return {key: value for key, value in self.result_part("ext_face_info").items() if key not in IMAGE_FIELDS}

    @property
    def face_score(self) -> float | None:
        """The face comparison score (0-100), or None."""
        try:
            return float(self.face_checks["faceComparisonScore"])
        except (KeyError, TypeError, ValueError):
            return None
