from django.urls import path

from students.apis import imports as apis_import
from students.views import imports as views_import

app_name = "imports"

urlpatterns = [
    path("imports/", views_import.upload, name="upload"),
    path("imports/jobs/", views_import.job_list, name="list"),
    path("imports/<uuid:code>/mapping/", views_import.mapping, name="mapping"),
    path("imports/<uuid:code>/preview/", views_import.preview, name="preview"),
    path("imports/<uuid:code>/commit/", views_import.commit, name="commit"),
    path("imports/<uuid:code>/retry/", views_import.retry, name="retry"),
    path("imports/<uuid:code>/", views_import.progress, name="progress"),
    path("classrooms/<uuid:code>/roster.<str:fmt>", views_import.roster_export, name="roster_export"),
    path("exports/dmc.<str:fmt>", views_import.dmc_export, name="dmc_export"),
    path("api/v1/imports/", apis_import.ImportJobListApi.as_view(), name="api-list"),
    path("api/v1/imports/<uuid:code>/", apis_import.ImportJobDetailApi.as_view(), name="api-detail"),
    path("api/v1/imports/<uuid:code>/commit/", apis_import.ImportJobCommitApi.as_view(), name="api-commit"),
]
