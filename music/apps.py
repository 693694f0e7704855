from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


class MusicConfig(AppConfig):
    name = "music"

    def ready(self) -> None:
        from music import signals  # noqa: F401

        pre_migrate.connect(_before_migrate, sender=self)
        post_migrate.connect(_after_migrate, sender=self)


def _before_migrate(sender, using, **kwargs) -> None:
    """SQLite: the search copies' triggers out of the way of table rebuilds (music.search_copies)."""
    from music import search_copies

    connection = connections[using]
    if connection.vendor == "sqlite" and "music_audiofeatures" in connection.introspection.table_names():
        search_copies.uninstall(connection)


def _after_migrate(sender, using, apps=global_apps, **kwargs) -> None:
    """The search copies' triggers in place, and the copies filled, once the columns exist (a flush sends this
    too, with the app registry as it is)."""
    from music import search_copies

    features = {field.name for field in apps.get_model("music", "AudioFeatures")._meta.get_fields()}
    if set(search_copies.COPIES) <= features:
        search_copies.install(connections[using])
