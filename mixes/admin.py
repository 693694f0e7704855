from django.contrib import admin, messages
from django.db.models import Count, Sum

from mixes.models import Feedback, MixTrack, Phase, ScorerConfig, SessionMix, TasteProfile, WorkoutPlan
from music.admin import LabelledTabularInline, StaffAdmin


class PhaseInline(LabelledTabularInline):
    model = Phase
    fields = ["position", "name", "kind", "duration_s", "tempo_start", "tempo_end", "energy_start", "energy_end"]
    extra = 0


@admin.register(WorkoutPlan)
class WorkoutPlanAdmin(StaffAdmin):
    list_display = ["name", "owner", "template_key", "is_active", "phase_count", "minutes"]
    list_select_related = ["owner"]
    list_filter = ["is_active", "template_key"]
    search_fields = ["name", "owner__username"]
    autocomplete_fields = ["owner"]
    inlines = [PhaseInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(phase_count=Count("phases"), total_s=Sum("phases__duration_s", default=0))
        )

    @admin.display(ordering="phase_count", description="phases")
    def phase_count(self, plan: WorkoutPlan) -> int:
        return plan.phase_count

    @admin.display(ordering="total_s")
    def minutes(self, plan: WorkoutPlan) -> int:
        return round(plan.total_s / 60)


class MixTrackInline(LabelledTabularInline):
    """What the generator chose; staff look, and at most lock or like."""

    model = MixTrack
    fields = ["position", "section", "track", "effective_bpm", "score", "why", "locked", "liked", "explore"]
    readonly_fields = ["position", "section", "track", "effective_bpm", "score", "why", "explore"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("track__features")


@admin.register(SessionMix)
class SessionMixAdmin(StaffAdmin):
    list_display = ["name", "owner", "mix_type", "status", "track_count", "created_at"]
    list_select_related = ["owner"]
    list_filter = ["status", "mix_type"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["owner", "plan", "plan_snapshot", "seed", "scorer_settings", "notes", "created_at", "updated_at"]
    inlines = [MixTrackInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(track_count=Count("tracks"))

    @admin.display(ordering="track_count", description="tracks")
    def track_count(self, mix: SessionMix) -> int:
        return mix.track_count


@admin.register(ScorerConfig)
class ScorerConfigAdmin(StaffAdmin):
    list_display = ["name", "is_active", *ScorerConfig.WEIGHT_FIELDS]
    # Only one config can be active; the action switches it, so the flag itself is read-only here.
    readonly_fields = ["is_active"]
    actions = ["make_active"]

    @admin.action(description="Make the selected config the active one")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one config to make active.", messages.ERROR)
            return
        config = queryset.get()
        config.activate()
        self.message_user(request, f"“{config}” is now the active scorer config.", messages.SUCCESS)


@admin.register(Feedback)
class FeedbackAdmin(StaffAdmin):
    list_display = ["created_at", "user", "kind", "track", "mix", "value"]
    list_select_related = ["user", "track", "mix"]
    list_filter = ["kind"]
    search_fields = ["user__username", "track__title", "track__artist_names"]
    autocomplete_fields = ["user", "track", "mix"]


@admin.register(TasteProfile)
class TasteProfileAdmin(StaffAdmin):
    """Staff can look at what the model learned; it is rebuilt from evidence, so nothing here is edited by hand."""

    list_display = ["user", "built_at", "reset_at"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "model", "built_at", "requested_at", "reset_at", "forgotten"]

    def has_add_permission(self, request) -> bool:
        return False
