"""Calendar feeds: make, show once and revoke a secret feed address; serve the feed to a
calendar application (no sign-in; the token is the key; anything else is 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.models import Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.blended import services
from tandem.blended.services.feed import active_feed, feed_url
from tandem.blended.views.common import render_local


@require_role(Role.THERAPIST, Role.PATIENT)
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """GET shows whether a feed exists; POST ``create`` makes a new address (shown once,
    on this response) and ``revoke`` turns every address off."""
    url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            url = feed_url(services.create_feed(actor=request.user, request=request))
        elif action == "revoke":
            count = services.revoke_feeds(actor=request.user, request=request)
            if count:
                messages.success(request, _("The calendar address no longer works."))
            return redirect("blended_calendar")
        else:
            return redirect("blended_calendar")
    return render_local(
        request,
        "blended/calendar.html",
        {"feed": active_feed(request.user), "url": url},
    )


@login_not_required
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = services.feed_owner(token)
    if user is None:
        audit.record(
            actor=None,
            action="blended.calendar_feed.denied",
            request=request,
            outcome="denied",
        )
        raise Http404
    body = services.feed_for(user)
    audit.record(
        actor=user, action="blended.calendar_feed.fetched", request=request, clinic=user.clinic_id
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tandem.ics"'
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response
