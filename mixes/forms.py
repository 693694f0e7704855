"""Forms for Screen 1, Screen 2's controls and the plan editor. Each error lands next to its field."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from mixes.engine.plan import (
    DEFAULT_INTERVAL_MUSIC,
    INTERVAL_MUSIC,
    MAX_PHASE_S,
    MAX_PLAN_S,
    TEMPLATES,
    PlanError,
    PlanSpec,
)
from mixes.models import MixType, Phase, SessionMix, WorkoutPlan
from mixes.profile import FEATURE_MAX_LENGTH
from mixes.undo import Undo
from music.models import Artist, Track

# A move of one step, for a track or a phase: which way, and how its index changes.
STEPS = {"up": -1, "down": 1}
DIRECTIONS = [(direction, direction) for direction in STEPS]


def catalog_genres() -> list[tuple[str, str]]:
    return [(genre, genre) for genre in Track.objects.genres()]


class SeedsForm(forms.Form):
    """Seed artists (comma-separated names from the catalog) and genres."""

    seed_artists = forms.CharField(
        required=False,
        max_length=1000,
        label="Seed artists",
        help_text="Comma-separated; start typing for suggestions.",
        widget=forms.TextInput(
            attrs={"list": "artist-options", "autocomplete": "off", "placeholder": "e.g. Daft Punk, Dua Lipa"}
        ),
    )
    seed_genres = forms.MultipleChoiceField(required=False, label="Seed genres", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seed_genres"].choices = catalog_genres()

    def clean_seed_artists(self) -> list[str]:
        return catalog_artists(self.cleaned_data["seed_artists"])


def catalog_artists(text: str, most: int = 10) -> list[str]:
    """Comma-separated artist names, each found in the catalog (any case), as the catalog spells them."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if len(names) > most:
        raise forms.ValidationError(f"Pick at most {most} artists.")
    found, missing = [], []
    for name in names:
        artist = Artist.objects.filter(name__iexact=name).first()
        if artist:
            found.append(artist.name)
        else:
            missing.append(name)
    if missing:
        raise forms.ValidationError(f"Not in the catalog: {', '.join(missing)}.")
    return found


class GenerateForm(SeedsForm):
    """Screen 1: which plan, which part of it, and how the music should be chosen."""

    plan = forms.ModelChoiceField(queryset=WorkoutPlan.objects.none(), empty_label=None, label="Workout plan")
    mix_type = forms.ChoiceField(choices=MixType.choices, initial=MixType.FULL, widget=forms.RadioSelect, label="Mix")
    familiarity = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=50,
        label="Familiar or new",
        help_text="0 = discover new music, 100 = songs I know.",
        widget=forms.NumberInput(attrs={"type": "range", "step": 10}),
    )
    explicit_allowed = forms.BooleanField(required=False, initial=True, label="Allow explicit lyrics")
    excluded_artists = forms.CharField(
        required=False, max_length=2000, label="Never play", help_text="Artists to leave out of every mix."
    )

    field_order = [
        "plan",
        "mix_type",
        "seed_artists",
        "seed_genres",
        "excluded_artists",
        "familiarity",
        "explicit_allowed",
    ]

    def clean_excluded_artists(self) -> list[str]:
        return catalog_artists(self.cleaned_data["excluded_artists"], most=50)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = WorkoutPlan.objects.for_user(user)

    def clean(self):
        cleaned = super().clean()
        plan, mix_type = cleaned.get("plan"), cleaned.get("mix_type")
        if plan and mix_type:
            if not plan.phases.exists():
                self.add_error("plan", "This plan has no phases yet; add one in the plan editor.")
            else:
                try:
                    spec = PlanSpec.from_dict(plan.to_spec().to_dict())  # the whole plan, checked as the engine will
                except PlanError as error:
                    self.add_error("plan", str(error))
                    return cleaned
                try:
                    spec.select(mix_type)
                except PlanError as error:
                    self.add_error("mix_type", str(error))
        return cleaned


