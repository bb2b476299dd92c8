from django.apps import AppConfig


class EkycConfig(AppConfig):
    name = "django_ekyc"
    label = "django_ekyc"
    verbose_name = "eKYC identity verification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_ekyc import checks  # noqa: F401 - registers the system checks
        from django_ekyc.logging import install_provider_query_filter

        install_provider_query_filter()
