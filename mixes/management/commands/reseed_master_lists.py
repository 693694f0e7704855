from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from mixes.master_lists import reseed_for_user, reseed_global


class Command(BaseCommand):
    help = "Rebuild the global Master Lists from their rules and each user's own lists from the scorer."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this username's lists (and the global ones).")
        parser.add_argument("--global-only", action="store_true", help="Skip the per-user lists.")

    def handle(self, *args, user=None, global_only=False, **options):
        counts = reseed_global()
        self.stdout.write("Global: " + ", ".join(f"{kind} {n}" for kind, n in counts.items()))
        if global_only:
            return
        users = get_user_model().objects.filter(is_active=True)
        if user:
            users = users.filter(username=user)
        for account in users:
            counts = reseed_for_user(account)
            self.stdout.write(f"{account.username}: {sum(counts.values())} tracks in {len(counts)} lists")
