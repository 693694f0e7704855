from django.apps import AppConfig


class MixesConfig(AppConfig):
    name = "mixes"
