from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet

from music.models import (
    Artist,
    AudioFeatures,
    MasterList,
    MasterListEntry,
    MusicPreferences,
    Play,
    ProviderState,
    Source,
    SpotifySync,
    Track,
    TrackAffinity,
    TrackArtist,
)
from music.normalize import song_key

# Names the select2 box of Django's autocomplete widget by its field's label (select2 names it only by the value).
AUTOCOMPLETE_LABELS = "js/admin-autocomplete-labels.js"


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's inputs sit under a column header, not beside a <label>: each gets an aria-label
    naming its column and row ("Score, master list entry 2"; "Delete, master list entry 2")."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        noun = self.model._meta.verbose_name
        row = f"{noun} {index + 1}" if index is not None else f"new {noun}"
        for name, field in form.fields.items():
            # The admin wraps a related field's widget; the <select> is the wrapped one, whose attrs the copy owns.
            widget = field.widget.widget if isinstance(field.widget, RelatedFieldWidgetWrapper) else field.widget
            if not widget.is_hidden and "aria-label" not in widget.attrs:
                widget.attrs = {**widget.attrs, "aria-label": f"{field.label or name}, {row}"}


class LabelledTabularInline(admin.TabularInline):
    """A TabularInline whose inputs have accessible names (Django's tabular template gives them no <label>)."""

    formset = LabelledInlineFormSet


class StaffAdmin(admin.ModelAdmin):
    """A ModelAdmin whose autocomplete boxes are named by their labels."""

    class Media:
        js = [AUTOCOMPLETE_LABELS]


# (parameter value, label, lowest BPM included, highest BPM excluded)
TEMPO_BANDS = (
    ("lt90", "under 90", None, 90),
    ("90-120", "90–120", 90, 120),
    ("120-140", "120–140", 120, 140),
    ("140-160", "140–160", 140, 160),
    ("160-180", "160–180", 160, 180),
    ("gte180", "180 and over", 180, None),
)


def tempo_band(value: str, path: str) -> Q | None:
    """The condition for a tempo band on the tempo at `path`, or None for an unknown band."""
    if value == "unknown":
        return Q(**{f"{path}__isnull": True})
    for key, _, low, high in TEMPO_BANDS:
        if key == value:
            condition = Q()
            if low is not None:
                condition &= Q(**{f"{path}__gte": low})
            if high is not None:
                condition &= Q(**{f"{path}__lt": high})
            return condition
    return None


class TempoBandFilter(admin.SimpleListFilter):
    title = "tempo (BPM)"
    parameter_name = "tempo_band"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _, _ in TEMPO_BANDS] + [("unknown", "unknown")]

    def queryset(self, request, queryset):
        condition = tempo_band(self.value(), "features__tempo") if self.value() else None
        return queryset if condition is None else queryset.filter(condition)


class MasterListTempoBandFilter(TempoBandFilter):
    title = "tempo of its tracks"

    def queryset(self, request, queryset):
        condition = tempo_band(self.value(), "track__features__tempo") if self.value() else None
        if condition is None:
            return queryset
        return queryset.filter(pk__in=MasterListEntry.objects.filter(condition).values("master_list"))


class MasterListGenreFilter(admin.SimpleListFilter):
    title = "genre of its tracks"
    parameter_name = "genre"

    def lookups(self, request, model_admin):
        genres = Track.objects.exclude(genre="").order_by("genre").values_list("genre", flat=True).distinct()
        return [(genre, genre) for genre in genres]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(pk__in=MasterListEntry.objects.filter(track__genre=self.value()).values("master_list"))


class ScopeFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("global", "global (staff)"), ("user", "a user's own")]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(owner__isnull=True)
        if self.value() == "user":
            return queryset.filter(owner__isnull=False)
        return queryset


class AudioFeaturesForm(forms.ModelForm):
    class Meta:
        model = AudioFeatures
        fields = [*AudioFeatures.ALL_FIELDS]

    def save(self, commit=True):
        # A value staff type in is a person's correction: no re-import may overwrite it.
        features = super().save(commit=False)
        sources = dict(features.sources)
        for name in set(self.changed_data) & set(AudioFeatures.ALL_FIELDS):
            if getattr(features, name) is None:
                sources.pop(name, None)
            else:
                sources[name] = Source.USER
        features.sources = sources
        if commit:
            features.save()
        return features


