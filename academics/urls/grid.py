"""Grade grid and assessment plan: pages, and their API under /api/v1/ (namespace "grid")."""

from django.urls import path

from academics.apis import grid as apis
from academics.views import grid as views

app_name = "grid"

SECTION_API = "api/v1/sections/<uuid:code>/"
CELL = "scores/<uuid:item_code>/<uuid:student_code>/"

urlpatterns = [
    path("academics/sections/<uuid:code>/grid/", views.grade_grid, name="grid"),
    path("academics/sections/<uuid:code>/assessment/", views.assessment_plan, name="assessment_plan"),
    path(SECTION_API + "grid/", apis.SectionGridApi.as_view(), name="api-grid"),
    path(SECTION_API + CELL, apis.ScoreCellApi.as_view(), name="api-score"),
    path(SECTION_API + CELL + "history/", apis.ScoreCellHistoryApi.as_view(), name="api-score-history"),
    path(SECTION_API + "score-blocks/", apis.ScoreBlockApi.as_view(), name="api-score-blocks"),
    path(SECTION_API + "assessment-plan/", apis.AssessmentPlanApi.as_view(), name="api-assessment-plan"),
    path(SECTION_API + "assessment-items/", apis.AssessmentItemListApi.as_view(), name="api-assessment-items"),
    path(
        SECTION_API + "assessment-items/<uuid:item_code>/",
        apis.AssessmentItemDetailApi.as_view(),
        name="api-assessment-item",
    ),
]
