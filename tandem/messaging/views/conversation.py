"""The conversation: read, write, autosave, read receipts, relational-move checklist,
alliance pulse. Thin views: parse, authorise, call a service, render."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.messaging import alliance, cover, gestures, moves, replytimes, risk, services
from tandem.messaging.forms import MessageForm
from tandem.messaging.models import Direction, GestureContext, Message, RefType
from tandem.messaging.policies import can_write, conversation_access, own_pulse
from tandem.programs.models import EnrollmentStatus
from tandem.programs.policies import visible_enrollments

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
READ_ACTION = "messaging.conversation.viewed"


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or request.user.language or "en"


def _patient_words(conversation: Any) -> str:
    """The patient's recent words (for the quote check when there is no context)."""
    if conversation is None:
        return ""
    recent = Message.objects.filter(
        conversation=conversation, direction=Direction.PATIENT_TO_TEAM
    ).order_by("-sent_at")[:3]
    return "\n".join(m.body for m in recent)


def _context(request: HttpRequest, enrollment: Any, kind: str, ref: object):  # type: ignore[no-untyped-def]
    if request.user.role != Role.THERAPIST or not kind:
        return None
    return gestures.resolve_context(
        kind,
        patient=enrollment.patient,
        enrollment=enrollment,
        ref=ref,
        language=enrollment.patient.user.language or _language(request),
    )


def _message_ref(
    request: HttpRequest, enrollment: Any, data: dict[str, Any], context: Any
) -> services.Ref | None:
    if context is not None and context.ref_type and context.ref_uuid:
        return services.Ref(context.ref_type, context.ref_uuid, context.ref_label, context.ref_key)
    about, ref = data.get("about") or "", data.get("ref")
    if about in RefType.values and ref:
        found = gestures.resolve_ref(
            about,
            ref,
            patient=enrollment.patient,
            enrollment=enrollment,
            language=_language(request),
        )
        if found:
            return services.Ref(*found)
    return None


def _composer(request: HttpRequest, enrollment: Any, conversation: Any) -> dict[str, Any]:
    """An unbound composer: the draft, or a suggestion from a gesture context."""
    user = request.user
    staff = user.role == Role.THERAPIST
    kind = (request.GET.get("context") or "")[:32]
    ref = request.GET.get("ref") or ""
    about = (request.GET.get("about") or "")[:16]
    draft = services.draft_of(actor=user, conversation=conversation) if conversation else None
    context = _context(request, enrollment, kind, ref)
    initial: dict[str, Any] = {
        "client_token": MessageForm.new_token(),
        "context": context.kind if context else "",
        "ref": (context.ref_uuid if context else None) or (ref if about else None) or None,
        "about": about if about in RefType.values else "",
    }
    templates: list[gestures.TemplateChoice] = []
    chosen = None
    earlier_draft = None
    if context is not None:
        language = enrollment.patient.user.language or _language(request)
        templates = gestures.templates_for(user=user, context=context.kind, language=language)
        wanted = request.GET.get("template") or ""
        chosen = next(
            (t for t in templates if t.key == wanted), templates[0] if templates else None
        )
        if chosen is not None:
            initial["body"] = gestures.suggest(
                context=context,
                template=chosen,
                patient_name=enrollment.patient.user.full_name,
                therapist_name=user.full_name,
            )
            initial["functions"] = list(chosen.functions)
            initial["template"] = chosen.key
        if draft is not None and draft.body.strip():
            earlier_draft = draft
    elif draft is not None:
        initial["body"] = draft.body
        initial["functions"] = draft.functions
    about_ref = None
    if about in RefType.values and ref and context is None:
        about_ref = gestures.resolve_ref(
            about,
            ref,
            patient=enrollment.patient,
            enrollment=enrollment,
            language=_language(request),
        )
    form = MessageForm(initial=initial, staff=staff)
    return {
        "form": form,
        "context": context,
        "templates": templates,
        "chosen": chosen,
        "context_label": GestureContext(context.kind).label if context else "",
        "earlier_draft": earlier_draft,
        "about_ref": about_ref,
        "moves": _moves(request, enrollment, conversation, initial.get("body", ""), context)
        if staff
        else None,
    }


