from django.urls import path

from students.apis import care as apis
from students.views import care as views

app_name = "care"

urlpatterns = [
    path("care/", views.care_home, name="home"),
    path("care/classrooms/<uuid:code>/", views.classroom_care, name="classroom"),
    path("care/classrooms/<uuid:code>/coverage/", views.classroom_coverage, name="coverage"),
    path("care/students/<uuid:code>/", views.student_care, name="student"),
    path("care/students/<uuid:code>/home-visits/new/", views.home_visit_new, name="visit_new"),
    path("care/students/<uuid:code>/screening/", views.screening, name="screening"),
    path("care/students/<uuid:code>/sdq/new/", views.sdq_new, name="sdq_new"),
    path("care/home-visits/<uuid:code>/", views.home_visit_detail, name="visit"),
    path("care/photos/<uuid:code>/", views.home_visit_photo, name="photo"),
    path("care/sdq/<uuid:code>/", views.sdq_detail, name="sdq"),
    path("care/school/", views.school_coverage, name="school"),
    path("care/school/export/", views.care_export, name="export"),
    path("care/access-log/", views.access_log, name="log"),
    path("care/settings/", views.care_settings, name="settings"),
    path("care/parent/sdq/", views.parent_sdq_home, name="parent_home"),
    path("care/parent/students/<uuid:code>/sdq/", views.parent_sdq, name="parent_sdq"),
    path("care/parent/sdq/<uuid:code>/", views.parent_sdq_done, name="parent_sdq_done"),
    path("api/v1/students/<uuid:code>/home-visits/", apis.HomeVisitListApi.as_view(), name="api-visits"),
    path("api/v1/home-visits/<uuid:code>/", apis.HomeVisitDetailApi.as_view(), name="api-visit"),
    path("api/v1/home-visits/<uuid:code>/photos/", apis.HomeVisitPhotoListApi.as_view(), name="api-visit-photos"),
    path(
        "api/v1/students/<uuid:code>/poverty-screenings/<int:year>/",
        apis.PovertyScreeningDetailApi.as_view(),
        name="api-screening",
    ),
    path("api/v1/students/<uuid:code>/sdq-assessments/", apis.SdqAssessmentListApi.as_view(), name="api-sdq"),
    path("api/v1/care/access-log/", apis.SensitiveReadListApi.as_view(), name="api-log"),
    path("api/v1/schools/<uuid:code>/care-coverage/", apis.SchoolCareCoverageApi.as_view(), name="api-school-coverage"),
    path(
        "api/v1/classrooms/<uuid:code>/care-coverage/",
        apis.ClassroomCareCoverageApi.as_view(),
        name="api-classroom-coverage",
    ),
    path("api/v1/schools/<uuid:code>/sdq-cutoffs/", apis.SdqCutoffsApi.as_view(), name="api-sdq-cutoffs"),
    path("api/v1/schools/<uuid:code>/care-settings/", apis.CareSettingsApi.as_view(), name="api-settings"),
    path("api/v1/schools/<uuid:code>/care-export/", apis.CareExportApi.as_view(), name="api-export"),
    path("api/v1/parent/students/<uuid:code>/sdq/", apis.ParentSdqApi.as_view(), name="api-parent-sdq"),
]
