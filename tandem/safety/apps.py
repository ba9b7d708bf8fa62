from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "tandem.safety"
    label = "safety"
    verbose_name = "Safety"
