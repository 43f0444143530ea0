from django.urls import path

from academics.views import early_childhood as views

app_name = "early_childhood"

CLASSROOM = "academics/classrooms/<uuid:code>/development"

urlpatterns = [
    path(f"{CLASSROOM}/", views.classroom_grid, name="grid"),
    path(f"{CLASSROOM}/cell/", views.cell, name="cell"),
    path(f"{CLASSROOM}/absence/", views.absence, name="absence"),
    path(f"{CLASSROOM}/summary/", views.classroom_summary, name="summary"),
    path(f"{CLASSROOM}/children/<uuid:student>/", views.child, name="child"),
    path("academics/students/<uuid:code>/development/", views.student_development, name="student"),
    path("academics/early-childhood/levels/", views.levels, name="levels"),
]
