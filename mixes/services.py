"""The verbs that build and edit a mix: generate, regenerate, swap, remove, move, lock, like, fix a BPM, undo.

Each reads its candidates through mixes.pools, asks the engine (mixes/engine, plain Python), and writes
the rows; what the person does is recorded as Feedback, which teaches the taste model. A remove or a swap
answers with an Undo (mixes.undo) that puts the row back and withdraws that Feedback.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mixes.engine.generator import Locked, Pick, generate, replacement, rescore
from mixes.engine.plan import TEMPO_RANGE, PlanSpec
from mixes.engine.scorer import Weights
from mixes.engine.seeds import closest_slot
from mixes.models import Feedback, MixTrack, MixType, ScorerConfig, SessionMix, WorkoutPlan
from mixes.pools import load_pool, plan_pool, preferences_for, rejected_keys, slot_pool
from mixes.tasks import enqueue_taste_rebuild
from mixes.undo import Undo
from music.models import MusicPreferences, TrackAffinity


class Refused(ValueError):
    """An edit the row's state does not allow (a locked track swapped or removed); the message is fit to show."""


def remember_choices(
    user,
    *,
    seed_artists: list[str],
    seed_genres: list[str],
    familiarity: float,
    explicit_allowed: bool,
    excluded_artists: list[str] = (),
):
    """Screen 1's choices become the defaults next time."""
    prefs = MusicPreferences.of(user)
    prefs.seed_genres = list(seed_genres)
    prefs.familiarity = familiarity
    prefs.explicit_allowed = explicit_allowed
    prefs.save(update_fields=["seed_genres", "familiarity", "explicit_allowed"])
    artists = prefs.seed_artists.model.objects
    prefs.seed_artists.set(artists.filter(name__in=seed_artists))
    prefs.excluded_artists.set(artists.filter(name__in=excluded_artists))


def create_mix(
    user,
    plan: WorkoutPlan,
    *,
    mix_type: str = MixType.FULL,
    seed_artists: Iterable[str] = (),
    seed_genres: Iterable[str] = (),
    familiarity: float = 0.5,
    explicit_allowed: bool = True,
    seed: int | None = None,
) -> SessionMix:
    """Generate a mix for the chosen part of a plan and store it. Raises PlanError for an unusable plan."""
    spec = plan.to_spec().select(mix_type)
    mix = SessionMix(
        owner=user,
        name=f"{plan.name} · {MixType(mix_type).label} · {timezone.localdate():%d %b}",
        plan=plan,
        plan_snapshot=spec.to_dict(),
        mix_type=mix_type,
        seed=random.randrange(1, 1_000_000) if seed is None else seed,
        seed_artists=list(seed_artists),
        seed_genres=list(seed_genres),
        familiarity=familiarity,
        explicit_allowed=explicit_allowed,
        scorer_settings=ScorerConfig.active().as_dict(),
    )
    prefs, weights = preferences_for(user, mix), Weights.from_dict(mix.scorer_settings)
    result = generate(plan_pool(user, spec, prefs, weights), spec, prefs, weights, seed=mix.seed)
    with transaction.atomic():
        mix.notes = result.notes
        mix.save()
        _write_picks(mix, result.picks)
    return mix


def regenerate(mix: SessionMix, *, seed_artists: Iterable[str], seed_genres: Iterable[str]) -> SessionMix:
    """New seeds, a new take: every unlocked track is chosen again, locked ones stay where they are."""
    items = list(mix.tracks.select_related("track"))
    slots = _slots(items)
    locked = [Locked(section=s, slot=i, key=str(item.track_id)) for s, i, item in slots if item.locked]
    mix.seed_artists = list(seed_artists)
    mix.seed_genres = list(seed_genres)
    mix.seed += 1
    spec, prefs, weights = mix.plan_spec(), preferences_for(mix.owner, mix), Weights.from_dict(mix.scorer_settings)
    result = generate(
        plan_pool(mix.owner, spec, prefs, weights, keep=[item.track_id for item in items if item.locked]),
        spec,
        prefs,
        weights,
        seed=mix.seed,
        locked=locked,
        exclude_keys=rejected_keys(mix),
    )
    kept = {str(item.track_id): item for item in items if item.locked}
    with transaction.atomic():
        mix.notes = result.notes
        mix.save()
        mix.tracks.filter(locked=False).delete()
        _write_picks(mix, result.picks, locked_rows=kept)
    return mix


