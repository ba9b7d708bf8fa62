from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
    label = "accounts"

    def ready(self) -> None:
        from tandem.accounts import auth_events

        auth_events.connect()
        _widen_totp_replay_window()
        from tandem.accounts import demo
        from tandem.core import seeding

        seeding.register(10, "accounts", demo.seed)


def _widen_totp_replay_window() -> None:
    """allauth remembers a used TOTP code for one period, but with a tolerance of ±1
    step a code stays valid for three. Remember it for the whole validity window so a
    code can never be replayed (SECURITY.md: single-use codes)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    def mark_code_used(self, code: str) -> bool:  # type: ignore[no-untyped-def]
        window = app_settings.TOTP_PERIOD * (2 * app_settings.TOTP_TOLERANCE + 1)
        return cache.add(self._get_used_cache_key(code), "y", timeout=window)

    TOTP._mark_code_used = mark_code_used  # type: ignore[method-assign]
