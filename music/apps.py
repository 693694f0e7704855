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


def _before_migrate(sender, using, plan=None, **kwargs) -> None:
    """The search copies' triggers out of the way (music.search_copies): of SQLite's table rebuilds at every
    `migrate`, of PostgreSQL's column changes when a music migration runs."""
    from music import search_copies

    connection = connections[using]
    if "music_audiofeatures" not in connection.introspection.table_names():
        return
    if connection.vendor == "sqlite" or any(migration.app_label == "music" for migration, _ in plan or ()):
        search_copies.uninstall(connection)


def _after_migrate(sender, using, apps=global_apps, **kwargs) -> None:
    """The search copies' triggers in place, and the copies filled, once the columns exist (a flush sends this
    too, with the app registry as it is)."""
    from music import search_copies

    try:
        model = apps.get_model("music", "AudioFeatures")
    except LookupError:  # music's migrations undone
        return
    features = {field.name for field in model._meta.get_fields()}
    if set(search_copies.COPIES) <= features:
        search_copies.install(connections[using])