def swap_track(mix: SessionMix, item: MixTrack) -> Undo | None:
    """Replace a track with the next best candidate for its slot; None when nothing else fits.

    Raises Refused for a locked track. The Undo puts the swapped-out track back in the row.
    """
    _refuse_locked(item, "swap")
    items = list(mix.tracks.select_related("track"))
    section, slot = next((s, i) for s, i, other in _slots(items) if other.pk == item.pk)
    spec, prefs, weights = mix.plan_spec(), preferences_for(mix.owner, mix), Weights.from_dict(mix.scorer_settings)
    start_s = sum(other.track.duration_ms for other in items[: items.index(item)]) / 1000
    pool = slot_pool(
        mix.owner, spec, section, start_s, item.track.duration_ms / 1000, prefs, weights, [i.track_id for i in items]
    )
    pick = replacement(
        pool,
        spec,
        _section_keys(mix, items),
        section,
        slot,
        prefs,
        weights,
        exclude_keys=rejected_keys(mix) | {str(item.track_id)},
        seed=mix.seed,
    )
    if pick is None:
        return None
    before, old_title = Undo.row_state(item), item.track.title
    with transaction.atomic():
        feedback = _record_feedback(mix, item.track_id, Feedback.Kind.SWAPPED)
        item.track_id = int(pick.key)
        item.tempo, item.score, item.tempo_factor, item.why = pick.tempo, pick.score, pick.tempo_factor, pick.why
        item.locked = item.liked = item.explore = False
        item.save()
    new = MixTrack.objects.select_related("track__features").get(pk=item.pk)
    return Undo.of_swap(mix, feedback, before, old_title=old_title, new=new)


def remove_track(mix: SessionMix, item: MixTrack) -> Undo:
    """Take a track out of the mix. Raises Refused for a locked track; the Undo puts it back where it was."""
    _refuse_locked(item, "remove")
    before = Undo.row_state(item)
    with transaction.atomic():
        feedback = _record_feedback(mix, item.track_id, Feedback.Kind.REMOVED)
        item.delete()
        _renumber(list(mix.tracks.all()))
    return Undo.of_remove(mix, feedback, before, title=item.track.title)


def undo(mix: SessionMix, change: Undo) -> MixTrack | None:
    """Put back the row a remove or a swap changed, and withdraw the Feedback it recorded.

    None when there is nothing to undo: done already, or the swapped row has changed since. A removed track
    goes back at its position, moved into its own section if the mix has changed around it.
    """
    feedback = Feedback.objects.filter(pk=change.feedback_id, mix=mix, kind=change.kind).first()
    if feedback is None:
        return None
    state = change.row
    with transaction.atomic():
        if change.kind == Feedback.Kind.SWAPPED:
            row = mix.tracks.filter(pk=state["id"], track_id=change.replaced_by).first()
            if row is None:
                return None
            for name in Undo.ROW_FIELDS:
                setattr(row, name, state[name])
            row.save(update_fields=list(Undo.ROW_FIELDS))
        else:
            row = _reinsert(mix, state)
        feedback.delete()
    enqueue_taste_rebuild(mix.owner, batch=True)
    return MixTrack.objects.select_related("track__features").get(pk=row.pk)


def move_track(mix: SessionMix, item: MixTrack, target: int) -> None:
    """Move a track to index `target` of the mix; it joins the section of the track it lands next to."""
    items = list(mix.tracks.all())
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    if target == index:
        return
    moved = items.pop(index)
    items.insert(target, moved)
    # Moving down it follows the track it passed; moving up it precedes it.
    moved.section = items[target - 1].section if target > index else items[target + 1].section
    _renumber(items)


def toggle_lock(mix: SessionMix, item: MixTrack) -> MixTrack:
    item.locked = not item.locked
    item.save(update_fields=["locked"])
    if item.locked:
        _record_feedback(mix, item.track_id, Feedback.Kind.LOCKED)
    return item


def toggle_like(mix: SessionMix, item: MixTrack) -> MixTrack:
    item.liked = not item.liked
    with transaction.atomic():
        item.save(update_fields=["liked"])
        TrackAffinity.objects.update_or_create(user=mix.owner, track_id=item.track_id, defaults={"liked": item.liked})
        _record_feedback(mix, item.track_id, Feedback.Kind.LIKED if item.liked else Feedback.Kind.UNLIKED)
    return item


def fix_bpm(mix: SessionMix, item: MixTrack, factor: float) -> MixTrack:
    """The person knows better: for them, this track's tempo is ×2 or ÷2 what we had.

    The fix is theirs (TrackAffinity.tempo_override), not the catalog's: other people's mixes
    don't change. Raises ValueError, fit to show, for a tempo outside TEMPO_RANGE (music.phases).
    """
    if item.tempo is None:
        raise ValueError("This track has no tempo to correct.")
    tempo = round(item.tempo * factor, 2)
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        raise ValueError(f"That would make it {tempo:.0f} BPM; tempos go from {TEMPO_RANGE[0]} to {TEMPO_RANGE[1]}.")
    with transaction.atomic():
        TrackAffinity.objects.update_or_create(
            user=mix.owner, track_id=item.track_id, defaults={"tempo_override": tempo}
        )
        _record_feedback(mix, item.track_id, Feedback.Kind.BPM_CORRECTED, value=tempo)
        refresh_explanations(mix)
    return MixTrack.objects.select_related("track__features").get(pk=item.pk)


def refresh_explanations(mix: SessionMix) -> None:
    """Recompute scores, half/double-time reading and explanations for the mix as it now stands."""
    items = list(mix.tracks.select_related("track"))
    pool = load_pool(mix.owner, only=Q(pk__in=[item.track_id for item in items]))
    sections = rescore(
        pool,
        mix.plan_spec(),
        _section_keys(mix, items),
        preferences_for(mix.owner, mix),
        Weights.from_dict(mix.scorer_settings),
    )
    for item, pick in zip(items, (p for picks in sections for p in picks), strict=True):
        item.tempo, item.score, item.tempo_factor, item.why = pick.tempo, pick.score, pick.tempo_factor, pick.why
    MixTrack.objects.bulk_update(items, ["tempo", "score", "tempo_factor", "why"])


