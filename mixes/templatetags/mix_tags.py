"""Screen 2's row controls and the filters that write times, shares and targets."""

from dataclasses import dataclass, field

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from mixes.undo import UNDO_SESSION_KEY, Undo
from music.phases import TEMPO_RANGE

register = template.Library()


@register.inclusion_tag("mixes/_row_actions.html", takes_context=True)
def row_actions(context, mix, item) -> dict:
    """A track row's controls (`{% row_actions mix item %}`): each a small POST form, with htmx or without.

    Swap, Lock/Unlock and Remove are in view (a locked row offers only Unlock); the rest wait in a More menu,
    open when the last action came from it. The control just used is focused again (`autofocus`, which htmx
    honours after a swap).
    """
    controls = _focused_controls(context, mix, item)
    menu = [control for control in controls if control["in_menu"]]
    return {
        "item": item,
        "controls": [control for control in controls if not control["in_menu"]],
        "menu": menu,
        "menu_open": any(control["autofocus"] for control in menu),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def row_focus(context, mix, item) -> str:
    """` tabindex="-1" autofocus` on the row itself when the control just used is no longer offered in it."""
    if not _focus_key(context, item) or any(c["autofocus"] for c in _focused_controls(context, mix, item)):
        return ""
    return mark_safe(' tabindex="-1" autofocus')


@register.simple_tag(takes_context=True)
def row_messages(context, item) -> list:
    """A plain request's notice or error for this row, shown in the row the redirect lands on (as well as on top).

    An htmx answer carries its notice in the context instead, and leaves the messages of other pages unread.
    """
    request = context.get("request")
    if request is None or getattr(request, "htmx", False):
        return []
    tag = row_message_tag(item.pk)
    return [message for message in context.get("messages", ()) if tag in message.extra_tags.split()]


@register.simple_tag(takes_context=True)
def undo_toast(context):
    """The Undo the toast offers: the one this answer carries, or on a plain page the one a redirect left in the
    session for this mix (shown once, as a message is)."""
    if context.get("undo"):
        return context["undo"]
    request = context.get("request")
    if request is None or getattr(request, "htmx", False) or "mix" not in context:
        return None
    undo = Undo.from_token(request.session.get(UNDO_SESSION_KEY, ""), context["mix"])
    if undo is not None:
        del request.session[UNDO_SESSION_KEY]
    return undo


def row_message_tag(item_id: int) -> str:
    """The extra tag that ties a message to a row."""
    return f"row-t{item_id}"


def row_controls(mix, item, track_count: int) -> list[dict]:
    """The controls a row offers, in order: what each posts where, its visible text and where it sits."""
    controls = [action.control(mix, item) for action in ROW_ACTIONS if action.offered(item)]
    if track_count > 1:
        move_to = reverse("mixes:track_move", args=[mix.pk, item.pk])
        controls.append(
            {
                "key": focus_key("move"),
                "url": move_to,
                "move_to": True,
                "in_menu": True,
                "max": track_count,
                "value": item.position + 1,
                "title": item.track.title,
                "target": "#mix-body",
            }
        )
    for factor, verb in ((2, "Double"), (0.5, "Halve")):
        tempo = item.tempo * factor if item.tempo else None
        if tempo is not None and TEMPO_RANGE.low <= tempo <= TEMPO_RANGE.high:
            controls.append(
                {
                    "key": focus_key("bpm", {"factor": factor}),
                    "url": reverse("mixes:track_bpm", args=[mix.pk, item.pk]),
                    "target": f"#t{item.pk}",
                    "fields": {"factor": str(factor)},
                    "text": f"{verb} the tempo ({item.tempo:.0f} → {tempo:.0f} BPM)",
                    "in_menu": True,
                }
            )
    return controls


def _focused_controls(context, mix, item) -> list[dict]:
    preview = context.get("preview")
    controls = row_controls(mix, item, preview.track_count if preview else len(mix.tracks.all()))
    focus = _focus_key(context, item)
    for control in controls:
        control["autofocus"] = bool(focus) and control["key"] == focus
    return controls


def _focus_key(context, item) -> str:
    """Which control of this row the answer focuses (a control's `key`, or "row"), if any."""
    focus = context.get("focus") or {}
    return focus.get("key", "") if focus.get("item") == item.pk else ""


def focus_key(verb: str, fields: dict | None = None) -> str:
    """A control's key: its verb and what it posts (move-up, bpm-2), so the same control is found again."""
    return "-".join([verb, *(str(value) for value in (fields or {}).values())])


@dataclass(frozen=True)
class RowAction:
    """A button of a track row that posts `fields` to `mixes:track_<verb>` for that row.

    Its accessible name is its visible text followed by the track's title (visually hidden), so a screen
    reader hears which row, and the name still starts with what the button says.
    """

    verb: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    target: str = ""  # what the answer replaces: the row, unless named
    text_on: str = ""  # the text while the row's `toggles` flag is on (Lock → Unlock)
    toggles: str = ""
    pressed: bool = False  # a toggle that keeps its text and says its state with aria-pressed (Like)
    in_menu: bool = False
    danger: bool = False
    unlocked_only: bool = False  # not offered on a locked row

    def offered(self, item) -> bool:
        return not (self.unlocked_only and item.locked)

    def control(self, mix, item) -> dict:
        on = bool(getattr(item, self.toggles)) if self.toggles else False
        return {
            "key": focus_key(self.verb, self.fields),
            "url": reverse(f"mixes:track_{self.verb}", args=[mix.pk, item.pk]),
            "target": self.target or f"#t{item.pk}",
            "fields": self.fields,
            "pressed": on if self.pressed else None,
            "text": (on and self.text_on) or self.text,
            "title": item.track.title,
            "danger": self.danger,
            "in_menu": self.in_menu,
        }


# A move changes two rows and maybe sections: its answer is the whole mix body.
ROW_ACTIONS = (
    RowAction("swap", "Swap", unlocked_only=True),
    RowAction("lock", "Lock", toggles="locked", text_on="Unlock"),
    RowAction("remove", "Remove", danger=True, unlocked_only=True),
    RowAction("like", "Like", toggles="liked", pressed=True, in_menu=True),
    RowAction("move", "Move up", fields={"direction": "up"}, target="#mix-body", in_menu=True),
    RowAction("move", "Move down", fields={"direction": "down"}, target="#mix-body", in_menu=True),
)


@register.filter
def tempo_reading(item) -> str:
    """The row's tempo in words: the track's BPM (the person's own reading if they fixed it) and, when the mix
    counts it in double or half time, what the workout hears."""
    if item.tempo is None:
        return "tempo unknown"
    words = f"{item.tempo:.0f} BPM"
    catalog = getattr(getattr(item.track, "features", None), "tempo", None)
    if catalog is not None and round(catalog) != round(item.tempo):
        words += " as you set it"
    if item.tempo_factor == 2:
        words += f", used in double time ({item.effective_bpm:.0f})"
    elif item.tempo_factor == 0.5:
        words += f", used in half time ({item.effective_bpm:.0f})"
    return words


# Filters ---------------------------------------------------------------------------------


@register.filter
def clock(seconds) -> str:
    """Seconds as m:ss (or h:mm:ss past an hour)."""
    total = int(round(abs(float(seconds or 0))))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def signed_clock(seconds) -> str:
    """A difference in time: +0:12, −1:05, or ±0:00."""
    value = float(seconds or 0)
    if round(value) == 0:
        return "±0:00"
    return ("+" if value > 0 else "−") + clock(value)


@register.filter
def ms_clock(milliseconds) -> str:
    return clock((milliseconds or 0) / 1000)


@register.filter
def percent_of(part, whole) -> float:
    """Width of a part of a whole, in percent, for timelines."""
    return round(100 * float(part) / float(whole), 3) if whole else 0


@register.filter
def target(pair, unit: str = "") -> str:
    """A constant target or a ramp: 160, or 110→150."""
    start, end = pair
    fmt = "{:.0f}" if unit == "bpm" else "{:.2f}"
    return fmt.format(start) if start == end else f"{fmt.format(start)}→{fmt.format(end)}"
