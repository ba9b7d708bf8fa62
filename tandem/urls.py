from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from tandem.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("account/", include("allauth.urls")),
    path("", include("tandem.accounts.urls")),
    path("", include("tandem.notifications.urls")),
    path("", include("tandem.messaging.urls")),
    path("", include("tandem.wellbeing.urls")),
    path("", include("tandem.safety.urls")),
    path("", include("tandem.assessments.urls")),
    path("", include("tandem.programs.urls")),
    path("", include("tandem.exercises.urls")),
    path("journey/", include("tandem.journey.urls")),
    path("blended/", include("tandem.blended.urls")),
    path("", include("tandem.care.urls")),
]