def _moves(
    request: HttpRequest, enrollment: Any, conversation: Any, text: str, context: Any
) -> list[moves.Move]:
    return moves.detect(
        text or "",
        first_name=gestures.first_name(enrollment.patient.user.full_name),
        quote_source=(context.source_text if context and context.source_text else "")
        or _patient_words(conversation),
        language=enrollment.patient.user.language or "en",
        work=context.work if context else "",
    )


def _page(
    request: HttpRequest,
    enrollment: Any,
    conversation: Any,
    *,
    form: MessageForm | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    user = request.user
    patient = enrollment.patient
    messages_page = None
    unread_incoming = False
    if conversation is not None:
        qs = (
            Message.objects.filter(conversation=conversation)
            .select_related("sender", "read_by")
            .order_by("-sent_at", "-id")
        )
        messages_page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        incoming = (
            Direction.TEAM_TO_PATIENT if user.role == Role.PATIENT else (Direction.PATIENT_TO_TEAM)
        )
        unread_incoming = user.role in (Role.PATIENT, Role.THERAPIST) and any(
            m.direction == incoming and m.read_at is None for m in messages_page.object_list
        )
    context: dict[str, Any] = {
        "enrollment": enrollment,
        "patient": patient,
        "conversation": conversation,
        "page": messages_page,
        "thread": list(reversed(messages_page.object_list)) if messages_page else [],
        "unread_incoming": unread_incoming,
        "can_write": can_write(user),
        "is_patient": user.role == Role.PATIENT,
        "answering": cover.answering_now(patient),
        "closed": enrollment.status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.DISCONTINUED),
    }
    if can_write(user):
        composer = _composer(request, enrollment, conversation)
        if form is not None:
            composer["form"] = form
            composer["moves"] = (
                _moves(
                    request,
                    enrollment,
                    conversation,
                    form.data.get("body", ""),
                    composer["context"],
                )
                if user.role == Role.THERAPIST
                else None
            )
        context.update(composer)
    if user.role == Role.PATIENT:
        context["expectation"] = replytimes.reply_expectation(patient=patient)
        context["pulse"] = alliance.open_offer(conversation=conversation) if conversation else None
        if request.GET.get("crisis") == "1" or (extra or {}).get("show_crisis"):
            context.update(risk.crisis_context(clinic=patient.clinic, language=_language(request)))
    else:
        context["trend"] = (
            alliance.trend(patient=patient, therapist=user) if user.role == Role.THERAPIST else []
        )
        context["summary"] = gestures.function_summary(patient=patient)
    context.update(extra or {})
    return render(request, "messaging/conversation.html", context, status=status)


