"""Screen 1 (generate), Screen 2 (preview and customize) and the mix list; the plan editor is in plan_views.

Every POST redirects a plain request and answers an htmx one with just the fragments that changed.
Every object is looked up through its owner: anyone else's is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from accounts.spotify import is_connected, needs_reconnect
from mixes import services
from mixes.engine.plan import PlanError
from mixes.forms import (
    BpmForm,
    GenerateForm,
    MoveForm,
    PlanChoiceForm,
    RenameMixForm,
    SaveToSpotifyForm,
    SeedsForm,
    UndoForm,
    flash_errors,
    form_errors,
)
from mixes.models import MixTrack, PlaylistExport, SessionMix, WorkoutPlan
from mixes.plan_views import first_visit
from mixes.preview import build_preview
from mixes.tasks import enqueue_save
from mixes.templatetags.mix_tags import focus_key, row_message_tag
from mixes.undo import UNDO_SESSION_KEY, Undo
from music.context import sync_status_context
from music.models import MusicPreferences, TrackAffinity

PREVIEW = "mixes/mix_detail.html"


# Screen 1 ------------------------------------------------------------------------------


@login_required
def generate(request: HttpRequest) -> HttpResponse:
    """Screen 1: the active plan as a timeline, the mix type, seeds; Generate."""
    first_visit(request.user)
    if request.method == "POST":
        form = GenerateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            choices = {
                "seed_artists": data["seed_artists"],
                "seed_genres": data["seed_genres"],
                "familiarity": data["familiarity"] / 100,
                "explicit_allowed": data["explicit_allowed"],
            }
            # Never-play artists are preferences, read by create_mix: remember them first.
            services.remember_choices(request.user, excluded_artists=data["excluded_artists"], **choices)
            try:
                mix = services.create_mix(request.user, data["plan"], mix_type=data["mix_type"], **choices)
            except PlanError as error:
                form.add_error("plan", str(error))
            else:
                return redirect(mix)
        status = 422
    else:
        form = GenerateForm(initial=_screen1_initial(request), user=request.user)
        status = 200
    plan = _chosen_plan(request, form)
    context = {
        "form": form,
        "plan": plan,
        "plan_spec": plan.to_spec() if plan and plan.phases.all() else None,
        **sync_status_context(request.user),
    }
    if request.htmx and request.htmx.target == "plan-timeline":
        return render(request, "mixes/generate.html#plan-timeline", context)
    return render(request, "mixes/generate.html", context, status=status)


def _screen1_initial(request: HttpRequest) -> dict:
    prefs = MusicPreferences.of(request.user)
    plans = WorkoutPlan.objects.for_user(request.user)
    chosen = PlanChoiceForm(request.GET, user=request.user).chosen()
    return {
        "plan": chosen or plans.filter(is_active=True).first() or plans.first(),
        "seed_artists": ", ".join(prefs.seed_artists.values_list("name", flat=True)),
        "seed_genres": prefs.seed_genres,
        "excluded_artists": ", ".join(prefs.excluded_artists.values_list("name", flat=True)),
        "familiarity": round(prefs.familiarity * 100),
        "explicit_allowed": prefs.explicit_allowed,
    }


def _chosen_plan(request: HttpRequest, form: GenerateForm) -> WorkoutPlan | None:
    plans = WorkoutPlan.objects.for_user(request.user).with_phases()
    chosen = PlanChoiceForm({"plan": form["plan"].value()}, user=request.user).chosen()
    return plans.filter(pk=chosen.pk).first() if chosen else plans.filter(is_active=True).first()


# Mixes ---------------------------------------------------------------------------------


@login_required
@require_GET
def mix_list(request: HttpRequest) -> HttpResponse:
    mixes = SessionMix.objects.for_user(request.user)
    return render(request, "mixes/mix_list.html", {"mixes": mixes})


@login_required
@require_GET
def mix_detail(request: HttpRequest, mix_id: int) -> HttpResponse:
    """Screen 2: the mix by section, each row editable in place, the chart, Save to Spotify."""
    mix = get_object_or_404(SessionMix.objects.for_user(request.user).with_tracks(), pk=mix_id)
    return render(request, PREVIEW, {**_preview_context(mix), **_save_context(request, mix)})


@login_required
@require_POST
def mix_delete(request: HttpRequest, mix_id: int) -> HttpResponse:
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    mix.delete()
    if request.htmx:
        return HttpResponse("")  # the row removes itself: a flash now would turn up on some later page
    messages.success(request, f"Deleted “{mix.name}”.")
    return redirect("mixes:mix_list")


@login_required
@require_POST
def mix_rename(request: HttpRequest, mix_id: int) -> HttpResponse:
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    form = RenameMixForm(request.POST, instance=mix)
    if form.is_valid():
        form.save()
    else:
        mix.refresh_from_db()
    return _respond(request, mix, "mix-name", {"mix": mix, "rename_form": form}, ok=form.is_valid(), form=form)


@login_required
@require_POST
def mix_regenerate(request: HttpRequest, mix_id: int) -> HttpResponse:
    """The seed panel: choose every unlocked track again with these seeds."""
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    form = SeedsForm(request.POST)
    if form.is_valid():
        services.regenerate(
            mix, seed_artists=form.cleaned_data["seed_artists"], seed_genres=form.cleaned_data["seed_genres"]
        )
        return _respond_body(request, mix)
    if request.htmx:
        response = render(request, f"{PREVIEW}#seed-panel", {"mix": mix, "seeds_form": form}, status=422)
        return reswap(retarget(response, "#seed-panel"), "outerHTML")
    return _respond(request, mix, "seed-panel", {}, ok=False, form=form)


@login_required
@require_POST
def mix_save(request: HttpRequest, mix_id: int) -> HttpResponse:
    """Save to Spotify: queue the save (once) and answer with the progress panel."""
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    form = SaveToSpotifyForm(request.POST)
    if not is_connected(request.user):
        # 200: the panel itself explains and offers (re)connecting; htmx swaps it in.
        return _respond_save(request, mix, form, not_connected=True)
    if not form.is_valid():
        return _respond_save(request, mix, form, status=422)
    data = form.cleaned_data
    export, queued = enqueue_save(
        mix, name=data["name"], description=data["description"], public=data["visibility"] == "public"
    )
    if not queued and not request.htmx:  # htmx sees the progress bar; a flash would wait for a later page
        messages.info(request, "This mix is already being saved.")
    return _respond_save(request, mix, form)


@login_required
@require_GET
def mix_save_status(request: HttpRequest, mix_id: int) -> HttpResponse:
    """The save panel as it stands, and the action bar's save control out of band; the progress bar polls it."""
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    return render(request, f"{PREVIEW}#save-update", _save_context(request, mix))


