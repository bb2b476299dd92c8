"""Realistic verifications written in SQL, for the admin benchmarks (``admin_list.py``, ``indexes.py``).

One ``INSERT ... SELECT`` over ``generate_series`` per call: rows ``first..last`` (ids in that order), started over
the last ``DAYS`` in the order of their ids (the newest last), for ``USERS`` users. 60 % passed, 20 % failed, 18 %
expired (waiting if started within the hour), 2 % error (``created`` within ten minutes); products eKYC (greater
China documents), eKYC_PRO (global documents), FACE_LIVENESS_PRO (no document), re-verifications (FACE_IDU); one
browser in five is an app. Passed document checks have their face registered (0.5 % duplicates and 0.2 % conflicts,
which staff review: waiting for a week, then decided), as do 2.5 % of the failures. Finished rows completed within
the identity rule's 90 days carry an encrypted result: one realistic result (a few KB of OCR and check fields)
encrypted once by the ``result`` field itself, and in one row in 20 the same with a ~30 KB face image kept; older
rows are purged (result gone, deleted at the provider but for one in 50). With ``events``, three history rows each.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from typing import Any

DAYS = 100
USERS = 2_000
KEY = "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTAwMDAwMDA="


def configure(database_url: str) -> None:
    """Django in this process on ``database_url`` (the example project's settings), migrated."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_CONN_MAX_AGE": "86400",  # one connection for the run: no reconnection inside a timed load
            "EKYC_LOG_LEVEL": "WARNING",
            "EKYC_ENCRYPTION_KEYS": KEY,
            "DJANGO_SILENCED_SYSTEM_CHECKS": "django_ekyc.E001,django_ekyc.W002,django_ekyc.W003,django_ekyc.W007",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def realistic_result(with_image: bool) -> dict[str, Any]:
    """A stored result as the flow keeps it (``services.identity.stored_result``'s parts), HKID card."""
    ocr = {
        "name": "CHAN, Tai Man",
        "chineseName": "陳大文",
        "chineseCommercialCode": "7115 1129 2429",
        "idNumber": "C668668(9)",
        "birthDate": "1988-07-02",
        "sex": "M",
        "issueDate": "2018-06-26",
        "firstIssueDate": "1996-03",
        "symbols": "***AZ",
        "nationality": "CHN",
        "address": "Flat 12B, Tower 3, 88 Example Road, Tseung Kwan O, New Territories, Hong Kong",
        "cardVersion": "2018",
        "mrz": "IDCHNC6686689<<<<<<<<<<<<<<<8807023M2806268CHN<<<<<<<<<<<4CHAN<<TAI<MAN<<<<<<<<<<<<<<<<",
    }
    face: dict[str, Any] = {
        "faceAttack": "N",
        "faceComparisonScore": 93.47,
        "facePassed": "Y",
        "faceQualityScore": 88.1,
        "livenessScore": 0.9731,
        "faceAttributes": {"age": 37, "glasses": "N", "hat": "N", "mask": "N", "pitch": 2.1, "yaw": -4.3},
    }
    if with_image:  # a JPEG of about 30 KB, base64 (random bytes: the ciphertext's size is what matters)
        face["faceImg"] = "/9j/" + base64.b64encode(hashlib.shake_256(b"face").digest(22_500)).decode("ascii")
    device = {"os": "iOS", "osVersion": "17.4.1", "model": "iPhone15,3", "sdkVersion": "4.1.0", "rooted": "N"}
    return {
        "ext_id_info": {
            "ocrIdInfo": ocr,
            "ocrIdEditInfo": dict(ocr),  # the fields as the person confirmed them
            "ocrIdPassed": "Y",
            "spoofInfo": {"spoofResult": "N", "spoofType": []},
            "ocrQuality": {"blur": 0.02, "glare": 0.05, "occlusion": 0.0, "completeness": 1.0},
            "fieldConfidence": {name: round(0.9 + index / 200, 3) for index, name in enumerate(ocr)},
        },
        "ext_face_info": face,
        "ext_basic_info": {"certifyId": "hks" + "0" * 29, "productCode": "eKYC", "docType": "01000000"},
        "ext_risk_info": {"riskLevel": "LOW", "riskTags": [], "deviceRisk": device, "ipCountry": "HK"},
        "ext_info": {"certifyId": "hks" + "0" * 29, "clientResultCode": "1000", "steps": ["OCR", "LIVENESS"] * 6},
        "ekyc_result": {"passed": "Y", "subCode": "200", "verifyTime": "2026-11-30T08:15:42Z"},
    }


def ciphertexts() -> tuple[str, str]:
    """The result without and with the face image, each encrypted once by the model field (the project's keys)."""
    from django_ekyc.models import KycTransaction

    field = KycTransaction._meta.get_field("result")
    text, image = (field.get_prep_value(realistic_result(with_image)) for with_image in (False, True))
    assert isinstance(text, str)
    assert isinstance(image, str)
    return text, image


def make_users(count: int = USERS) -> list[int]:
    """``user0`` .. ``user<count-1>`` (no usable password), their ids in that order."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    rows = [model(username=f"user{n}", email=f"user{n}@example.com") for n in range(count)]
    for row in rows:
        row.set_unusable_password()
    model.objects.bulk_create(rows, batch_size=1_000)
    return list(model.objects.filter(username__startswith="user").order_by("id").values_list("id", flat=True))


def literal(field: Any) -> str:
    """A column no expression sets: NULL, or its default as SQL; a NOT NULL column without one is an error."""
    if field.null:
        return "NULL"
    if not field.has_default() and not field.empty_strings_allowed:
        raise ValueError(f"{field.model.__name__}.{field.name} is NOT NULL: give the fill an expression for it")
    default = field.get_default()
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    if isinstance(default, int):
        return str(default)
    if isinstance(default, dict | list):
        return "'{}'" if isinstance(default, dict) else "'[]'"
    if isinstance(default, str):
        return "'" + default.replace("'", "''") + "'"
    raise ValueError(f"{field.model.__name__}.{field.name}: no SQL for its default {default!r}")


def insert(model: Any, values: dict[str, str], source: str) -> str:
    """``INSERT INTO model (every column) <source's CTEs> SELECT ...``: ``values`` by column, else :func:`literal`."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    unknown = set(values) - {field.column for field in fields}
    assert not unknown, f"no such columns: {unknown}"
    columns = ", ".join(field.column for field in fields)
    selected = ",\n  ".join(values[field.column] if field.column in values else literal(field) for field in fields)
    return f"INSERT INTO {model._meta.db_table} ({columns})\nSELECT {selected}\n{source}"


def _source(first: int, last: int, users: int) -> str:
    spread = DAYS * 86400 / (last - first + 1)
    return f"""FROM (SELECT t.*,
    st IN ('passed', 'failed', 'expired') AND done < now() - interval '90 days' AS purged,
    LEAST(now(), done + interval '90 days 1 hour') AS purged_at,
    CASE WHEN st = 'passed' AND product IN ('eKYC', 'eKYC_PRO') THEN
      CASE WHEN ago < 120 THEN 'pending' WHEN mod(n, 200) = 1 THEN 'duplicate'
      WHEN mod(n, 500) = 3 THEN 'reference_conflict' ELSE 'registered' END ELSE '' END AS face
  FROM (SELECT r.*, CASE
      WHEN st IN ('passed', 'failed') THEN LEAST(now(), at + (60 + mod(n * 31, 540)) * interval '1 second')
      WHEN st = 'expired' THEN at + interval '31 minutes' WHEN st = 'error' THEN at + interval '2 seconds' END AS done
    FROM (SELECT s.*, now() - ago * interval '1 second' AS at,
        CASE WHEN b < 60 THEN 'passed' WHEN b < 80 THEN 'failed'
        WHEN b < 98 THEN CASE WHEN ago < 3600 THEN 'initialized' ELSE 'expired' END
        WHEN ago < 600 THEN 'created' ELSE 'error' END AS st,
        CASE WHEN k = 7 THEN 'FACE_IDU' WHEN k < 30 THEN 'eKYC' WHEN k < 45 THEN 'eKYC_PRO'
        ELSE 'FACE_LIVENESS_PRO' END AS product
      FROM (SELECT n, mod(n * 37, 100) AS b, mod(n * 13, 50) AS k, (1 + mod(n * 7919, {users}))::int AS u,
          ({last} - n) * {spread!r} AS ago
        FROM generate_series({first}::bigint, {last}) AS n) s) r) t) x"""  # noqa: S608 - numbers only


REVIEWED = "(face IN ('duplicate', 'reference_conflict') OR (st = 'failed' AND mod(n, 40) = 0))"
REVIEW = (
    f"CASE WHEN NOT {REVIEWED} THEN '' WHEN ago >= 7 * 86400 THEN "
    "CASE WHEN mod(n, 3) = 0 THEN 'rejected' ELSE 'approved' END WHEN mod(n, 7) = 0 THEN 'second' ELSE 'waiting' END"
)
TRANSACTION = {
    "public_id": "md5('p' || n)::uuid",
    "user_id": "(%(users)s::bigint[])[u]",
    "status": "st",
    "merchant_biz_id": "md5('b' || n)",
    "merchant_user_id": "md5('u' || u) || md5('v' || u)",
    "transaction_id": "CASE WHEN st IN ('created', 'error') THEN NULL ELSE 'hks' || md5('t' || n) END",
    "product_code": "product",
    "channel": "CASE WHEN mod(n, 5) = 0 THEN 'app' ELSE 'web' END",
    "doc_type": "CASE product "
    "WHEN 'eKYC' THEN (ARRAY['01000000', '00000001', '00000008', '00000006'])[1 + mod(n, 4)::int] "
    "WHEN 'eKYC_PRO' THEN (ARRAY['GLB03002', 'CHN01001', 'HKG01001', 'SGP01001', 'MYS01001'])[1 + mod(n, 5)::int] "
    "ELSE '' END",
    "purpose": "CASE WHEN product = 'FACE_IDU' THEN 'reverify' ELSE 'verify' END",
    "face_status": "face",
    "reference_at": "CASE WHEN face = 'registered' THEN done END",
    "review": REVIEW,
    "review_rule": f"CASE WHEN NOT {REVIEWED} THEN '' WHEN face = '' THEN 'sub_code' ELSE face END",
    "review_since": f"CASE WHEN {REVIEWED} THEN done END",
    "stopped_at": "CASE WHEN st = 'expired' AND mod(n, 3) = 0 THEN 'FaceLiveness' ELSE '' END",
    "passed": "CASE st WHEN 'passed' THEN TRUE WHEN 'failed' THEN FALSE END",
    "sub_code": "CASE st WHEN 'passed' THEN '200' WHEN 'failed' THEN (ARRAY['204', '205', '212'])[1 + mod(n, 3)::int] "
    "ELSE '' END",
    "result": "CASE WHEN st IN ('passed', 'failed') AND NOT purged THEN "
    "CASE WHEN mod(n, 20) = 0 THEN %(image)s ELSE %(text)s END END",
    "identity_purged_at": "CASE WHEN purged THEN purged_at END",
    "pictures_purged_at": "CASE WHEN purged THEN purged_at END",
    "provider_deleted_at": "CASE WHEN purged AND mod(n, 50) <> 0 THEN purged_at END",
    "error_code": "CASE WHEN st <> 'error' THEN '' WHEN mod(n, 2) = 0 THEN 'abandoned' ELSE 'Throttling.Api' END",
    "return_token_hash": "md5('r' || n) || md5('s' || n)",
    "callback_token_hash": "md5('c' || n) || md5('d' || n)",
    "created_at": "at",
    "updated_at": "COALESCE(CASE WHEN purged THEN purged_at END, done, at)",
    "completed_at": "done",
    "next_check_at": "CASE WHEN st = 'initialized' THEN at + interval '7 minutes' END",
    "check_attempts": "CASE WHEN st IN ('passed', 'failed') THEN 1 WHEN st = 'expired' THEN 3 ELSE 0 END",
    "last_checked_at": "CASE WHEN st IN ('passed', 'failed', 'expired') THEN done END",
}
EVENT = {
    "transaction_id": "t.id",
    "created_at": "CASE k.k WHEN 1 THEN t.created_at ELSE COALESCE(t.completed_at, t.created_at) END",
    "kind": "CASE k.k WHEN 3 THEN 'state_change' ELSE 'provider_call' END",
    "source": "CASE k.k WHEN 1 THEN 'api' ELSE 'sync' END",
    "action": "CASE k.k WHEN 1 THEN 'Initialize' WHEN 2 THEN 'CheckResult' ELSE '' END",
    "to_status": "CASE k.k WHEN 3 THEN t.status ELSE '' END",
    "code": "CASE WHEN k.k = 3 THEN '' WHEN t.id %% 50 = 0 THEN 'Throttling.Api' ELSE 'Success' END",
    "http_status": "CASE k.k WHEN 3 THEN NULL ELSE 200 END",
    "duration_ms": "CASE k.k WHEN 3 THEN NULL ELSE 40 + (t.id * 37) %% 1500 END",
    "seq": "k.k",
}


def fill(first: int, last: int, users: list[int], results: tuple[str, str], *, events: bool = False) -> float:
    """Rows ``first..last`` (see the module), then VACUUM ANALYZE; seconds taken."""
    from django.db import connection

    from django_ekyc.models import KycTransaction, KycTransactionEvent

    started = time.perf_counter()
    values = {**TRANSACTION, "history_seq": "3" if events else "0"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {KycTransaction._meta.db_table}")  # noqa: S608
        (before,) = cursor.fetchone()
        params: dict[str, Any] = {"users": users, "text": results[0], "image": results[1]}
        cursor.execute(insert(KycTransaction, values, _source(first, last, len(users))), params)
        if events:
            three = "(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) k"
            source = f"FROM {KycTransaction._meta.db_table} t CROSS JOIN {three} WHERE t.id > %(before)s"
            cursor.execute(insert(KycTransactionEvent, EVENT, source), {"before": before})
        for model in (KycTransaction, KycTransactionEvent):
            cursor.execute(f"VACUUM (ANALYZE, PROCESS_TOAST FALSE) {model._meta.db_table}")
    return time.perf_counter() - started
