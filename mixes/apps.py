from django.apps import AppConfig


class MixesConfig(AppConfig):
    name = "mixes"

    def ready(self) -> None:
        from mixes import signals  # noqa: F401
