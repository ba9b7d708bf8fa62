"""The client's address, also behind reverse proxies.

With ``TANDEM_TRUSTED_PROXY_COUNT = n`` (default 0: Tandem faces clients directly) the
address is the n-th entry from the right of ``X-Forwarded-For`` — the one our own nearest
proxy saw — so a client cannot spoof it by sending its own header. Used by the audit log
and the per-IP login limit.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = getattr(settings, "TANDEM_TRUSTED_PROXY_COUNT", 0)
    if hops <= 0:
        return remote
    chain = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(chain) < hops:
        return remote
    candidate = chain[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
