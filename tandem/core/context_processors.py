from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, object]:
    return {"TANDEM_PRODUCTION": settings.PRODUCTION, "LANGUAGES": settings.LANGUAGES}
