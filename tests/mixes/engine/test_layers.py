"""The engine's layer: plain Python that imports no Django and, of the apps, only music's plain helpers."""

import os
import subprocess
import sys

from django.conf import settings

# The music modules the engine may import: no Django in them either.
PLAIN_MUSIC = {"music", "music.normalize", "music.catalog_csv", "music.phases"}


def test_every_engine_module_loads_without_django_and_only_plain_music_helpers():
    """Importing all of mixes/engine with no settings module loads no Django and no app module but those helpers."""
    code = (
        "import importlib, pkgutil, sys, mixes.engine\n"
        "for module in pkgutil.iter_modules(mixes.engine.__path__):\n"
        "    importlib.import_module(f'mixes.engine.{module.name}')\n"
        "apps = ('django', 'accounts', 'config', 'mixes', 'music')\n"
        "print(' '.join(sorted(name for name in sys.modules if name.split('.')[0] in apps)))\n"
    )
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True, capture_output=True, text=True
    ).stdout.split()

    outside = {name for name in loaded if not name.startswith("mixes.engine")} - {"mixes"}
    assert outside <= PLAIN_MUSIC