def _write_picks(mix: SessionMix, picks: list[Pick], locked_rows: dict[str, MixTrack] | None = None) -> None:
    """One row per pick, in order. A locked pick reuses its locked row, so the row keeps its identity."""
    locked_rows = locked_rows or {}
    new, kept = [], []
    for position, pick in enumerate(picks):
        row = locked_rows.get(pick.key) if pick.locked else None
        if row is None:
            row = MixTrack(mix=mix, track_id=int(pick.key), locked=pick.locked, explore=pick.explore)
            new.append(row)
        else:
            kept.append(row)
        row.section, row.position, row.tempo = pick.section, position, pick.tempo
        row.score, row.tempo_factor, row.why = pick.score, pick.tempo_factor, pick.why
    MixTrack.objects.bulk_create(new)
    MixTrack.objects.bulk_update(kept, ["section", "position", "tempo", "score", "tempo_factor", "why"])


def _slots(items: list[MixTrack]):
    """(section, slot within section, item) for the mix's tracks in order."""
    counters: dict[int, int] = defaultdict(int)
    for item in items:
        yield item.section, counters[item.section], item
        counters[item.section] += 1


def _section_keys(mix: SessionMix, items: list[MixTrack]) -> list[list[str]]:
    keys: list[list[str]] = [[] for _ in PlanSpec.from_dict(mix.plan_snapshot).sections()]
    for item in items:
        keys[item.section].append(str(item.track_id))
    return keys


def _record_feedback(mix: SessionMix, track_id: int, kind: str, value: float | None = None) -> Feedback:
    """Feedback on a track of the mix; what teaches the taste model asks for a rebuild (one per batch)."""
    feedback = Feedback.objects.create(user=mix.owner, track_id=track_id, mix=mix, kind=kind, value=value)
    if kind != Feedback.Kind.BPM_CORRECTED:
        enqueue_taste_rebuild(mix.owner, batch=True)
    return feedback


def _refuse_locked(item: MixTrack, verb: str) -> None:
    if item.locked:
        raise Refused(f"Unlock it first to {verb} it.")


def _reinsert(mix: SessionMix, state: dict) -> MixTrack:
    """A removed row back in the mix, at its old position but never outside its section; the same id if free."""
    items = list(mix.tracks.all())
    index = min(state["position"], len(items))
    section = state["section"]
    while index > 0 and items[index - 1].section > section:
        index -= 1
    while index < len(items) and items[index].section < section:
        index += 1
    pk = None if MixTrack.objects.filter(pk=state["id"]).exists() else state["id"]
    fields = {name: state[name] for name in Undo.ROW_FIELDS}
    row = MixTrack.objects.create(pk=pk, mix=mix, section=section, position=index, **fields)
    items.insert(index, row)
    _renumber(items)
    return row


def _renumber(items: list[MixTrack]) -> None:
    for position, item in enumerate(items):
        item.position = position
    MixTrack.objects.bulk_update(items, ["position", "section"])


def place_seed_track(mix: SessionMix, track_id: int) -> MixTrack:
    """ "Place the closest one anyway": the track a seed note offers goes into the unlocked slot where it fits best.

    The track it replaces is not held against it (no Feedback: the person asked for the seed, not against that
    track). The seed note then counts it as placed. Raises ValueError, fit to show, when the track is already in
    the mix, is not one the mix's seed notes offer, or every track is locked.
    """
    notes = [n for n in mix.notes if isinstance(n, dict) and n.get("kind") == "seed" and n.get("track")]
    note = next((n for n in notes if str(n["track"]) == str(track_id)), None)
    if note is None:
        raise ValueError("That track is not one this mix's seeds offer.")
    items = list(mix.tracks.select_related("track"))
    if any(item.track_id == track_id for item in items):
        raise ValueError("That track is already in the mix.")
    free = [(section, slot) for section, slot, item in _slots(items) if not item.locked]
    if not free:
        raise ValueError("Every track is locked; unlock one to make room for it.")
    pool = load_pool(mix.owner, only=Q(pk__in=[item.track_id for item in items] + [track_id]))
    if not pool.has(str(track_id)):
        raise ValueError("That track is no longer in the catalog.")
    spec = mix.plan_spec()
    section, slot = closest_slot(
        pool, spec, _section_keys(mix, items), str(track_id), free, Weights.from_dict(mix.scorer_settings)
    )
    item = next(other for s, i, other in _slots(items) if (s, i) == (section, slot))
    with transaction.atomic():
        item.track_id = track_id
        item.liked = item.explore = False
        item.save()
        note.update(count=1, placed=True)
        mix.save(update_fields=["notes", "updated_at"])
        refresh_explanations(mix)
    return MixTrack.objects.select_related("track__features").get(pk=item.pk)