class PlanChoiceForm(forms.Form):
    """Screen 1's `?plan=`: one of the user's plans; anything else (another's, "²", 5,000 digits) is no choice."""

    plan = forms.ModelChoiceField(queryset=WorkoutPlan.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = WorkoutPlan.objects.for_user(user)

    def chosen(self) -> WorkoutPlan | None:
        return self.cleaned_data["plan"] if self.is_valid() else None


class RenameMixForm(forms.ModelForm):
    class Meta:
        model = SessionMix
        fields = ["name"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the mix a name.")
        return name


class MoveForm(forms.Form):
    """Move a track one step (`direction`) or to a 1-based `position` in the mix."""

    direction = forms.ChoiceField(choices=DIRECTIONS, required=False)
    position = forms.IntegerField(required=False)

    def __init__(self, *args, track_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.track_count = track_count

    def clean(self):
        cleaned = super().clean()
        direction, position = cleaned.get("direction"), cleaned.get("position")
        if not direction and position is None and not self.errors:
            raise forms.ValidationError("Say where to move the track: up, down or a position.")
        if position is not None and not 1 <= position <= self.track_count:
            self.add_error("position", f"Position must be between 1 and {self.track_count}.")
        return cleaned

    def target_index(self, current: int) -> int:
        """The 0-based index the track should end at."""
        if self.cleaned_data.get("position") is not None:
            return self.cleaned_data["position"] - 1
        step = STEPS[self.cleaned_data["direction"]]
        return min(max(current + step, 0), self.track_count - 1)


class BpmForm(forms.Form):
    factor = forms.TypedChoiceField(
        choices=[("2", "×2"), ("0.5", "÷2")], coerce=float, error_messages={"invalid_choice": "Use ×2 or ÷2."}
    )


class UndoForm(forms.Form):
    """The toast's Undo: the signed token its button carries (mixes.undo), good only for this mix."""

    token = forms.CharField(max_length=4000)

    def __init__(self, *args, mix, **kwargs):
        super().__init__(*args, **kwargs)
        self.mix = mix

    def clean(self):
        cleaned = super().clean()
        change = Undo.from_token(cleaned.get("token", ""), self.mix)
        if change is None:
            raise forms.ValidationError("Nothing to undo.")
        cleaned["change"] = change
        return cleaned


class PlanForm(forms.ModelForm):
    class Meta:
        model = WorkoutPlan
        fields = ["name"]


class NewPlanForm(forms.Form):
    template = forms.ChoiceField(
        choices=[("", "Blank plan")] + [(key, spec["name"]) for key, spec in TEMPLATES.items()],
        required=False,
        label="Start from",
    )
    name = forms.CharField(max_length=120, required=False, label="Name")


# How a block of short intervals picks its music; the values are WorkoutPlan.interval_music's.
class PlanSettingsForm(forms.Form):
    """The plan's settings: what music a block of intervals too short for a song of their own follows."""

    interval_music = forms.ChoiceField(
        choices=list(INTERVAL_MUSIC.items()),
        initial=DEFAULT_INTERVAL_MUSIC,
        widget=forms.RadioSelect,
        label="Music in short intervals",
        error_messages={
            "required": "Pick what the intervals' music follows.",
            "invalid_choice": "Pick one of the two: the work intervals or the average.",
        },
    )

    def __init__(self, *args, plan: WorkoutPlan, **kwargs):
        kwargs.setdefault("initial", {"interval_music": plan.interval_music})
        kwargs.setdefault("auto_id", "plan-%s")
        super().__init__(*args, **kwargs)
        self.plan = plan

    def save(self) -> WorkoutPlan:
        self.plan.interval_music = self.cleaned_data["interval_music"]
        self.plan.save(update_fields=["interval_music"])
        return self.plan


class PhaseMoveForm(forms.Form):
    """Move a phase one step up or down its plan."""

    direction = forms.ChoiceField(
        choices=DIRECTIONS,
        error_messages={
            "required": "Say which way to move the phase: up or down.",
            "invalid_choice": "A phase moves up or down, nothing else.",
        },
    )

    def step(self) -> int:
        return STEPS[self.cleaned_data["direction"]]


MIN_PHASE_MIN = 0.25  # a phase the editor makes lasts 15 s at least (the engine reads plan files down to 10 s)


class PhaseForm(forms.ModelForm):
    """One phase; duration in minutes (fractions allowed: 0.5 = 30 s)."""

    duration_min = forms.DecimalField(
        label="Minutes",
        min_value=MIN_PHASE_MIN,
        max_value=MAX_PHASE_S // 60,
        decimal_places=2,
        error_messages={"max_value": f"A phase can last at most 6 hours ({MAX_PHASE_S // 60} minutes)."},
    )

    class Meta:
        model = Phase
        fields = ["name", "kind", "tempo_start", "tempo_end", "energy_start", "energy_end"]
        labels = {
            "tempo_start": "BPM from",
            "tempo_end": "BPM to",
            "energy_start": "Energy from",
            "energy_end": "Energy to",
        }
        widgets = {
            "tempo_start": forms.NumberInput(attrs={"step": 1}),
            "tempo_end": forms.NumberInput(attrs={"step": 1}),
            "energy_start": forms.NumberInput(attrs={"step": 0.05}),
            "energy_end": forms.NumberInput(attrs={"step": 0.05}),
        }
        error_messages = {
            field: {
                "min_value": "Must be at least %(limit_value)s.",
                "max_value": "Must be at most %(limit_value)s.",
            }
            for field in ["tempo_start", "tempo_end", "energy_start", "energy_end"]
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["duration_min"].initial = round(self.instance.duration_s / 60, 2)
        self.prefix = f"phase-{self.instance.pk}" if self.instance.pk else "phase-new"

    def clean(self):
        cleaned = super().clean()
        minutes = cleaned.get("duration_min")
        if minutes is not None and self.instance.plan_id:
            others = sum(p.duration_s for p in self.instance.plan.phases.exclude(pk=self.instance.pk))
            if others + float(minutes) * 60 > MAX_PLAN_S:
                self.add_error("duration_min", "The whole plan can last at most 6 hours.")
        return cleaned

    def save(self, commit: bool = True) -> Phase:
        self.instance.duration_s = int(round(float(self.cleaned_data["duration_min"]) * 60))
        return super().save(commit)


class SaveToSpotifyForm(forms.Form):
    """Screen 2's save panel; its ids are prefixed because the rename form on the same page has `name` too."""

    name = forms.CharField(
        max_length=100, label="Playlist name", error_messages={"required": "Give the playlist a name."}
    )
    description = forms.CharField(max_length=250, required=False, label="Description")
    visibility = forms.ChoiceField(
        choices=[("private", "Private"), ("public", "Public")], initial="private", widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "save-%s")
        super().__init__(*args, **kwargs)


# Errors ----------------------------------------------------------------------------------


def form_errors(form: forms.BaseForm) -> list[str]:
    """A failed form's messages, field by field, in the words the person reads."""
    return [error for errors in form.errors.values() for error in errors]


def flash_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """A plain POST that failed says why on the page it goes back to: each of the form's errors as a message."""
    for error in form_errors(form):
        messages.error(request, error)


class ForgetForm(forms.Form):
    """Forget a dislike: the feature (an artist or a genre) the taste profile named."""

    feature = forms.CharField(
        max_length=FEATURE_MAX_LENGTH,
        error_messages={
            "required": "Say which artist or genre to forget.",
            "max_length": "That is longer than any artist or genre Session Mix knows.",
        },
    )
