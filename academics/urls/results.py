from django.urls import path

from academics.views import results as views

urlpatterns = [
    path("academics/sections/<uuid:code>/results/", views.section_results, name="section_results"),
    path("academics/sections/<uuid:code>/results/transition/", views.section_transition, name="section_transition"),
    path(
        "academics/sections/<uuid:code>/results/<uuid:student_code>/change/",
        views.result_change_request,
        name="result_change_request",
    ),
    path("academics/result-changes/", views.result_changes, name="result_changes"),
    path("academics/results/overview/", views.term_overview, name="term_overview"),
    path("academics/results/students/", views.standing_students, name="standing_students"),
    path("academics/classrooms/<uuid:code>/results/", views.classroom_results, name="classroom_results"),
    path("academics/students/<uuid:code>/results/", views.student_results, name="student_results"),
]
