"""Hooks music offers the apps above it, so that music never imports them."""

from django.dispatch import Signal

# Sent with `user=` once a sync or an account-data upload has changed a person's listening history
# (mixes rebuilds their taste model on it).
history_changed = Signal()
