from django.contrib import admin
from django.urls import path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="demo-start"),
    path("return/<str:token>/", views.came_back, name="demo-return"),
    path("admin/", admin.site.urls),
]
