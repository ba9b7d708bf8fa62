"""URLs of the peer's minimal project (``bench/peer.py``)."""

from django.urls import include, path

urlpatterns = [path("survey/", include("survey.urls"))]
