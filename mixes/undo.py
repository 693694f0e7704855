"""What an Undo button puts back after a remove or a swap, carried by the button itself as a signed token.

Without htmx, the redirect leaves the token in the session and the next render of the mix shows the toast once.

The token names the Feedback the action recorded and holds the row as it was. Undoing withdraws that Feedback,
so a token works once; it is signed, so it cannot be forged, and it is read only through its mix's owner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.core import signing

SALT = "mixes.undo"
UNDO_SESSION_KEY = "mixes.undo"  # without htmx, the redirect after a remove or swap leaves the toast's token here
MAX_AGE_S = 24 * 3600  # a toast left open overnight still undoes; older ones say there is nothing to undo


@dataclass(frozen=True)
class Undo:
    mix_id: int
    feedback_id: int
    kind: str  # Feedback.Kind.REMOVED or SWAPPED
    text: str  # what the toast says: "Removed ‘X’", "Swapped ‘X’ for ‘Y’"
    row: dict = field(default_factory=dict)  # the row before: id, section, position and ROW_FIELDS
    replaced_by: int | None = None  # a swap: the track now in the row, which an undo expects to find there

    # What a swap changes in a row, and what a removed row is rebuilt from (with its section and position).
    ROW_FIELDS = ("track_id", "locked", "liked", "score", "tempo", "tempo_factor", "why", "explore")

    @classmethod
    def row_state(cls, item) -> dict:
        """A MixTrack's state, as an undo restores it."""
        state = {name: getattr(item, name) for name in cls.ROW_FIELDS}
        return {**state, "id": item.pk, "section": item.section, "position": item.position}

    @classmethod
    def of_remove(cls, mix, feedback, row: dict, *, title: str) -> Undo:
        return cls(mix.pk, feedback.pk, feedback.kind, f"Removed ‘{title}’", row)

    @classmethod
    def of_swap(cls, mix, feedback, row: dict, *, old_title: str, new) -> Undo:
        text = f"Swapped ‘{old_title}’ for ‘{new.track.title}’"
        return cls(mix.pk, feedback.pk, feedback.kind, text, row, replaced_by=new.track_id)

    @property
    def is_remove(self) -> bool:
        return self.replaced_by is None

    @property
    def token(self) -> str:
        return signing.dumps(asdict(self), salt=SALT, compress=True)

    @classmethod
    def from_token(cls, token: str, mix) -> Undo | None:
        """The Undo a token of this mix carries; None for a forged, stale or other mix's token."""
        try:
            data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_S)
            undo = cls(**data)
        except (signing.BadSignature, TypeError):
            return None
        return undo if undo.mix_id == mix.pk else None
