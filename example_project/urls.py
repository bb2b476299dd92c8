from django.contrib import admin
from django.urls import include, path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("verifications/<uuid:public_id>/", views.verification, name="verification"),
    path("payout/", views.payout, name="payout"),
    path("confirm-it-is-you/", views.confirm_it_is_you, name="confirm"),
    path("checks/", views.checks, name="checks"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's language buttons
    path("ekyc/", include("django_ekyc.urls")),
    path("admin/", admin.site.urls),
]
