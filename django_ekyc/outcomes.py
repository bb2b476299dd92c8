"""What a verification's state means to the person who did it, in words: the result page, the API's ``message``
and the admin all say it the same way; and, for staff, what the keys of its checks (``spoofResult``...) are.

The provider answers sub codes (``204``...) and this app adds a few codes of its own (``not_the_same_person``);
people should never have to read either. Unknown codes get the general message for the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from django_ekyc.models import OPEN_REVIEW, KycTransaction, Purpose, ReviewState, Status
from django_ekyc.offering import get_product

# The provider's sub codes (its CheckResult pages) and this app's error codes, as a person should read them.
CODE_MESSAGES: dict[str, Promise] = {
    "200": _("All checks passed."),
    "201": _("The name or the number did not match the official record."),
    "202": _("No official record was found for this document."),
    "204": _("The face did not match the photo on the document."),
    "205": _("The liveness check did not pass. Use your own face, in good light, not a photo, a screen or a mask."),
    "207": _("The face did not match the official photo."),
    "209": _("The official records could not be checked just now."),
    "212": _("The document did not pass the anti-counterfeiting check. Use the original document, not a copy."),
    "not_the_same_person": _("The face did not match the person who verified this account."),
    "liveness_failed": _(
        "The liveness check did not pass. Use your own face, in good light, not a photo, a screen or a mask."
    ),
    "not_completed": _("The verification was not finished in time."),
    # the checks from pictures: this app's codes, and the provider's refusals of a picture
    "faces_differ": _("The two faces did not match: they do not seem to show the same person."),
    "deepfake_suspected": _(
        "The picture did not pass the check for manipulated or generated faces. Use a real photo of your own face."
    ),
    "NoFaceDetected": _("No face was found in the picture. Take it again with your whole face in view."),
    "UnqualifiedPhoto": _("The picture could not be read. Take it again: sharp, well lit, straight on."),
    "ToolargeImage": _("The picture is too large. Send a smaller one."),
    "expired": _("The verification was not finished in time."),
}


@dataclass(frozen=True)
class CheckWords:
    """One key of a result's checks as staff read it: what it is, and what its coded answers mean."""

    name: Promise
    values: Mapping[str, Promise] = field(default_factory=dict)


DETECTED = {"Y": _("detected"), "N": _("not detected")}
YES_NO = {"Y": _("yes"), "N": _("no")}
# The keys of a result's checks: CheckResult's ExtIdInfo and ExtFaceInfo (the API notes: Y/N answers, spoofResult=Y a
# spoof), the picture checks' ExtFaceInfo (FaceQualityScore... as results.faces.FaceQuality reads them; the SDK: quality
# scores 0 to 100, a higher value better quality, the occlusion's too; FaceAttack Y an attack detected, OcclusionResult
# Y occlusion detected) and this app's scores of a check from pictures (results.pictures.PictureResult: risk 0 low, 1
# high, 2 suspicious). A key not here shows as the provider wrote it.
CHECK_WORDS: dict[str, CheckWords] = {
    "ocrIdPassed": CheckWords(_("Document read"), YES_NO),
    "spoofResult": CheckWords(_("Forged or altered document"), DETECTED),
    "facePassed": CheckWords(_("Face check passed"), YES_NO),
    "faceAttack": CheckWords(_("Liveness attack (a photo, a screen, a mask)"), DETECTED),
    "faceComparisonScore": CheckWords(_("Face comparison score (0-100)")),
    "faceQualityScore": CheckWords(_("Face picture quality (0-100, higher is better)")),
    "illuminationScore": CheckWords(_("Lighting score (0-100, higher is better)")),
    "sharpnessScore": CheckWords(_("Sharpness score (0-100, higher is better)")),
    "occlusionScore": CheckWords(_("Occlusion score (0-100, higher is better)")),
    "kaOcclusionScore": CheckWords(_("Key-area occlusion score (0-100, higher is better)")),
    "occlusionResult": CheckWords(_("Face covered (occlusion)"), DETECTED),
    "comparison_score": CheckWords(_("Face comparison score (0-100)")),
    "attacked": CheckWords(_("Liveness attack (a photo, a screen, a mask)"), DETECTED),
    "risk": CheckWords(_("Deepfake risk"), {"0": _("low"), "1": _("high"), "2": _("suspicious")}),
    "risk_tags": CheckWords(_("Deepfake risk tags")),
    "risk_scores": CheckWords(_("Deepfake risk scores")),
    "quality": CheckWords(_("Picture quality scores (0-100, higher is better)")),
}


def _answer_code(value: Any) -> str:
    if isinstance(value, bool):  # this app's scores store a yes or no as a boolean
        return "Y" if value else "N"
    return str(value).upper()


