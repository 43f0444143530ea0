from django.urls import path

from students.apis import attendance as apis
from students.views import attendance as views

app_name = "daily"

urlpatterns = [
    path("homeroom/", views.homeroom_home, name="home"),
    path("homeroom/<uuid:code>/attendance/", views.daily_roll, name="today"),
    path("homeroom/<uuid:code>/attendance/summary/", views.classroom_summary, name="summary"),
    path("homeroom/<uuid:code>/attendance/<str:day>/", views.daily_roll, name="roll"),
    path("attendance/school/", views.school_attendance, name="school"),
    path(
        "api/v1/classrooms/<uuid:code>/daily-attendance/",
        apis.DailyAttendanceRatesApi.as_view(),
        name="api-rates",
    ),
    path(
        "api/v1/classrooms/<uuid:code>/daily-attendance/<str:day>/",
        apis.DailyAttendanceDayApi.as_view(),
        name="api-day",
    ),
    path(
        "api/v1/classrooms/<uuid:code>/daily-attendance/<str:day>/<uuid:student>/",
        apis.DailyAttendanceMarkApi.as_view(),
        name="api-mark",
    ),
    path("api/v1/schools/<uuid:code>/attendance/", apis.SchoolAttendanceStatsApi.as_view(), name="api-school"),
    path(
        "api/v1/students/<uuid:code>/daily-attendance/",
        apis.StudentDailyAttendanceApi.as_view(),
        name="api-student",
    ),
]