def _save_context(request: HttpRequest, mix: SessionMix, form: SaveToSpotifyForm | None = None) -> dict:
    export = PlaylistExport.objects.filter(mix=mix).first()
    if form is None:
        initial = {
            "name": export.name if export else mix.name,
            "visibility": "public" if export and export.public else "private",
        }
        form = SaveToSpotifyForm(initial={**initial, "description": export.description if export else ""})
    return {
        "mix": mix,
        "export": export,
        "save_form": form,
        "spotify_connected": is_connected(request.user),
        "spotify_reconnect": needs_reconnect(request.user),
    }


def _respond_save(
    request: HttpRequest, mix: SessionMix, form: SaveToSpotifyForm, status: int = 200, not_connected: bool = False
) -> HttpResponse:
    if request.htmx:
        context = _save_context(request, mix, form if status == 422 else None)
        response = render(request, f"{PREVIEW}#save-update", context, status=status)
        # Saved from the bar at the bottom of the screen, a refusal scrolls to the panel, where the errors are.
        return reswap(response, "outerHTML show:top") if status == 422 else response
    if not_connected:
        messages.error(request, "Connect Spotify first, then save.")
    flash_errors(request, form)
    return redirect(mix.get_absolute_url() + "#save-panel")


# Track actions on Screen 2 ---------------------------------------------------------------


def track_action(view: Callable) -> Callable:
    """Find the mix through its owner and the row through the mix; POST only."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, mix_id: int, item_id: int) -> HttpResponse:
        mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
        item = get_object_or_404(mix.tracks.select_related("track__features"), pk=item_id)
        return view(request, mix, item)

    return wrapper


@track_action
def track_swap(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    """Swap for the next best track; the toast offers to undo it. A locked track is refused."""
    try:
        change = services.swap_track(mix, item)
    except services.Refused as refusal:
        return _respond_row(request, mix, item, error=str(refusal), status=422, focus="swap")
    if change is None:
        return _respond_row(request, mix, item, notice="No other track fits this slot; this one stays.", focus="swap")
    return _respond_row(request, mix, item, undo=change, focus="swap")


@track_action
def track_remove(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    """Take the track out; the toast offers to undo it, so no confirm is asked. A locked track is refused."""
    try:
        change = services.remove_track(mix, item)
    except services.Refused as refusal:
        return _respond_row(request, mix, item, error=str(refusal), status=422, focus="remove")
    return _respond_row(request, mix, None, section=item.section, undo=change, position=item.position)


@track_action
def track_lock(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    return _respond_row(request, mix, services.toggle_lock(mix, item), focus="lock")


@track_action
def track_like(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    return _respond_row(request, mix, services.toggle_like(mix, item), focus="like")


@track_action
def track_bpm(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    form = BpmForm(request.POST)
    focus = focus_key("bpm", {"factor": form["factor"].value() or ""})
    if not form.is_valid():
        return _respond_row(request, mix, item, error=" ".join(form_errors(form)), status=422, focus=focus)
    try:
        item = services.fix_bpm(mix, item, form.cleaned_data["factor"])
    except ValueError as error:
        return _respond_row(request, mix, item, error=str(error), status=422, focus=focus)
    return _respond_row(request, mix, item, focus=focus)


@track_action
def track_move(request: HttpRequest, mix: SessionMix, item: MixTrack) -> HttpResponse:
    """Move one step or straight to a position (1…N), in one POST."""
    items = list(mix.tracks.all())
    form = MoveForm(request.POST, track_count=len(items))
    direction = form["direction"].value() if not form["position"].value() else None
    focus = focus_key("move", {"direction": direction} if direction else None)
    if not form.is_valid():
        return _respond_row(request, mix, item, error=" ".join(form_errors(form)), status=422, focus=focus)
    current = next(i for i, other in enumerate(items) if other.pk == item.pk)
    services.move_track(mix, item, form.target_index(current))
    return _respond_body(request, mix, anchor=f"t{item.pk}", focus={"item": item.pk, "key": focus})


@login_required
@require_POST
def mix_undo(request: HttpRequest, mix_id: int) -> HttpResponse:
    """The toast's Undo: put back the removed or swapped-out track where it was, and forget the feedback."""
    mix = get_object_or_404(SessionMix.objects.for_user(request.user), pk=mix_id)
    request.session.pop(UNDO_SESSION_KEY, None)
    form = UndoForm(request.POST, mix=mix)
    row = services.undo(mix, form.cleaned_data["change"]) if form.is_valid() else None
    if row is None:
        notice = "Nothing to undo: it was undone already, or the mix has changed since."
        if request.htmx:
            return _respond_body(request, mix, undo_notice=notice)
        messages.info(request, notice)
        return redirect(mix)
    return _respond_body(request, mix, anchor=f"t{row.pk}", focus={"item": row.pk, "key": "row"})


