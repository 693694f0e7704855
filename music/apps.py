from django.apps import AppConfig


class MusicConfig(AppConfig):
    name = "music"

    def ready(self) -> None:
        from music import signals  # noqa: F401
