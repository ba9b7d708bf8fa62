"""Background work for accounts: invitation and security-notice emails.

Tasks take ids only and re-load their rows; they carry no patient data. Email bodies
contain no clinical content.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation


@task()
def send_invitation(invitation_id: int) -> None:
    from tandem.accounts.models import Invitation

    invitation = Invitation.objects.select_related("clinic").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return
    url = settings.SITE_URL + reverse("accept_invitation", args=[invitation.token_sealed])
    context = {"invitation": invitation, "url": url, "expires_at": invitation.expires_at}
    with translation.override(invitation.invited_by.language or "en"):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


@task()
def send_security_notice(user_id: int, notice: str) -> None:
    """The direct email, used only when no app registered a sender (``accounts.notices``)."""
    from tandem.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    context = {"user": user, "notice": notice, "at": timezone.now(), "site": settings.SITE_URL}
    with translation.override(user.language or "en"):
        subject = render_to_string("accounts/email/security_notice_subject.txt", context).strip()
        body = render_to_string("accounts/email/security_notice.txt", context)
    send_mail(subject, body, None, [user.email])


def enqueue_invitation(invitation_id: int) -> None:
    transaction.on_commit(lambda: send_invitation.enqueue(invitation_id))


def enqueue_security_notice(*, user_id: int, notice: str) -> None:
    """See ``accounts.notices``: through the delivery log when the notifications app is
    installed, else by this module's ``send_security_notice``."""
    from tandem.accounts import notices

    notices.send(user_id=user_id, notice=notice)
