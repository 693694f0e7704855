from django.urls import path

from mixes import plan_views, seed_views, taste_views, views

app_name = "mixes"
urlpatterns = [
    path("", views.generate, name="generate"),
    path("mixes/", views.mix_list, name="mix_list"),
    path("mixes/<int:mix_id>/", views.mix_detail, name="mix_detail"),
    path("mixes/<int:mix_id>/delete/", views.mix_delete, name="mix_delete"),
    path("mixes/<int:mix_id>/rename/", views.mix_rename, name="mix_rename"),
    path("mixes/<int:mix_id>/regenerate/", views.mix_regenerate, name="mix_regenerate"),
    path("mixes/<int:mix_id>/save/", views.mix_save, name="mix_save"),
    path("mixes/<int:mix_id>/undo/", views.mix_undo, name="mix_undo"),
    path("mixes/<int:mix_id>/save/status/", views.mix_save_status, name="mix_save_status"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/swap/", views.track_swap, name="track_swap"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/remove/", views.track_remove, name="track_remove"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/lock/", views.track_lock, name="track_lock"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/like/", views.track_like, name="track_like"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/bpm/", views.track_bpm, name="track_bpm"),
    path("mixes/<int:mix_id>/tracks/<int:item_id>/move/", views.track_move, name="track_move"),
    path("taste/", taste_views.taste, name="taste"),
    path("taste/forget/", taste_views.taste_forget, name="taste_forget"),
    path("taste/start-over/", taste_views.taste_start_over, name="taste_start_over"),
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/<int:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/activate/", plan_views.plan_activate, name="plan_activate"),
    path("plans/<int:plan_id>/settings/", plan_views.plan_settings, name="plan_settings"),
    path("plans/<int:plan_id>/delete/", plan_views.plan_delete, name="plan_delete"),
    path("plans/<int:plan_id>/phases/", plan_views.phase_add, name="phase_add"),
    path("plans/<int:plan_id>/phases/<int:phase_id>/", plan_views.phase_update, name="phase_update"),
    path("plans/<int:plan_id>/phases/<int:phase_id>/move/", plan_views.phase_move, name="phase_move"),
    path("plans/<int:plan_id>/phases/<int:phase_id>/remove/", plan_views.phase_remove, name="phase_remove"),
]

# Seeds say what happened (mixes/seed_views.py).
urlpatterns += [
    path("mixes/<int:mix_id>/seeds/place/", seed_views.seed_place, name="seed_place"),
]
