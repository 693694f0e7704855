"""The plan editor: the plan list, a plan's name and settings, its phases, each phase a form that saves itself.

Every POST redirects a plain request and answers an htmx one with the fragment that changed. Saving a phase
answers with that phase's card alone (and the plan summary out of band), so unsaved edits in the other
phases stay where they were typed.
Every plan is looked up through its owner: anyone else's is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mixes.engine.plan import PlanError
from mixes.forms import NewPlanForm, PhaseForm, PhaseMoveForm, PlanForm, PlanSettingsForm, form_errors
from mixes.models import Phase, WorkoutPlan
from music.forms import NextForm

PLAN = "mixes/plan_detail.html"


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """The user's plans; POST makes a new one from a template or blank."""
    first_visit(request.user)
    form = NewPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = WorkoutPlan.create_for(request.user, template_key=data["template"], name=data["name"].strip())
        return redirect(plan)
    plans = WorkoutPlan.objects.for_user(request.user).with_phases()
    return render(request, "mixes/plan_list.html", {"plans": plans, "form": form})


def first_visit(user) -> None:
    """Someone with no plans at all starts with the ready templates (Screen 1 and the plan list)."""
    if not WorkoutPlan.objects.for_user(user).exists():
        WorkoutPlan.ensure_templates(user)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan editor: its name and its phases, each phase a small form that saves itself."""
    plan = _owned_plan(request, plan_id)
    if request.method != "POST":
        return render(request, PLAN, _plan_context(plan))
    form = PlanForm(request.POST, instance=plan)
    if form.is_valid():
        form.save()
        if request.htmx:
            return render(request, f"{PLAN}#plan-name", _plan_context(plan))
        return redirect(plan)
    plan.refresh_from_db()  # the heading keeps the saved name
    return render(request, f"{PLAN}#plan-name" if request.htmx else PLAN, _plan_context(plan, form=form), status=422)


@login_required
@require_POST
def plan_settings(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's setting for short intervals: follow the work intervals (default) or the average of work and rest."""
    plan = _owned_plan(request, plan_id)
    form = PlanSettingsForm(request.POST, plan=plan)
    if not form.is_valid():
        context = _plan_context(plan, settings_form=form)
        return render(request, f"{PLAN}#plan-settings" if request.htmx else PLAN, context, status=422)
    form.save()
    if request.htmx:
        return render(request, f"{PLAN}#plan-settings", _plan_context(plan, settings_saved=True))
    messages.success(request, "Saved: the next mix from this plan uses it.")
    return redirect(plan)


@login_required
@require_POST
def plan_activate(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _owned_plan(request, plan_id)
    plan.activate()
    messages.success(request, f"“{plan.name}” is now your active plan.")
    return redirect(NextForm(request.POST, request=request).target("mixes:plan_list"))


@login_required
@require_POST
def plan_delete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _owned_plan(request, plan_id)
    plan.delete()
    messages.success(request, f"Deleted “{plan.name}”. Mixes made from it keep their tracks.")
    return redirect("mixes:plan_list")


# Phases ----------------------------------------------------------------------------------


def phase_action(view: Callable) -> Callable:
    """Find the plan through its owner and the phase through the plan; POST only."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, plan_id: int, phase_id: int) -> HttpResponse:
        plan = _owned_plan(request, plan_id)
        phase = get_object_or_404(Phase, plan=plan, pk=phase_id)
        return view(request, plan, phase)

    return wrapper


@login_required
@require_POST
def phase_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _owned_plan(request, plan_id)
    try:
        plan.add_phase()
    except PlanError as error:
        return _respond_phases(request, plan, error=str(error))
    return _respond_phases(request, plan)


@phase_action
def phase_update(request: HttpRequest, plan: WorkoutPlan, phase: Phase) -> HttpResponse:
    """Save one phase. htmx gets that phase's card (and the summary out of band); a plain POST goes back to it."""
    form = PhaseForm(request.POST, instance=phase)
    if not form.is_valid():
        if request.htmx:
            return _phase_card(request, plan, form, status=422)
        context = _plan_context(plan)
        context["phase_forms"] = [form if f.instance.pk == phase.pk else f for f in context["phase_forms"]]
        return render(request, PLAN, context, status=422)
    form.save()
    if not request.htmx:
        return redirect(f"{plan.get_absolute_url()}#phase-{phase.pk}")
    plan = _owned_plan(request, plan.pk)  # the totals and the timeline with the saved phase
    return _phase_card(request, plan, PhaseForm(instance=phase), saved=True)


@phase_action
def phase_move(request: HttpRequest, plan: WorkoutPlan, phase: Phase) -> HttpResponse:
    form = PhaseMoveForm(request.POST)
    if not form.is_valid():
        return _respond_phases(request, plan, error=" ".join(form_errors(form)))
    plan.move_phase(phase, form.step())
    return _respond_phases(request, plan)


@phase_action
def phase_remove(request: HttpRequest, plan: WorkoutPlan, phase: Phase) -> HttpResponse:
    plan.remove_phase(phase)
    return _respond_phases(request, plan)


# Responses -------------------------------------------------------------------------------


def _owned_plan(request: HttpRequest, plan_id: int) -> WorkoutPlan:
    return get_object_or_404(WorkoutPlan.objects.for_user(request.user).with_phases(), pk=plan_id)


def _plan_context(plan: WorkoutPlan, **extra) -> dict:
    phases = list(plan.phases.all())
    return {
        "plan": plan,
        "form": PlanForm(instance=plan),
        "settings_form": PlanSettingsForm(plan=plan),
        "phase_forms": [PhaseForm(instance=phase) for phase in phases],
        "plan_spec": plan.to_spec() if phases else None,
        **extra,
    }


def _respond_phases(request: HttpRequest, plan: WorkoutPlan, *, error: str = "") -> HttpResponse:
    """The phase list in its new state (or with why nothing changed, 422); a plain request goes back to the plan."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(plan)
    if error:
        return render(request, f"{PLAN}#phases", _plan_context(plan, plan_error=error), status=422)
    plan = _owned_plan(request, plan.pk)
    return render(request, f"{PLAN}#phases", _plan_context(plan))


def _phase_card(request: HttpRequest, plan: WorkoutPlan, form: PhaseForm, *, saved: bool = False, status: int = 200):
    """One phase's card (its number kept from the page), then the plan summary out of band when it changed."""
    numbers = [phase.pk for phase in plan.phases.all()]
    context = _plan_context(plan, phase_form=form, number=numbers.index(form.instance.pk) + 1, saved=saved)
    card = render(request, f"{PLAN}#phase-card", context, status=status)
    if saved:
        summary = render(request, f"{PLAN}#plan-summary", {**context, "summary_oob": True})
        card.content += summary.content
    return card
