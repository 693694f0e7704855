"""Screen 2's row controls and the filters that write times, shares and targets."""

from dataclasses import dataclass, field

from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("mixes/_row_actions.html", takes_context=True)
def row_actions(context, mix, item) -> dict:
    """A track row's controls (`{% row_actions mix item %}`): each a small POST form, with htmx or without."""
    controls = [action.control(mix, item) for action in ROW_ACTIONS]
    return {"controls": controls, "csrf_token": context.get("csrf_token")}


@dataclass(frozen=True)
class RowAction:
    """A button of a track row that posts `fields` to `mixes:track_<verb>` for that row."""

    verb: str
    text: str
    label: str  # what a screen reader says; {title} is the track's title
    tip: str
    fields: dict[str, str] = field(default_factory=dict)
    target: str = ""  # what the answer replaces: the row, unless named
    toggles: str = ""  # the row's flag this button switches; pressed while it is on, then `label_on` and `text_on`
    label_on: str = ""
    text_on: str = ""
    danger: bool = False

    def control(self, mix, item) -> dict:
        on = getattr(item, self.toggles) if self.toggles else None
        return {
            "url": reverse(f"mixes:track_{self.verb}", args=[mix.pk, item.pk]),
            "target": self.target or f"#t{item.pk}",
            "fields": self.fields,
            "pressed": on,
            "label": (self.label_on if on else self.label).format(title=item.track.title),
            "text": (on and self.text_on) or self.text,
            "tip": self.tip,
            "danger": self.danger,
        }


# A move changes two rows and maybe sections: its answer is the whole mix body.
ROW_ACTIONS = (
    RowAction("swap", "⇄", "Swap {title}", "Swap for the next best track"),
    RowAction(
        "lock",
        "Lock",
        "Lock {title}",
        "Lock: keep it when regenerating",
        toggles="locked",
        label_on="Unlock {title}",
        text_on="Locked",
    ),
    RowAction("like", "♥", "Like {title}", "Like", toggles="liked", label_on="Unlike {title}"),
    RowAction("move", "↑", "Move {title} up", "Move up", fields={"direction": "up"}, target="#mix-body"),
    RowAction("move", "↓", "Move {title} down", "Move down", fields={"direction": "down"}, target="#mix-body"),
    RowAction("bpm", "×2", "Tempo of {title} is double", "The real tempo is twice this", fields={"factor": "2"}),
    RowAction("bpm", "÷2", "Tempo of {title} is half", "The real tempo is half this", fields={"factor": "0.5"}),
    RowAction("remove", "✕", "Remove {title}", "Remove", danger=True),
)


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
