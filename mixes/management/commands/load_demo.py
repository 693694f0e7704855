from django.core.management.base import BaseCommand

from mixes.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo catalog, the demo user (demo / sessionmix-demo) with history and plans. Safe to rerun."

    def handle(self, *args, **options):
        for line in load_demo().lines():
            self.stdout.write(line)
