"""Records under retention, in the admin: legal holds (placed and released here, audited), the people whose
relationship or erasure the rules count from, the purge runs, and the audit entries of acts on people's records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_ekyc.admin.display import definition_list
from django_ekyc.admin.faces import ReadOnly
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import AuditEntry, KycSubject, KycTransaction, LegalHold, PurgeRun
from django_ekyc.services import erasure, holds
from django_ekyc.text import join_list

if TYPE_CHECKING:
    _HoldAdmin = admin.ModelAdmin[LegalHold]
    _SubjectAdmin = admin.ModelAdmin[KycSubject]
    _RunAdmin = admin.ModelAdmin[PurgeRun]
    _AuditAdmin = admin.ModelAdmin[AuditEntry]
else:
    _HoldAdmin = _SubjectAdmin = _RunAdmin = _AuditAdmin = admin.ModelAdmin


class RetentionDisplay:
    """On a verification's page: what keeps its records (holds), and what its person's rules count from."""

    @admin.display(description=_("Retention"))
    def retention_state(self, obj: KycTransaction) -> str:
        holds_on = LegalHold.objects.active().filter(Q(transaction=obj) | Q(subject_reference=obj.merchant_user_id))
        subject = KycSubject.objects.filter(reference=obj.merchant_user_id).first()
        facts = {
            _("Legal holds"): join_list(f"{hold.placed_at:%Y-%m-%d} {hold.placed_by_name}" for hold in holds_on)
            or _("none"),
            _("Relationship ended"): subject.relationship_ended_at
            if subject and subject.relationship_ended_at
            else "-",
            _("Erased"): subject.erased_at if subject and subject.erased_at else "-",
            _("Pictures purged"): obj.pictures_purged_at or "-",
        }
        return definition_list({str(key): value for key, value in facts.items()})


class PlaceHoldForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new hold: on a person (their user, or their pseudonym once the user is gone) or on one verification (its
    public id), and why."""

    user = forms.ModelChoiceField(queryset=get_user_model().objects.all(), required=False, label=_("Person (user)"))
    person = forms.CharField(required=False, max_length=64, label=_("Or a person by their pseudonym"))
    verification = forms.UUIDField(required=False, label=_("Or one verification (its public id)"))

    class Meta:
        model = LegalHold
        fields = ("reason",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if sum(bool(data.get(name)) for name in ("user", "person", "verification")) != 1:
            raise forms.ValidationError(_("Hold either a person or one verification."))
        person = data.get("person")
        known = (
            KycSubject.objects.filter(reference=person).exists()
            or KycTransaction.objects.filter(merchant_user_id=person).exists()
        )
        if person and not known:
            raise forms.ValidationError(_("No records carry this pseudonym."))
        if data.get("verification"):
            found = KycTransaction.objects.filter(public_id=data["verification"]).first()
            if found is None:
                raise forms.ValidationError(_("No verification has this public id."))
            data["verification"] = found
        return data


class ReleaseHoldForm(forms.ModelForm):  # type: ignore[type-arg]
    release_reason = forms.CharField(widget=forms.Textarea, label=_("Release the hold, because"))

    class Meta:
        model = LegalHold
        fields = ()


@admin.register(LegalHold)
class LegalHoldAdmin(_HoldAdmin):
    """Placing a hold needs the add permission, releasing it the change permission; nobody deletes one."""

    list_display = ("__str__", "placed_by_name", "placed_at", "released_at", "released_by_name")
    list_filter = ("released_at",)
    search_fields = ("=subject_reference", "=transaction__public_id", "placed_by_name")
    list_select_related = ("transaction",)
    show_full_result_count = False

    def get_form(self, request: HttpRequest, obj: LegalHold | None = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = ReleaseHoldForm if obj is not None else PlaceHoldForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["user", "person", "verification", "reason"]
        return ["release_reason"] if obj.released_at is None else []

    def get_readonly_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("subject_reference", "transaction", "reason", "placed_by_name", "placed_at", "released_at",
                "released_by_name", "release_reason")  # fmt: skip

    def get_fieldsets(self, request: HttpRequest, obj: LegalHold | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": self.get_fields(request, obj)})]
        return [(None, {"fields": self.get_readonly_fields(request, obj)}),
                (_("Release"), {"fields": self.get_fields(request, obj)})]  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: LegalHold | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.released_at is None)

    def has_delete_permission(self, request: HttpRequest, obj: LegalHold | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalHold, form: Any, change: bool) -> None:
        """Through the service, which audits: a hold is placed or released, never edited."""
        try:
            if change:
                released = holds.release_hold(obj, staff=request.user, reason=form.cleaned_data["release_reason"])
                obj.__dict__.update(released.__dict__)
            else:
                data = form.cleaned_data
                placed = holds.place_hold(
                    staff=request.user,
                    reason=data["reason"],
                    user=data.get("user"),
                    verification=data.get("verification"),
                    person=data.get("person") or "",
                )
                obj.pk, obj.__dict__ = placed.pk, placed.__dict__
        except InvalidInput as err:
            self.message_user(request, err.message, messages.ERROR)


@admin.register(KycSubject)
class KycSubjectAdmin(_SubjectAdmin):
    """The people the retention rules count from: when the relationship ended, when they were erased."""

    list_display = ("reference", "user", "relationship_ended_at", "erased_at", "created_at")
    list_filter = ("relationship_ended_at", "erased_at")
    search_fields = ("=reference",)
    raw_id_fields = ("user",)
    readonly_fields = ("reference", "user", "relationship_ended_at", "erased_at", "created_at")
    actions = ("mark_relationship_ended",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: KycSubject | None = None) -> bool:
        return False

    @admin.action(description=_("Mark the relationship ended"), permissions=["change"])
    def mark_relationship_ended(self, request: HttpRequest, queryset: QuerySet[KycSubject]) -> None:
        marked = 0
        for subject in queryset.exclude(user=None).filter(relationship_ended_at=None).select_related("user"):
            erasure.end_relationship(subject.user, actor=request.user.get_username())
            marked += 1
        self.message_user(
            request,
            ngettext("%(n)d relationship marked ended.", "%(n)d relationships marked ended.", marked) % {"n": marked},
        )


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnly, _RunAdmin):
    list_display = ("started_at", "trigger", "counts", "failures", "finished_at")
    list_filter = ("trigger",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, _AuditAdmin):
    list_display = ("created_at", "kind", "actor", "chain", "seq")
    list_filter = ("kind",)
    search_fields = ("=chain", "actor")
    readonly_fields = ("chain", "seq", "kind", "actor", "detail", "created_at", "prev_hash", "hash")
    show_full_result_count = False