def check_in_words(key: str, value: Any) -> tuple[str, str | None]:
    """A check's key and answer in words: its name (the key itself when unknown) and what a coded answer means
    (None for a score or an answer without words, shown as it is). The picture checks' keys start with a capital
    (``FaceAttack``) where the hosted flow's do not (``faceAttack``): both read the same."""
    words = CHECK_WORDS.get(key) or CHECK_WORDS.get(key[:1].lower() + key[1:])
    if words is None:
        return key, None
    meaning = words.values.get(_answer_code(value)) if not isinstance(value, dict | list) else None
    return str(words.name), None if meaning is None else str(meaning)


@dataclass(frozen=True)
class Outcome:
    """A verification's state for people: a title, a sentence, and whether starting again makes sense."""

    title: Promise
    message: Promise
    can_retry: bool = False
    waiting: bool = False
    success: bool = False


def reason(kyc: KycTransaction) -> Promise | None:
    """Why a verification ended as it did, in words (None when no code explains it)."""
    return CODE_MESSAGES.get(kyc.error_code) or CODE_MESSAGES.get(kyc.sub_code)


STATE_OF_VERDICT = {"approve": ReviewState.APPROVED, "reject": ReviewState.REJECTED, "reverify": ReviewState.REVERIFY}
# What the person is told of a staff decision: the decision, never the flag that led to it.
REVIEW_OUTCOMES: dict[str, Outcome] = {
    "rejected": Outcome(
        _("Verification failed"),
        _("We could not verify your identity. Contact us if you think this is a mistake."),
    ),
    "verify_again": Outcome(_("Please verify again"), _("We need you to verify your identity again."), can_retry=True),
    "in_review": Outcome(
        _("Being reviewed"), _("A person is checking your verification. We will let you know the outcome.")
    ),
}


def effective_review(kyc: KycTransaction) -> str:
    """``kyc.review``, where a first approval of four eyes waits, as the decision before it (if any) left it."""
    if kyc.review == ReviewState.SECOND and kyc.review_decision_id is not None:
        return STATE_OF_VERDICT[kyc.review_decision.verdict]  # type: ignore[union-attr]
    return str(kyc.review)


def verdict(kyc: KycTransaction) -> str:
    """The verdict the person sees: the effective one (the latest staff decision, else the provider's), and
    ``in_review`` while a person checks what the provider did not pass. A passed verification that waits for a
    review still reads ``passed``: the person is never told of a flag."""
    review = effective_review(kyc)
    if review == ReviewState.APPROVED:
        return Status.PASSED
    if review == ReviewState.REJECTED:
        return Status.FAILED
    if review == ReviewState.REVERIFY:
        return "verify_again"
    if review in OPEN_REVIEW and kyc.status != Status.PASSED:
        return "in_review"
    return str(kyc.status)


def effective_status(kyc: KycTransaction) -> str:
    """``status`` as the person sees it: a decision's verdict as ``passed`` or ``failed``."""
    seen = verdict(kyc)
    if seen == "verify_again":
        return Status.FAILED
    return kyc.status if seen == "in_review" else seen


def describe(kyc: KycTransaction) -> Outcome:
    """The title and message the result page shows for ``kyc``."""
    seen = "rejected" if effective_review(kyc) == ReviewState.REJECTED else verdict(kyc)
    if seen in REVIEW_OUTCOMES:
        return REVIEW_OUTCOMES[seen]
    reverify = kyc.purpose == Purpose.REVERIFY
    if seen == Status.PASSED:
        if reverify:
            return Outcome(_("It is you"), _("Thank you: you confirmed it is you."), success=True)
        product = get_product(kyc.product_code)
        if product is not None and not (product.verifies_document and product.hosted):
            # A liveness check verified no identity, and a check from still pictures counts only where a guard names
            # it (the default guards do not): say what passed, not "verified".
            return Outcome(_(product.label), CODE_MESSAGES["200"], success=True)
        return Outcome(_("Identity verified"), _("Thank you: your identity is verified."), success=True)
    if kyc.status == Status.FAILED:
        title = _("We could not confirm it is you") if reverify else _("Verification failed")
        return Outcome(title, reason(kyc) or _("We could not verify your identity."), can_retry=True)
    if kyc.status == Status.EXPIRED:
        return Outcome(_("Verification expired"), _("The verification was not finished in time."), can_retry=True)
    if kyc.status == Status.ERROR:
        return Outcome(
            _("Verification could not start"), _("The verification service did not answer. Please try again."), True
        )
    return Outcome(
        _("Waiting for the result"),
        _(
            "If you finished, your result appears here in a few seconds. "
            "If you stopped before the end, you can start again."
        ),
        can_retry=True,
        waiting=True,
    )
