from typing import Any

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from django_ekyc.api.pictures import ConsentView, PictureCheckView
from django_ekyc.api.views import KycTransactionViewSet, NotFoundView

router = SimpleRouter()
router.register("transactions", KycTransactionViewSet, basename="transaction")
urlpatterns: list[Any] = [
    *router.urls,
    path("checks/", PictureCheckView.as_view(), name="picture_check"),
    path("consents/", ConsentView.as_view(), name="consents"),
]

try:
    from drf_spectacular.views import SpectacularAPIView

    from django_ekyc.api.schema import SCHEMA_SETTINGS
except ImportError:  # the schema is optional: pip install django-ekyc[openapi]
    pass
else:
    urlpatterns.append(
        path(
            "schema/",
            SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS),
            name="schema",
        )
    )

# Last: every other path under the API answers a JSON 404 with a code.
urlpatterns.append(re_path(r"^(?:.*/)?$", NotFoundView.as_view(), name="not_found"))
