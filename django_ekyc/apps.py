from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EkycConfig(AppConfig):
    name = "django_ekyc"
    label = "django_ekyc"
    verbose_name = _("eKYC identity verification")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from django_ekyc import checks  # noqa: F401 - registers the system checks
        from django_ekyc.logging import install_provider_query_filter
        from django_ekyc.services.erasure import erase_user

        install_provider_query_filter()
        # Deleting a user is an erasure: what may go goes, what must stay stays pseudonymised (docs/retention.md).
        pre_delete.connect(erase_user, sender=get_user_model(), dispatch_uid="django_ekyc.erase_user")
        _connect_face_tasks()


def _connect_face_tasks() -> None:
    """With Django's tasks framework at hand, a verification's face work goes to the task worker; without it,
    background sync (``ekyc_sync`` from cron) does it."""
    try:
        from django_ekyc.tasks import enqueue_deepfake_screening, enqueue_face_work
    except ImportError:
        return
    from django_ekyc.services.deepfake import deepfake_due
    from django_ekyc.services.faces import face_work_due

    face_work_due.connect(enqueue_face_work, dispatch_uid="django_ekyc.enqueue_face_work")
    deepfake_due.connect(enqueue_deepfake_screening, dispatch_uid="django_ekyc.enqueue_deepfake_screening")
