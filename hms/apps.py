from django.apps import AppConfig


class HmsConfig(AppConfig):
    name = "hms"
    verbose_name = "Hospital"
