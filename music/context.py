"""Template context that music's fragments need, for any page that shows them (My music, Screen 1)."""

from accounts.spotify import is_connected, needs_reconnect
from music.models import SpotifySync


def sync_status_context(user) -> dict:
    """What `music/_sync_status.html` needs: the user's sync state and their Spotify connection."""
    return {
        "sync": SpotifySync.objects.filter(user=user).first(),
        "connected": is_connected(user),
        "needs_reconnect": needs_reconnect(user),
    }
