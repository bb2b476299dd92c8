"""The simulator's face libraries as records: a registered face, a search of the libraries and what it found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class SimFace:
    """One face in a face library, registered under a ``MerchantUserId``; ``person`` is who it shows."""

    id: int
    face_id: str
    merchant_user_id: str
    person: str
    registration_type: str  # MANUAL (AddFaceRecord) or AUTO (registered by a search)
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class FaceSearch:
    """A search of face libraries for a person, and where to register the face if nobody matches."""

    groups: tuple[str, ...]
    limit: int = 1
    register_into: str | None = None
    merchant_user_id: str = ""
    overwrite: bool = False


@dataclass
class FaceSearchOutcome:
    matches: list[tuple[str, SimFace]]  # (library, face)
    registered: SimFace | None = None

    def duplicate_face(self) -> list[dict[str, str]]:
        """The provider's ``DuplicateFace`` entries."""
        return [
            {"faceGroupCode": group, "faceId": face.face_id, "merchantUserId": face.merchant_user_id}
            for group, face in self.matches
        ]
