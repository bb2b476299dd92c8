"""Signals sent by the verification flow, each once and only after the database commit.

``verification_started(sender=KycTransaction, transaction=<KycTransaction>)``
    The provider opened the verification (status ``initialized``).

``verification_completed(sender=KycTransaction, transaction=<KycTransaction>, passed=<bool>)``
    The provider decided (status ``passed`` or ``failed``). Sent once per
    transaction however many returns, callbacks and refreshes race to it.
    A re-verification (``transaction.purpose == "reverify"``) is completed
    the same way; ``passed`` then says whether it was the same person.

``duplicate_person_found(sender=KycTransaction, transaction=<KycTransaction>, matches=<list[KycTransaction]>)``
    A passed verification's face (or a picture the site searched the library
    with, ``check_duplicates``) is already in the site's face library for
    other accounts: ``matches`` are those accounts' verifications. Sent once
    per verification. What follows (block, review) is the site's policy; the
    user is never told that another account exists.

``reference_face_conflict(sender=KycTransaction, transaction=<KycTransaction>, reference=<KycTransaction | None>,
reason=<"reference_conflict" | "document_conflict">)``
    A passed document verification did not replace the user's reference
    face: its face is not the reference's person, or the reference itself
    awaits a staff decision (``reference_conflict``), or it is the same face
    with another document number (``document_conflict``). ``reference`` is
    the verification the reference comes from now (None if none). Sent
    once per verification. The reference stays until staff accept the new
    face in the admin; the verification itself still counts as passed.

``deepfake_flagged(sender=KycTransaction, transaction=<KycTransaction>, risk=<"1" | "2">, tags=<list[str]>)``
    The deepfake screening (``DEEPFAKE_SCREENING``) found a passed
    verification's face at high risk (``"1"``, ``transaction.deepfake`` is
    ``flagged``) or suspicious (``"2"``, ``suspicious``); ``tags`` are the
    provider's (``SuspectDeepForgery``, ``SuspectAIGCFace``...). Sent once per
    verification. The verification still counts as passed: what follows
    (review, block) is the site's policy.

``review_decided(sender=KycTransaction, transaction=<KycTransaction>, decision=<ReviewDecision>,
verdict=<"approve" | "reject" | "reverify">)``
    A staff decision took effect (an approval, after its second approver
    where the site wants four eyes; a rejection; a request that the user
    verify again). ``transaction.review`` holds the effective verdict; the
    provider's ``status`` and ``passed`` are unchanged. Sent once per
    decision, after the commit.
"""

from django.dispatch import Signal

verification_started = Signal()
verification_completed = Signal()
duplicate_person_found = Signal()
reference_face_conflict = Signal()
deepfake_flagged = Signal()
review_decided = Signal()
