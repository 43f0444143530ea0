from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from academics.apis import results as result_apis
from academics.apis import structure as academic_apis
from academics.apis import timetable as timetable_apis
from qinfo import health
from reports import apis as auth_apis
from reports.apis import documents as document_apis
from reports.apis import graduates as graduate_apis
from reports.apis import overview as overview_apis
from reports.views import home as report_views
from schools.apis import calendar as calendar_apis
from schools.apis import organisation as school_apis
from students.apis import classrooms as classroom_apis
from students.apis import records as student_apis

api_v1 = [
    path("auth/token/", auth_apis.TokenApi.as_view(), name="token"),
    path("auth/tokens/", auth_apis.TokenListApi.as_view(), name="token-list"),
    path("me/", school_apis.MeApi.as_view(), name="me"),
    path("schools/", school_apis.SchoolListApi.as_view(), name="school-list"),
    path("schools/<uuid:code>/", school_apis.SchoolDetailApi.as_view(), name="school-detail"),
    path("students/", student_apis.StudentListApi.as_view(), name="student-list"),
    path("students/<uuid:code>/", student_apis.StudentDetailApi.as_view(), name="student-detail"),
    path(
        "schools/<uuid:code>/calendar/<int:year>/events/",
        calendar_apis.CalendarEventListApi.as_view(),
        name="calendar-event-list",
    ),
    path(
        "schools/<uuid:code>/calendar/<int:year>/school-days/",
        calendar_apis.SchoolDaysApi.as_view(),
        name="calendar-school-days",
    ),
    path("calendar-events/<uuid:code>/", calendar_apis.CalendarEventDetailApi.as_view(), name="calendar-event-detail"),
    path("enrolments/", student_apis.EnrolmentListApi.as_view(), name="enrolment-list"),
    path("enrolments/<uuid:code>/", student_apis.EnrolmentDetailApi.as_view(), name="enrolment-detail"),
    path("subjects/", academic_apis.SubjectListApi.as_view(), name="subject-list"),
    path("subjects/<uuid:code>/", academic_apis.SubjectDetailApi.as_view(), name="subject-detail"),
    path("study-plans/", academic_apis.StudyPlanListApi.as_view(), name="study-plan-list"),
    path("study-plans/<uuid:code>/", academic_apis.StudyPlanDetailApi.as_view(), name="study-plan-detail"),
    path("sections/", academic_apis.SectionListApi.as_view(), name="section-list"),
    path("sections/<uuid:code>/", academic_apis.SectionDetailApi.as_view(), name="section-detail"),
    path("section-generations/", academic_apis.SectionGenerationApi.as_view(), name="section-generation"),
    path("classrooms/", classroom_apis.ClassroomListApi.as_view(), name="classroom-list"),
    path("classrooms/<uuid:code>/", classroom_apis.ClassroomDetailApi.as_view(), name="classroom-detail"),
    path("classrooms/<uuid:code>/roster/", classroom_apis.RosterExportApi.as_view(), name="classroom-roster"),
    path("exports/dmc/", classroom_apis.DmcExportApi.as_view(), name="dmc-export"),
    path(
        "classrooms/<uuid:code>/timetable/", timetable_apis.ClassroomTimetableApi.as_view(), name="classroom-timetable"
    ),
    path(
        "classrooms/<uuid:code>/timetable/<int:weekday>/<int:period>/",
        timetable_apis.ClassroomTimetableSlotApi.as_view(),
        name="classroom-timetable-slot",
    ),
    path(
        "classrooms/<uuid:code>/placements/", academic_apis.ClassroomPlacementApi.as_view(), name="classroom-placement"
    ),
    path("sections/<uuid:code>/results/", result_apis.SectionResultsApi.as_view(), name="section-results"),
    path("sections/<uuid:code>/reviews/", result_apis.SectionReviewApi.as_view(), name="section-reviews"),
    path(
        "sections/<uuid:code>/results/<uuid:student_code>/changes/",
        result_apis.ResultChangeApi.as_view(),
        name="result-changes",
    ),
    path("students/<uuid:code>/record/", result_apis.StudentRecordApi.as_view(), name="student-record"),
    path("students/<uuid:code>/overview/", overview_apis.StudentOverviewApi.as_view(), name="student-overview"),
    path("report-jobs/", document_apis.ReportJobListApi.as_view(), name="report-job-list"),
    path("report-jobs/<uuid:code>/", document_apis.ReportJobDetailApi.as_view(), name="report-job-detail"),
    path("schools/<uuid:code>/pp3/", graduate_apis.Pp3RequestApi.as_view(), name="school-pp3"),
    path("students/<uuid:code>/pp7/", graduate_apis.Pp7RequestApi.as_view(), name="student-pp7"),
    path("graduates/", graduate_apis.GraduateSearchApi.as_view(), name="graduate-search"),
]

urlpatterns = [
    path("", report_views.home, name="home"),
    path("login/", report_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("role/", report_views.switch_role, name="switch_role"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("", include("schools.urls.organisation")),
    path("", include("schools.urls.calendar")),
    path("", include("students.urls.records")),
    path("", include("students.urls.imports")),
    path("", include("students.urls.status")),
    path("", include("students.urls.attendance")),
    path("", include("students.urls.care")),
    path("", include("students.urls.measurements")),
    path("", include("academics.urls.structure")),
    path("", include("academics.urls.timetable")),
    path("", include("academics.urls.attendance")),
    path("", include("academics.urls.grid")),
    path("", include("academics.urls.early_childhood")),
    path("", include("earlywarning.urls")),
    path("", include("reports.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (PDFs, JSON).
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static_url("favicon-32.png"))),
    path("system/", admin.site.urls),
]

# Uploaded files (import files, photos) are never served from MEDIA_URL, not even with DEBUG on:
# each is read through a view that checks who is asking (students.views.records.student_photo).