class AudioFeaturesInline(admin.StackedInline):
    model = AudioFeatures
    form = AudioFeaturesForm
    readonly_fields = ["sources"]
    can_delete = False
    max_num = 1


class TrackArtistInline(LabelledTabularInline):
    model = TrackArtist
    autocomplete_fields = ["artist"]
    extra = 0


@admin.register(Track)
class TrackAdmin(StaffAdmin):
    list_display = ["title", "artist_names", "duration", "tempo", "energy", "genre", "explicit"]
    list_select_related = ["features"]
    list_filter = ["genre", "explicit", TempoBandFilter, ("added_by", admin.EmptyFieldListFilter)]
    search_fields = ["title", "artist_names", "=spotify_id"]
    readonly_fields = ["song_key", "created_at"]
    raw_id_fields = ["added_by"]
    inlines = [AudioFeaturesInline, TrackArtistInline]
    actions = ["vouch"]

    @admin.action(description="Vouch for the selected tracks: add them to the catalog, for everyone")
    def vouch(self, request, queryset):
        count = queryset.vouch()
        self.message_user(request, f"{count} track{'s' if count != 1 else ''} added to the catalog.")

    def save_model(self, request, obj, form, change):
        credit = TrackArtist.objects.filter(track_id=obj.pk).select_related("artist").first() if obj.pk else None
        obj.song_key = song_key(obj.title, credit.artist.name if credit else obj.artist_names)
        super().save_model(request, obj, form, change)

    @admin.display(ordering="duration_ms")
    def duration(self, track: Track) -> str:
        minutes, seconds = divmod(round(track.duration_ms / 1000), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(ordering="features__tempo", description="BPM")
    def tempo(self, track: Track):
        features = getattr(track, "features", None)
        return None if features is None or features.tempo is None else round(features.tempo)

    @admin.display(ordering="features__energy")
    def energy(self, track: Track):
        features = getattr(track, "features", None)
        return None if features is None else features.energy


@admin.register(Artist)
class ArtistAdmin(StaffAdmin):
    list_display = ["name", "spotify_id"]
    search_fields = ["name", "=spotify_id"]


class MasterListEntryInline(LabelledTabularInline):
    model = MasterListEntry
    autocomplete_fields = ["track"]
    extra = 0


@admin.register(MasterList)
class MasterListAdmin(StaffAdmin):
    list_display = ["name", "phase_kind", "owner", "track_count", "updated_at"]
    list_select_related = ["owner"]
    list_filter = ["phase_kind", ScopeFilter, MasterListTempoBandFilter, MasterListGenreFilter]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    inlines = [MasterListEntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(track_count=Count("entries"))

    @admin.display(ordering="track_count", description="tracks")
    def track_count(self, master_list: MasterList) -> int:
        return master_list.track_count


@admin.register(MusicPreferences)
class MusicPreferencesAdmin(StaffAdmin):
    list_display = ["user", "seed_genres", "familiarity", "explicit_allowed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "seed_artists", "excluded_artists"]


@admin.register(Play)
class PlayAdmin(StaffAdmin):
    list_display = ["played_at", "user", "track", "ms_played", "skipped", "source"]
    list_select_related = ["user", "track"]
    list_filter = ["skipped", "source"]
    search_fields = ["user__username", "track__title", "track__artist_names"]
    autocomplete_fields = ["user", "track"]
    date_hierarchy = "played_at"


@admin.register(TrackAffinity)
class TrackAffinityAdmin(StaffAdmin):
    list_display = ["user", "track", "play_count", "skip_count", "liked", "last_played_at"]
    list_select_related = ["user", "track"]
    list_filter = ["liked"]
    search_fields = ["user__username", "track__title", "track__artist_names"]
    autocomplete_fields = ["user", "track"]


@admin.register(SpotifySync)
class SpotifySyncAdmin(StaffAdmin):
    list_display = ["user", "status", "progress", "plays_added", "saved_tracks", "finished_at"]
    list_select_related = ["user"]
    list_filter = ["status"]
    readonly_fields = ["recent_cursor", "steps_done", "started_at", "finished_at"]


@admin.register(ProviderState)
class ProviderStateAdmin(StaffAdmin):
    """Deleting a row reopens that provider: it will be asked again."""

    list_display = ["name", "closed_at", "reason"]
