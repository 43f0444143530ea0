from django.urls import path

from students.views import records as views

app_name = "students"

urlpatterns = [
    path("students/", views.student_list, name="list"),
    path("students/new/", views.student_create, name="create"),
    path("students/<uuid:code>/", views.student_detail, name="detail"),
    path("students/<uuid:code>/edit/", views.student_edit, name="edit"),
    path("students/<uuid:code>/history/", views.student_history, name="history"),
    path("students/<uuid:code>/enrolments/new/", views.enrolment_create, name="enrolment_create"),
    path("students/<uuid:code>/guardians/new/", views.guardian_create, name="guardian_create"),
    path("guardians/<uuid:code>/activation-code/", views.guardian_issue_code, name="guardian_issue_code"),
    path("classrooms/", views.classroom_list, name="classroom_list"),
    path("classrooms/<uuid:code>/", views.classroom_detail, name="classroom_detail"),
    path("parents/activate/", views.guardian_activate, name="guardian_activate"),
    path("parents/link/", views.guardian_link, name="guardian_link"),
]
