from django.urls import path

from academics.apis import attendance as apis_attendance
from academics.views import attendance as views_attendance
from academics.views import evaluation as views_evaluation

app_name = "attendance"

SECTION = "academics/sections/<uuid:code>"
MEETING = SECTION + "/attendance/<str:day>/<int:period>"

urlpatterns = [
    path(f"{SECTION}/attendance/", views_attendance.section_attendance, name="section"),
    path(f"{SECTION}/attendance/meetings/", views_attendance.meeting_add, name="meeting_add"),
    path(f"{SECTION}/attendance/hours/", views_attendance.hours_save, name="hours"),
    path(f"{MEETING}/", views_attendance.roll_call, name="roll_call"),
    path(f"{MEETING}/delete/", views_attendance.meeting_delete, name="meeting_delete"),
    path(f"{SECTION}/activity/", views_attendance.activity, name="activity"),
    path("academics/classrooms/<uuid:code>/evaluations/", views_evaluation.evaluation, name="evaluation"),
    path(
        "api/v1/sections/<uuid:code>/attendance/",
        apis_attendance.SectionAttendanceApi.as_view(),
        name="api-section",
    ),
    path(
        "api/v1/sections/<uuid:code>/attendance/<str:day>/<int:period>/marks/<uuid:student>/",
        apis_attendance.AttendanceMarkApi.as_view(),
        name="api-mark",
    ),
    path(
        "api/v1/sections/<uuid:code>/attendance-hours/<uuid:student>/",
        apis_attendance.AttendanceHoursApi.as_view(),
        name="api-hours",
    ),
    path(
        "api/v1/sections/<uuid:code>/activity-results/<uuid:student>/",
        apis_attendance.ActivityResultApi.as_view(),
        name="api-activity",
    ),
    path(
        "api/v1/classrooms/<uuid:code>/terms/<int:number>/evaluations/",
        apis_attendance.ClassroomEvaluationApi.as_view(),
        name="api-evaluations",
    ),
]
