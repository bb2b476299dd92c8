"""Mount with ``path("ekyc/", include("django_ekyc.urls"))``.

``api/`` needs Django REST framework; the return and callback views do not.
"""

from django.urls import include, path

from django_ekyc import views

app_name = "django_ekyc"

urlpatterns = [
    path("api/", include("django_ekyc.api.urls")),
    path("return/<str:token>/", views.return_view, name="return"),
    path("return/<str:token>/status/", views.return_status_view, name="return-status"),
    path("callback/", views.callback_view, name="callback"),
]
