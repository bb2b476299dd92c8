"""Staff decisions in the admin: the review panel on a verification's page (its decisions, and the form that
records a new one) and the view the form posts to. The panel takes ``review_kyctransaction``, its form and the view
``decide_kyctransaction`` too; every decision is in Django's admin log as well as the verification's history.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput, ProviderCallFailed
from django_ekyc.models import KycTransaction, ReviewDecision, ReviewState, Verdict
from django_ekyc.services import review

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object


class ReviewDecisions(_Admin):
    """Mixed into the transactions' admin: the ``review_panel`` field and the ``decide/`` view."""

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.review_kyctransaction")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.decide_kyctransaction")

    def get_urls(self) -> list[Any]:
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_decide",
        )
        return [decide, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The list, with a link to the review queue where this admin site has one (and the user may see it)."""
        context = {**(extra_context or {})}
        if self.has_review_permission(request):
            with suppress(NoReverseMatch):  # a site that did not register the queue on this admin site
                context["review_queue_url"] = reverse(f"{self.admin_site.name}:django_ekyc_reviewqueueitem_changelist")
        return super().changelist_view(request, context)

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Record a decision from the panel's form (a POST, CSRF-checked by the admin), then show the page again."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_decide_permission(request) and self.has_review_permission(request)):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        form = request.POST
        try:
            with request_deadline(ekyc_settings.REQUEST_DEADLINE):
                decision = review.decide(
                    obj,
                    staff=request.user,
                    verdict=form.get("review_verdict", ""),
                    reason=form.get("review_reason", ""),
                    note=form.get("review_note", ""),
                    seen=form.get("review_seen", ""),
                )
        except InvalidInput as refused:
            self.message_user(request, refused.message, messages.ERROR)
        except ProviderCallFailed as failure:
            code = failure.error.code or type(failure.error).__name__
            self.message_user(request, gettext("The provider could not be asked (%s).") % code, messages.ERROR)
        else:
            self.log_change(request, obj, f"Review decision: {decision.verdict} ({decision.reason}).")
            self.message_user(request, _decided_message(decision), messages.SUCCESS)
        url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id])
        return HttpResponseRedirect(url)

    def review_fieldsets(self, request: HttpRequest) -> tuple[Any, ...]:
        """The page's *Review* section: for those who may see the review (with the form if they may decide too)."""
        if not self.has_review_permission(request):
            return ()
        field = "review_panel_decidable" if self.has_decide_permission(request) else "review_panel"
        return ((_("Review"), {"fields": (field,)}),)

    @admin.display(description=_("Review"))
    def review_panel(self, obj: KycTransaction) -> str:
        """Where the verification stands with staff, and every decision so far."""
        decisions = list(ReviewDecision.objects.filter(transaction_id=obj.pk).order_by("created_at", "id"))
        state = obj.get_review_display() if obj.review else gettext("Not for review")
        if obj.review_rule:
            state = format_html("{} &middot; {}", state, obj.get_review_rule_display())
        return format_html('<p id="review-state">{}</p>{}', state, _decision_list(decisions))

    @admin.display(description=_("Review"))
    def review_panel_decidable(self, obj: KycTransaction) -> str:
        """The panel, and the form that records a decision while the verification has one to take."""
        if not obj.review:
            return self.review_panel(obj)
        return format_html("{}{}", self.review_panel(obj), self._decision_form(obj))

    def _decision_form(self, obj: KycTransaction) -> str:
        """The inputs of a decision, inside the change page's own form (with its CSRF token): the button posts
        them to the decide view."""
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_decide", args=[quote(obj.pk)]
        )
        verdicts = format_html_join("", '<option value="{}">{}</option>', Verdict.choices)
        reasons = format_html_join(
            "", '<option value="{}">{}</option>', ((code, gettext(str(label))) for code, label in _reasons())
        )
        first = review.pending_approval(obj)
        hint = (
            format_html(
                '<p class="help">{}</p>', gettext("Approved once by %s: a second person approves.") % first.staff_name
            )
            if first
            else ""
        )
        return format_html(
            '<fieldset id="review-decision">{}'
            '<label for="review-verdict">{}</label> <select name="review_verdict" id="review-verdict">{}</select> '
            '<label for="review-reason">{}</label> <select name="review_reason" id="review-reason">'
            '<option value="">---------</option>{}</select><br>'
            '<label for="review-note">{}</label><br>'
            '<textarea name="review_note" id="review-note" rows="3" cols="60" maxlength="{}"></textarea>'
            '<input type="hidden" name="review_seen" value="{}"><br>'
            '<button type="submit" formaction="{}" formmethod="post" id="review-submit">{}</button></fieldset>',
            hint,
            gettext("Decision"),
            verdicts,
            gettext("Reason"),
            reasons,
            gettext("Note"),
            review.NOTE_LENGTH,
            review.seen_token(obj),
            url,
            gettext("Record the decision"),
        )


def _reasons() -> list[tuple[str, Any]]:
    return list(ekyc_settings.REVIEW.reasons.items())


def _decision_list(decisions: list[ReviewDecision]) -> str:
    if not decisions:
        return format_html("<p>{}</p>", gettext("No decision yet."))
    rows = (
        (
            decision.created_at.strftime("%Y-%m-%d %H:%M"),
            decision.staff_name,
            decision.get_verdict_display(),
            gettext(str(ekyc_settings.REVIEW.reasons.get(decision.reason, decision.reason))),
            "" if decision.effective else gettext(" (first of two approvals)"),
            decision.note or "",
        )
        for decision in decisions
    )
    items = format_html_join("", "<li>{} &middot; {} &middot; {}: {}{}<br><small>{}</small></li>", rows)
    return format_html('<ol id="review-decisions">{}</ol>', items)


def _decided_message(decision: ReviewDecision) -> str:
    if not decision.effective:
        return gettext("Approval recorded: it takes effect when another person approves too.")
    return gettext("Decision recorded: %s.") % ReviewState(review.STATE_AFTER[Verdict(decision.verdict)]).label
