from django.contrib import admin
from django.urls import include, path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("verifications/<uuid:public_id>/", views.verification, name="verification"),
    path("ekyc/", include("django_ekyc.urls")),
    path("admin/", admin.site.urls),
]
