from django.urls import path

from students.apis import measurements as apis
from students.views import measurements as views

app_name = "health"

urlpatterns = [
    path("health/", views.nutrition_home, name="home"),
    path("health/reference/", views.reference_choose, name="reference_choose"),
    path("health/references/", views.references, name="references"),
    path("health/references/sample.csv", views.reference_sample, name="reference_sample"),
    path("health/references/recompute/", views.recompute_start, name="recompute"),
    path("health/references/recompute/<uuid:code>/", views.recompute_progress, name="recompute_progress"),
    path("health/school/", views.school_nutrition, name="school"),
    path("health/rounds/<uuid:code>/", views.round_edit, name="round"),
    path("health/rounds/<uuid:code>/import/", views.round_import, name="import"),
    path("health/rounds/<uuid:code>/classrooms/<uuid:classroom>/", views.round_grid, name="grid"),
    path("health/rounds/<uuid:code>/classrooms/<uuid:classroom>/changes/", views.classroom_changes, name="changes"),
    path("health/students/<uuid:code>/", views.student_health, name="student"),
    path("api/v1/measurement-rounds/", apis.MeasurementRoundListApi.as_view(), name="api-rounds"),
    path(
        "api/v1/measurement-rounds/<uuid:code>/summary/", apis.MeasurementRoundSummaryApi.as_view(), name="api-summary"
    ),
    path(
        "api/v1/measurement-rounds/<uuid:code>/classrooms/<uuid:classroom>/",
        apis.MeasurementGridApi.as_view(),
        name="api-grid",
    ),
    path(
        "api/v1/measurement-rounds/<uuid:code>/classrooms/<uuid:classroom>/measurements/<uuid:student>/",
        apis.MeasurementSaveApi.as_view(),
        name="api-measurement",
    ),
    path(
        "api/v1/schools/<uuid:code>/nutrition-reference/",
        apis.NutritionReferenceApi.as_view(),
        name="api-reference",
    ),
    path("api/v1/measurement-rounds/<uuid:code>/import/", apis.MeasurementImportApi.as_view(), name="api-import"),
    path("api/v1/students/<uuid:code>/measurements/", apis.StudentMeasurementListApi.as_view(), name="api-student"),
]
