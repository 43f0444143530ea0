from django.urls import path

from academics.views import timetable as views

app_name = "timetable"

urlpatterns = [
    path("timetable/", views.index, name="index"),
    path("timetable/mine/", views.mine, name="mine"),
    path("timetable/periods/", views.periods, name="periods"),
    path("timetable/clashes/", views.clashes, name="clashes"),
    path("timetable/classrooms/<uuid:code>/", views.classroom, name="classroom"),
    path("timetable/classrooms/<uuid:code>/cell/", views.classroom_cell, name="classroom_cell"),
    path("timetable/teachers/<uuid:code>/", views.teacher, name="teacher"),
    path("timetable/teachers/<uuid:code>/cell/", views.teacher_cell, name="teacher_cell"),
]
