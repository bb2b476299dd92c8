"""``manage.py ekyc_reencrypt``: re-encrypt stored identity data under the first of ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import TextField
from django.db.models.functions import Cast

from django_ekyc.crypto import rotate
from django_ekyc.exceptions import UnreadableIdentityData
from django_ekyc.fields import Ciphertext
from django_ekyc.models import KycTransaction


class Command(BaseCommand):
    help = "After putting a new key first in EKYC['ENCRYPTION_KEYS'], re-encrypt every stored result with it."

    def handle(self, *args: Any, **options: Any) -> None:
        # Read the raw tokens (a plain text cast skips decryption) and rotate them without
        # ever turning identity data into Python objects.
        rows = KycTransaction.objects.exclude(result=None).annotate(token=Cast("result", TextField()))
        rotated, unreadable = 0, 0
        for pk, token in rows.values_list("pk", "token").iterator():
            try:
                new_token = rotate(token)
            except UnreadableIdentityData:
                unreadable += 1
                continue
            # Only if unchanged meanwhile (a purge may have run).
            rotated += KycTransaction.objects.filter(pk=pk, result=Ciphertext(token)).update(
                result=Ciphertext(new_token)
            )
        self.stdout.write(f"Re-encrypted {rotated} result(s).")
        if unreadable:
            raise CommandError(f"{unreadable} result(s) are encrypted with a key that is not configured.")
