from django import template

register = template.Library()


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
