from django.urls import path

from . import casework_views, move_views, plan_views, summary_views, views

app_name = "cases"
urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("people/", views.person_search, name="person_search"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:person_id>/", views.person_detail, name="person_detail"),
    path("people/<uuid:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/history/", views.person_history, name="person_history"),
    path("people/<uuid:person_id>/cases/new/", views.case_create, name="case_create"),
    path("people/<uuid:person_id>/move/", move_views.move_record, name="move_record"),
    path("moves/", move_views.handover_queue, name="handover_queue"),
    path("moves/<uuid:move_id>/", move_views.move_detail, name="move_detail"),
    path("moves/<uuid:move_id>/accept/", move_views.move_accept, name="move_accept"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/summary/", summary_views.case_summary, name="case_summary"),
    path("emergency/", views.emergency_request, name="emergency_request"),
    path("emergency/review/", views.emergency_review_list, name="emergency_review_list"),
    path("emergency/<uuid:access_id>/review/", views.emergency_review, name="emergency_review"),
    path("staff/changes/", views.role_request_list, name="role_request_list"),
    path(
        "staff/changes/<uuid:request_id>/decide/",
        views.role_request_decide,
        name="role_request_decide",
    ),
    path("emergency/<uuid:access_id>/revoke/", views.emergency_revoke, name="emergency_revoke"),
]
# Staff administration (administrators), and the newcomer's invitation link.
urlpatterns += [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/unlock/", views.staff_unlock, name="staff_unlock"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/welcome/", views.staff_welcome, name="staff_welcome"),
    path("staff/welcome/<str:token>/", views.staff_welcome_open, name="staff_welcome_open"),
    path(
        "staff/resets/<uuid:reset_id>/decide/",
        views.account_reset_decide,
        name="account_reset_decide",
    ),
    path(
        "staff/invitations/<uuid:invitation_id>/code/",
        views.invitation_code,
        name="invitation_code",
    ),
]
# Casework (D42): contact notes on a case, family links on a person.
urlpatterns += [
    path("cases/<uuid:case_id>/notes/new/", casework_views.note_add, name="note_add"),
    path("notes/<uuid:note_id>/", casework_views.note_detail, name="note_detail"),
    path("notes/<uuid:note_id>/edit/", casework_views.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/addendum/", casework_views.note_addendum, name="note_addendum"),
    path("people/<uuid:person_id>/family/new/", casework_views.family_add, name="family_add"),
    path("family/<uuid:link_id>/remove/", casework_views.family_remove, name="family_remove"),
]
# The case plan and closing a case (D45).
urlpatterns += [
    path("cases/<uuid:case_id>/goals/new/", plan_views.goal_add, name="goal_add"),
    path("goals/<uuid:goal_id>/", plan_views.goal_detail, name="goal_detail"),
    path("goals/<uuid:goal_id>/review/", plan_views.goal_review, name="goal_review"),
    path("cases/<uuid:case_id>/close/", plan_views.case_close, name="case_close"),
    path("cases/<uuid:case_id>/reopen/", plan_views.case_reopen, name="case_reopen"),
    path("closures/", plan_views.closure_queue, name="closure_queue"),
    path("closures/<uuid:closure_id>/", plan_views.closure_detail, name="closure_detail"),
    path("closures/<uuid:closure_id>/decide/", plan_views.closure_decide, name="closure_decide"),
]
