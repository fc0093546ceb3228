"""The figures pages under /figures/."""

from django.urls import URLPattern, URLResolver, path

from . import export_views, plan_views, views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    # Plans and targets (plans helper).
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_add, name="plan_add"),
    path("plans/<uuid:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<uuid:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<uuid:plan_id>/targets/new/", plan_views.target_add, name="target_add"),
    path("plans/targets/<uuid:target_id>/edit/", plan_views.target_edit, name="target_edit"),
    path("plans/targets/<uuid:target_id>/remove/", plan_views.target_remove, name="target_remove"),
    path("", views.figures_dashboard, name="dashboard"),
    path("indicator/", views.indicator_page, name="indicator"),
    path("people/", views.people_page, name="people"),
    # The 6-monthly and annual report (XLSX, CSV).
    path("report/", export_views.report, name="report"),
    path("report/queue/", export_views.report_queue, name="report_queue"),
    path("report/files/<uuid:file_id>/", export_views.report_file, name="report_file"),
    path(
        "report/files/<uuid:file_id>/download/",
        export_views.report_file_download,
        name="report_file_download",
    ),
    path(
        "report/files/<uuid:file_id>/restart/",
        export_views.report_file_restart,
        name="report_file_restart",
    ),
]
