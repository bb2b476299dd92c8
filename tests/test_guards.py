"""Guards for high-risk actions: the view decorators, the DRF permissions, the template filters and the services.

"Verified" means a passed check of a product that verifies a document; composing the DRF permissions with
``|``, ``&`` and ``~`` is in ``test_permissions.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from django_ekyc import services
from django_ekyc.catalogue.products import CATALOGUE
from django_ekyc.decorators import reverification_required, verification_required
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.outcomes import describe
from django_ekyc.permissions import IsReverified, IsVerified

pytestmark = pytest.mark.django_db


# From the catalogue, so that a product added to it is covered: which ones verify a document, which do not.
DOCUMENT_CODES = sorted(code for code, product in CATALOGUE.items() if product.verifies_document)
FACE_ONLY_CODES = sorted(code for code, product in CATALOGUE.items() if not product.verifies_document)
UNKNOWN = "ProductCodes of the catalogue"


def passed(user: Any, *, purpose: str = Purpose.VERIFY, minutes_ago: int = 0, product: str = "eKYC") -> KycTransaction:
    return KycTransaction.objects.create(
        user=user,
        status=Status.PASSED,
        purpose=purpose,
        product_code=product,
        passed=True,
        merchant_biz_id=f"guard{KycTransaction.objects.count()}",
        merchant_user_id="u",
        return_token_hash=f"r{KycTransaction.objects.count()}",
        callback_token_hash="c",
        completed_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def payout(request: HttpRequest) -> HttpResponse:
    return HttpResponse("payout form")


def request_as(user: Any, path: str = "/payout/?amount=5") -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = user
    return request


def test_a_signed_out_user_goes_to_the_login_page():
    from django.contrib.auth.models import AnonymousUser

    response = reverification_required(payout)(request_as(AnonymousUser()))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_a_user_who_has_not_reverified_is_refused_or_sent_to_reverify(user):
    from django.core.exceptions import PermissionDenied

    guarded = reverification_required(max_age=300)(payout)
    with pytest.raises(PermissionDenied):
        guarded(request_as(user))
    with override_settings(EKYC={"REVERIFY_URL": "/confirm-it-is-you/"}):
        response = guarded(request_as(user))
    assert response.status_code == 302
    assert response["Location"] == "/confirm-it-is-you/?next=/payout/%3Famount%3D5"


def test_a_recent_reverification_lets_the_view_run_and_an_old_one_does_not(user):
    guarded = reverification_required(payout, max_age=timedelta(minutes=5))
    passed(user)  # a verification is not a re-verification
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=10)
    with override_settings(EKYC={"REVERIFY_URL": "/again/"}):
        assert guarded(request_as(user)).status_code == 302
        passed(user, purpose=Purpose.REVERIFY, minutes_ago=1)
        assert guarded(request_as(user)).content == b"payout form"


def test_verification_required_counts_verifications_only(user):
    guarded = verification_required(payout)
    passed(user, purpose=Purpose.REVERIFY)
    with override_settings(EKYC={"VERIFY_URL": "/verify/"}):
        assert guarded(request_as(user))["Location"].startswith("/verify/?next=")
        passed(user)
        assert guarded(request_as(user)).status_code == 200


def test_a_wrong_max_age_fails_when_the_view_is_decorated():
    with pytest.raises(TypeError):
        reverification_required(max_age="5 minutes")  # type: ignore[call-overload]


class PayoutApi(APIView):
    permission_classes = (IsReverified.within(300),)

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class ProfileApi(APIView):
    permission_classes = (IsVerified,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def call(view: type[APIView], user: Any, method: str = "post") -> Any:
    request = getattr(APIRequestFactory(), method)("/api/payout/")
    force_authenticate(request, user=user)
    return view.as_view()(request)


def test_the_drf_permissions_answer_403_with_a_stable_code(user):
    refused = call(PayoutApi, user)
    assert refused.status_code == 403 and refused.data["detail"].code == "reverification_required"
    assert call(ProfileApi, user, "get").data["detail"].code == "verification_required"
    passed(user)
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=1)
    assert call(PayoutApi, user).status_code == 200
    assert call(ProfileApi, user, "get").status_code == 200


def test_an_old_reverification_does_not_pass_the_permission(user):
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=6)
    assert call(PayoutApi, user).status_code == 403


# -- "verified" means a document was verified --------------------------------------------------------------


def test_the_catalogue_has_products_of_both_kinds():
    assert {"eKYC", "eKYC_PRO"} <= set(DOCUMENT_CODES)
    assert {"FACE_LIVENESS", "FACE_LIVENESS_PRO"} <= set(FACE_ONLY_CODES)


@pytest.mark.parametrize("code", FACE_ONLY_CODES)
def test_a_passed_check_without_a_document_does_not_verify(user, code):
    passed(user, product=code)
    assert not services.is_verified(user) and services.latest_verification(user) is None
    assert services.is_verified(user, product=code)  # asked for explicitly, it counts
    assert services.latest_verification(user, product=[code, "eKYC"]).product_code == code


@pytest.mark.parametrize("code", DOCUMENT_CODES)
def test_a_passed_document_verification_verifies(user, code):
    kyc = passed(user, product=code)
    assert services.is_verified(user) and services.latest_verification(user) == kyc


def test_the_latest_verification_is_the_latest_that_counts(user):
    document = passed(user, minutes_ago=10)
    liveness = passed(user, product="FACE_LIVENESS_PRO")
    assert services.latest_verification(user) == document
    assert services.latest_verification(user, product=["eKYC", "FACE_LIVENESS_PRO"]) == liveness
    assert services.latest_verification(user, product=("FACE_LIVENESS",)) is None


def test_product_narrows_to_the_products_named(user):
    passed(user)  # eKYC
    assert services.is_verified(user, product="eKYC")
    assert not services.is_verified(user, product="eKYC_PRO")
    assert services.is_verified(user, product=["eKYC_PRO", "eKYC"])
    assert services.is_verified(user, product=frozenset({"eKYC"}), max_age=60)


@pytest.mark.parametrize("product", ["EKYC", "ekyc", ["eKYC", "FACE_LIVNESS"], [], ""])
def test_an_unknown_product_is_an_error_everywhere(user, product):
    from django.contrib.auth.models import AnonymousUser

    passed(user)
    with pytest.raises(ValueError, match=UNKNOWN):
        services.is_verified(user, product=product)
    with pytest.raises(ValueError, match=UNKNOWN):
        services.is_verified(AnonymousUser(), product=product)  # not only once someone signs in
    with pytest.raises(ValueError, match=UNKNOWN):
        verification_required(product=product)
    with pytest.raises(ValueError, match=UNKNOWN):
        IsVerified.of(*([product] if isinstance(product, str) else product))


def test_a_product_of_the_wrong_type_is_a_type_error(user):
    with pytest.raises(TypeError):
        services.is_verified(user, product=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verification_required(product=[b"eKYC"])  # type: ignore[list-item]


def test_an_unknown_product_fails_where_the_permission_class_is_defined():
    with pytest.raises(ValueError, match=UNKNOWN):

        class Misspelt(IsVerified):
            product = "eKYC_Pro"

    with pytest.raises(TypeError):
        IsVerified.within("a year")  # type: ignore[arg-type]


def test_verification_required_refuses_a_liveness_check_unless_asked_for_it(user):
    passed(user, product="FACE_LIVENESS_PRO")
    with override_settings(EKYC={"VERIFY_URL": "/verify/"}):
        assert verification_required(payout)(request_as(user))["Location"].startswith("/verify/?next=")
        liveness = verification_required(product="FACE_LIVENESS_PRO")(payout)
        assert liveness(request_as(user)).status_code == 200
        either = verification_required(payout, product=["eKYC", "FACE_LIVENESS_PRO"])
        assert either(request_as(user)).status_code == 200


def test_the_drf_permission_refuses_a_liveness_check_unless_of_names_it(user):
    passed(user, product="FACE_LIVENESS_PRO")
    assert call(ProfileApi, user, "get").status_code == 403

    class LivenessApi(ProfileApi):
        permission_classes = (IsVerified.of("FACE_LIVENESS_PRO", "eKYC"),)

    class ProApi(ProfileApi):
        permission_classes = (IsVerified.of("eKYC_PRO").within(3600),)

    assert call(LivenessApi, user, "get").status_code == 200
    refused = call(ProApi, user, "get")
    assert refused.status_code == 403 and refused.data["detail"].code == "verification_required"
    passed(user, product="eKYC_PRO", minutes_ago=61)
    assert call(ProApi, user, "get").status_code == 403  # too old for within(3600)
    passed(user, product="eKYC_PRO")
    assert call(ProApi, user, "get").status_code == 200


def render(source: str, user: Any, **context: Any) -> str:
    return Template("{% load ekyc %}" + source).render(Context({"user": user, **context}))


def test_the_template_filters_count_documents_unless_told_which_products(user):
    source = (
        "{% if user|ekyc_verified %}V{% endif %}"
        '{% if user|ekyc_verified_of:"FACE_LIVENESS_PRO" %}L{% endif %}'
        '{% if user|ekyc_verified_of:"eKYC_PRO, FACE_LIVENESS" %}P{% endif %}'
    )
    passed(user, product="FACE_LIVENESS_PRO")
    assert render(source, user) == "L"
    passed(user, product="FACE_LIVENESS")
    assert render(source, user) == "LP"
    passed(user)
    assert render(source, user) == "VLP"
    assert render("{% if user|ekyc_verified_of:codes %}C{% endif %}", user, codes=["eKYC_PRO", "eKYC"]) == "C"


def test_an_unknown_product_in_a_template_fails_the_page(user):
    with pytest.raises(ValueError, match=UNKNOWN):
        render('{% if user|ekyc_verified_of:"eKYC,FACE_LIVENES" %}yes{% endif %}', user)


def test_a_reverification_of_any_product_still_counts_as_one(user):
    passed(user)
    passed(user, purpose=Purpose.REVERIFY, product="FACE_IDU")
    assert services.is_reverified(user, max_age=60)
    assert services.latest_reverification(user).product_code == "FACE_IDU"
    passed(user, purpose=Purpose.REVERIFY, product="FACE_VERIFY")
    assert services.latest_reverification(user).product_code == "FACE_VERIFY"


def test_a_passed_liveness_check_is_not_called_an_identity_verification(user):
    liveness = describe(passed(user, product="FACE_LIVENESS_PRO"))
    document = describe(passed(user))
    assert liveness.success and document.success
    assert str(document.title) == "Identity verified"
    assert "verified" not in f"{liveness.title} {liveness.message}".lower()
