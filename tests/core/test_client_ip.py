from django.test import RequestFactory, override_settings

from tandem.core.net import client_ip


def req(remote="10.0.0.2", forwarded=None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_socket_address_counts_and_headers_are_ignored():
    assert client_ip(req(forwarded="1.2.3.4")) == "10.0.0.2"


@override_settings(TANDEM_TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_rightmost_forwarded_address_counts():
    # A client may send its own X-Forwarded-For; the proxy appends the real address.
    assert client_ip(req(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


@override_settings(TANDEM_TRUSTED_PROXY_COUNT=2)
def test_missing_or_garbage_headers_fall_back_to_the_socket_address():
    assert client_ip(req(forwarded="203.0.113.9")) == "10.0.0.2"
    assert client_ip(req(forwarded="x, not-an-ip")) == "10.0.0.2"