@require_role(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def conversation_view(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj, conversation = conversation_access(request, enrollment, action=READ_ACTION)
    return _page(request, obj, conversation)


@require_role(Role.PATIENT, Role.THERAPIST)
@require_POST
def send(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj, conversation = conversation_access(request, enrollment, action="messaging.message.sent")
    staff = request.user.role == Role.THERAPIST
    form = MessageForm(request.POST, staff=staff)
    if not form.is_valid():
        if "client_token" in form.errors:  # a fresh token, so that the retry can succeed
            form.data = form.data.copy()
            form.data["client_token"] = str(MessageForm.new_token())
            form.errors["client_token"] = form.error_class(
                [_("Something went wrong with the form. Please send again.")]
            )
        return _page(request, obj, conversation, form=form, status=400)
    data = form.cleaned_data
    context = _context(request, obj, data.get("context") or "", data.get("ref"))
    body = data.get("body") or ""
    try:
        result = services.send_message(
            actor=request.user,
            enrollment=obj,
            body=body,
            client_token=data["client_token"],
            ref=_message_ref(request, obj, data, context),
            functions=data.get("functions") or (),
            context_kind=context.kind if context else "",
            template_key=data.get("template") or "",
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, obj, conversation, form=form, status=400)
    except PermissionDenied:
        raise Http404 from None
    except Exception:
        if request.user.role == Role.PATIENT and risk.assess(body) is not None:
            # The message and its alert are one transaction: neither was stored. The
            # patient still sees where to get help now, and the text is kept.
            logger.exception("sending a message with risk language failed")
            services.save_draft(
                actor=request.user, conversation=services.conversation_for(obj), body=body
            )
            form.add_error(None, _send_failed())
            return _page(
                request, obj, conversation, form=form, status=503, extra={"show_crisis": True}
            )
        raise
    url = reverse("messaging_conversation", kwargs={"enrollment": obj.uuid})
    if result.risk is not None and request.user.role == Role.PATIENT:
        url += "?crisis=1"
    return redirect(url + "#latest")


def _send_failed() -> str:
    return _(
        "Your message could not be sent. Please try again in a moment. If you need "
        "help now, call 112 or the crisis line below."
    )


@require_role(Role.PATIENT, Role.THERAPIST)
@require_POST
def draft(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj, conversation = conversation_access(request, enrollment, action="messaging.draft.saved")
    form = MessageForm(request.POST, staff=request.user.role == Role.THERAPIST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    conversation = conversation or services.conversation_for(obj)
    saved = services.save_draft(
        actor=request.user,
        conversation=conversation,
        body=request.POST.get("body", ""),
        functions=data.get("functions") or (),
        context_kind=data.get("context") or "",
        context_ref=data.get("ref"),
    )
    return render(
        request,
        "messaging/partials/draft_status.html",
        {"saved": saved, "at": timezone.now()},
    )


@require_role(Role.THERAPIST)
@require_POST
def moves_checklist(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj, conversation = conversation_access(request, enrollment, action="messaging.draft.checked")
    context = _context(
        request, obj, (request.POST.get("context") or "")[:32], request.POST.get("ref")
    )
    found = _moves(request, obj, conversation, request.POST.get("body", "")[:20000], context)
    return render(request, "messaging/partials/moves.html", {"moves": found})


@require_role(Role.PATIENT, Role.THERAPIST)
@require_POST
def mark_read(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj, conversation = conversation_access(request, enrollment, action="messaging.message.read")
    if conversation is not None:
        try:
            services.mark_read(actor=request.user, conversation=conversation)
        except PermissionDenied:
            raise Http404 from None
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("messaging_conversation", enrollment=obj.uuid)


@require_role(Role.PATIENT)
@require_POST
def pulse(request: HttpRequest, pulse: str) -> HttpResponse:
    obj = own_pulse(request, pulse)
    error = ""
    if "dismiss" in request.POST:
        alliance.dismiss(actor=request.user, pulse=obj)
        obj.refresh_from_db()
    else:
        try:
            obj = alliance.answer(
                actor=request.user,
                pulse=obj,
                understood=request.POST.get("understood"),
                helps=request.POST.get("helps"),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request,
            "messaging/partials/pulse.html",
            {"pulse": obj, "error": error},
            status=400 if error else 200,
        )
    return redirect("messaging_conversation", enrollment=obj.conversation.enrollment.uuid)


@require_role(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    incoming = (
        Direction.TEAM_TO_PATIENT if user.role == Role.PATIENT else (Direction.PATIENT_TO_TEAM)
    )
    unread = (
        Message.objects.filter(
            conversation__enrollment=OuterRef("pk"), direction=incoming, read_at__isnull=True
        )
        .values("conversation__enrollment")
        .annotate(n=Count("id"))
        .values("n")
    )
    enrollments = (
        visible_enrollments(user)
        .filter(status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED])
        .select_related("patient__user", "version__program", "conversation")
        .defer("version__snapshot")
        .annotate(unread=Subquery(unread))
        .order_by(
            F("conversation__awaiting_reply_since").asc(nulls_last=True),
            F("conversation__last_message_at").desc(nulls_last=True),
            "pk",
        )
    )
    if user.role == Role.PATIENT:
        rows = list(enrollments[:20])
        if len(rows) == 1:
            return redirect("messaging_conversation", enrollment=rows[0].uuid)
        return render(request, "messaging/inbox.html", {"rows": rows, "page": None})
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        enrollments = enrollments.filter(patient__user__full_name__icontains=query)
    if request.GET.get("waiting") == "1":
        enrollments = enrollments.filter(~Q(conversation__awaiting_reply_since=None))
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(
        actor=user,
        action="messaging.inbox.listed",
        request=request,
        detail={"count": len(page.object_list), "page": page.number},
    )
    overdue = {c.pk for c in replytimes.overdue_conversations(user.clinic)}
    return render(
        request,
        "messaging/inbox.html",
        {
            "rows": page.object_list,
            "page": page,
            "query": query,
            "overdue": overdue,
            "waiting": request.GET.get("waiting") == "1",
        },
    )
