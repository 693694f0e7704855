"""Template context that music's fragments need, for any page that shows them (My music, Screen 1)."""

from accounts.spotify import is_connected, needs_reconnect
from music.models import Play, SpotifySync


def sync_status_context(user) -> dict:
    """What `music/_sync_status.html` needs: the sync state, the Spotify connection, and when the history last grew."""
    last_play = Play.objects.filter(user=user).order_by("-played_at").values_list("played_at", flat=True).first()
    return {
        "sync": SpotifySync.objects.filter(user=user).first(),
        "connected": is_connected(user),
        "needs_reconnect": needs_reconnect(user),
        "has_history": last_play is not None,
        "last_played_at": last_play,
    }
