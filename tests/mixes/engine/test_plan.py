"""Plans read from JSON: the spellings of a phase kind people write, and the kinds refused."""

import pytest

from mixes.engine.plan import PHASE_KINDS, PlanError, PlanPhase


def phase_of_kind(kind: str, **fields) -> PlanPhase:
    return PlanPhase.from_dict({"kind": kind, "duration_s": 300, "tempo_bpm": 120, "energy": 0.5, **fields})


@pytest.mark.parametrize(("written", "kind"), [("warm-up", "warm_up"), ("cool-down", "cool_down")])
def test_a_hyphenated_kind_is_read(written, kind):
    """The kinds written with a hyphen, "warm-up" and "cool-down", are warm_up and cool_down."""
    assert phase_of_kind(written).kind == kind


@pytest.mark.parametrize(("written", "kind"), [("warmup", "warm_up"), ("cooldown", "cool_down")])
def test_a_kind_written_as_one_word_is_read(written, kind):
    """The kinds written as one word, "warmup" and "cooldown", are warm_up and cool_down."""
    assert phase_of_kind(written).kind == kind


@pytest.mark.parametrize(("written", "kind"), [("Warm up", "warm_up"), ("Cool down", "cool_down")])
def test_a_kind_with_a_space_and_capitals_is_read(written, kind):
    """The kinds written with a space and a capital, "Warm up" and "Cool down", are warm_up and cool_down."""
    assert phase_of_kind(written).kind == kind


@pytest.mark.parametrize("kind", PHASE_KINDS)
def test_every_kind_is_read_as_stored(kind):
    """Each kind as it is stored ("warm_up", "steady") is read as itself."""
    assert phase_of_kind(kind).kind == kind


@pytest.mark.parametrize("kind", PHASE_KINDS)
@pytest.mark.parametrize("separator", [" ", "-", "_", ""])
def test_every_kind_in_any_case_and_with_any_separator_is_read(kind, separator):
    """Upper case, title case, and spaces, hyphens, underscores or nothing between the words read as the kind."""
    words = kind.split("_")
    for written in (separator.join(words).upper(), separator.join(word.capitalize() for word in words)):
        assert phase_of_kind(written).kind == kind


def test_space_around_a_kind_does_not_count():
    """A kind with spaces around it (" Steady ") is read."""
    assert phase_of_kind(" Steady ").kind == "steady"


def test_a_phase_without_a_name_is_named_from_its_kind_however_written():
    """A phase of kind "warm up" with no name is called "Warm-up", as one written "warm_up" is."""
    assert phase_of_kind("warm up").name == phase_of_kind("warm_up").name == "Warm-up"


@pytest.mark.parametrize("written", ["nap", "warm-down", "st eady", ""])
def test_an_unknown_kind_is_refused_as_written(written):
    """A word that is no kind (nor a kind broken inside a word) is a PlanError quoting it and naming the kinds."""
    with pytest.raises(PlanError, match=f"unknown kind {written!r}; use one of warm_up, build, steady"):
        phase_of_kind(written)
