"""The states a verification moves through: the provider's verdict (``Status``), what became of its face
(``FaceStatus``), its deepfake screening (``DeepfakeStatus``) and its staff review (``ReviewState``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    CREATED = "created", _("Created")
    INITIALIZED = "initialized", _("Waiting for the user")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error")
    EXPIRED = "expired", _("Expired")


TERMINAL_STATUSES = frozenset({Status.PASSED, Status.FAILED, Status.ERROR, Status.EXPIRED})

# The only moves the automatic flow may make; terminal states never move again.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.INITIALIZED, Status.ERROR}),
    Status.INITIALIZED: frozenset({Status.PASSED, Status.FAILED, Status.EXPIRED}),
}
# A check from the site's pictures is one call: its attempt moves from ``created`` to its verdict directly.
CHECK_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.PASSED, Status.FAILED, Status.ERROR}),
}


class Purpose(models.TextChoices):
    VERIFY = "verify", _("Verification")
    REVERIFY = "reverify", _("Re-verification (same person?)")


class FaceStatus(models.TextChoices):
    """What became of a passed verification's face: the user's reference face (the one re-verification trusts),
    the site's face library (``FACE_LIBRARY``), and what staff must look at.

    Only a check that verified a document may set the reference; a later one replaces it only when the provider
    says its face is the same person (and, for the same kind of document, the document number is the same).
    """

    NONE = "", _("Not searched")
    PENDING = "pending", _("To compare and register")
    CHECKING = "checking", _("Being compared")
    REGISTERED = "registered", _("Registered in the face library: the user's reference face")
    REFERENCE = "reference", _("The user's reference face")
    ACCEPTED = "accepted", _("Accepted by staff as the user's reference face")
    DUPLICATE = "duplicate", _("Already registered for another user")
    REFERENCE_CONFLICT = "reference_conflict", _("Not the person of the user's reference face: review")
    DOCUMENT_CONFLICT = "document_conflict", _("The reference's face with another document: review")
    UNVERIFIED_REFERENCE = "unverified_reference", _("Reference set by a check without a document: review")
    NOT_REGISTERED = "not_registered", _("Searched; the provider did not register it")
    NO_FACE = "no_face", _("No face picture to search with")


class DeepfakeStatus(models.TextChoices):
    """What the deepfake screening (``DEEPFAKE_SCREENING``) said of a passed verification's face. A flag never fails
    the verification: what follows is the site's policy (``deepfake_flagged``)."""

    NONE = "", _("Not screened")
    PENDING = "pending", _("To screen")
    SCREENING = "screening", _("Being screened")
    CLEAR = "clear", _("Low risk")
    FLAGGED = "flagged", _("Deepfake suspected (high risk)")
    SUSPICIOUS = "suspicious", _("Suspicious: review")
    UNSCREENED = "unscreened", _("Could not be screened")


# Screening outcomes staff should look at.
DEEPFAKE_FLAGS = frozenset({DeepfakeStatus.FLAGGED, DeepfakeStatus.SUSPICIOUS})


# The face of a verification in one of these states is the user's reference face (its latest such one is).
REFERENCE_STATUSES = frozenset({FaceStatus.REGISTERED, FaceStatus.REFERENCE, FaceStatus.ACCEPTED})
# Faces staff must decide about: another person, another document, a reference without a document.
FLAGGED_STATUSES = frozenset(
    {FaceStatus.REFERENCE_CONFLICT, FaceStatus.DOCUMENT_CONFLICT, FaceStatus.UNVERIFIED_REFERENCE}
)


class ReviewState(models.TextChoices):
    """Where a verification stands with staff. The provider's ``status`` and ``passed`` are never rewritten: a
    decision is a layer beside them, and the effective verdict is the latest decision, else the provider's."""

    NONE = "", _("Not for review")
    WAITING = "waiting", _("Waiting for a review")
    SECOND = "second", _("Approved once: waiting for a second reviewer")
    APPROVED = "approved", _("Approved by staff")
    REJECTED = "rejected", _("Rejected by staff")
    REVERIFY = "reverify", _("The user is asked to verify again")


# In the review queue: no decision has taken effect yet.
OPEN_REVIEW = frozenset({ReviewState.WAITING, ReviewState.SECOND})
# Decisions that take the verdict from the provider: the first counts as passed, the others never.
DECIDED_REVIEW = frozenset({ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.REVERIFY})


class ReviewRule(models.TextChoices):
    """Why a verification waits for a person (``REVIEW_RULES`` says which of these the site reviews)."""

    DUPLICATE = "duplicate", _("Same face as another account")
    REFERENCE_CONFLICT = "reference_conflict", _("Not the person of the user's reference face")
    DOCUMENT_CONFLICT = "document_conflict", _("The reference's face with another document")
    UNVERIFIED_REFERENCE = "unverified_reference", _("Reference face set without a document")
    DEEPFAKE = "deepfake", _("Deepfake suspected")
    SUB_CODE = "sub_code", _("A failure the site reviews (sub code)")
    PENDING = "pending", _("The provider's verdict is pending")


class Verdict(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REVERIFY = "reverify", _("Ask the user to verify again")
