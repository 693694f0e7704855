"""allauth's Spotify provider, pointed at settings.SPOTIFY_ACCOUNTS_URL / SPOTIFY_API_URL.

The built-in provider hard-codes Spotify's hosts and sends the access token to /me as a
query parameter; ours reads the hosts from settings (so the sandbox can stand in) and sends
the token in the Authorization header, as Spotify documents.
"""