# Responses -------------------------------------------------------------------------------


def _preview_context(mix: SessionMix, **extra) -> dict:
    items = list(mix.tracks.all())
    known = TrackAffinity.objects.for_user(mix.owner).known().filter(track_id__in=[item.track_id for item in items])
    preview = build_preview(mix, items, frozenset(known.values_list("track_id", flat=True)))
    seeds_initial = {"seed_artists": ", ".join(mix.seed_artists), "seed_genres": mix.seed_genres}
    return {
        "mix": mix,
        "preview": preview,
        "rename_form": RenameMixForm(instance=mix),
        "seeds_form": SeedsForm(initial=seeds_initial),
        **extra,
    }


def _reload(mix: SessionMix) -> SessionMix:
    return SessionMix.objects.with_tracks().get(pk=mix.pk)


def _respond(
    request, mix, partial: str, context: dict, *, ok: bool = True, form=None, anchor: str = ""
) -> HttpResponse:
    if request.htmx:
        return render(request, f"{PREVIEW}#{partial}", context, status=200 if ok else 422)
    if not ok and form is not None:
        flash_errors(request, form)
    return redirect(mix.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _respond_body(request, mix: SessionMix, *, ok: bool = True, anchor: str = "", **extra) -> HttpResponse:
    """The whole mix body (sections, totals, chart): after a move or a regeneration."""
    context = _preview_context(_reload(mix), **extra)
    return _respond(request, mix, "mix-body", context, ok=ok, form=extra.get("seeds_form"), anchor=anchor)


def _respond_row(
    request,
    mix: SessionMix,
    item: MixTrack | None,
    *,
    section: int | None = None,
    position: int | None = None,
    notice: str = "",
    error: str = "",
    status: int = 200,
    focus: str = "",
    undo: Undo | None = None,
) -> HttpResponse:
    """One row (or none, after a remove) plus its section's totals, the mix totals, the chart and the undo toast,
    out of band. Without htmx: back to the row, its notice or error shown in it, the toast's Undo in the session."""
    if not request.htmx:
        if error or notice:
            level = messages.ERROR if error else messages.INFO
            messages.add_message(request, level, error or notice, extra_tags=row_message_tag(item.pk))
        request.session.pop(UNDO_SESSION_KEY, None)  # the toast lasts until the next action
        if undo:
            request.session[UNDO_SESSION_KEY] = undo.token
        return redirect(mix.get_absolute_url() + "#" + _anchor(mix, item, section, position))
    mix = _reload(mix)
    context = _preview_context(mix, notice=notice, error=error, undo=undo)
    if item is not None:
        item = next((other for other in mix.tracks.all() if other.pk == item.pk), item)
        section = item.section
        context["focus"] = {"item": item.pk, "key": focus}
    context.update(item=item, section_view=context["preview"].section(section))
    return render(request, f"{PREVIEW}#row-update", context, status=status)


def _anchor(mix: SessionMix, item: MixTrack | None, section: int | None, position: int | None) -> str:
    """Where a plain request lands: the row; after a remove, the row now in its place, or its section."""
    if item is not None:
        return f"t{item.pk}"
    after = mix.tracks.filter(section=section, position__gte=position or 0).first()
    before = mix.tracks.filter(section=section, position__lt=position or 0).last()
    row = after or before
    return f"t{row.pk}" if row else f"section-{section}-head"
