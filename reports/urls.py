from django.urls import path

from reports.views import pdf as views_pdf

app_name = "reports"

urlpatterns = [
    path(
        "reports/timetable/classrooms/<uuid:code>.pdf",
        views_pdf.timetable_classroom_pdf,
        name="timetable_classroom_pdf",
    ),
    path(
        "reports/timetable/teachers/<uuid:code>.pdf",
        views_pdf.timetable_teacher_pdf,
        name="timetable_teacher_pdf",
    ),
]
