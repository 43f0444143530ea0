from django.urls import path

from reports.views import document_settings as views_settings
from reports.views import documents as views_documents
from reports.views import overview as views_overview
from reports.views import pdf as views_pdf
from reports.views import pp3_pp7 as views_pp37
from reports.views import pp5_pp6 as views_pp56

app_name = "reports"

urlpatterns = [
    path("students/<uuid:code>/360/", views_overview.student_overview, name="student_360"),
    path("documents/", views_documents.documents_home, name="documents_home"),
    path("documents/classrooms/<uuid:code>/", views_documents.classroom_documents, name="documents_classroom"),
    path("documents/students/<uuid:code>/", views_documents.student_documents, name="documents_student"),
    path("documents/sections/<uuid:code>/pp5/", views_pp56.section_pp5, name="section_pp5"),
    path("documents/pp6/classrooms/<uuid:code>/", views_pp56.classroom_pp6, name="classroom_pp6"),
    path(
        "documents/pp6/classrooms/<uuid:code>/students/<uuid:student_code>/",
        views_pp56.classroom_pp6_student,
        name="classroom_pp6_student",
    ),
    path(
        "documents/pp6/classrooms/<uuid:code>/students/<uuid:student_code>/comment/",
        views_pp56.classroom_pp6_comment,
        name="classroom_pp6_comment",
    ),
    path("documents/pp3/schools/<uuid:code>/", views_pp37.school_pp3, name="school_pp3"),
    path("documents/pp3/<uuid:code>/graduates.xlsx", views_pp37.pp3_xlsx_download, name="pp3_xlsx"),
    path("documents/students/<uuid:code>/pp7/", views_pp37.student_pp7, name="student_pp7"),
    path("documents/graduates/", views_pp37.graduate_search, name="graduate_search"),
    path("documents/jobs/<uuid:code>/", views_documents.report_job, name="report_job"),
    path("documents/jobs/<uuid:code>/download/", views_documents.report_job_download, name="report_job_download"),
    path("documents/jobs/<uuid:code>/retry/", views_documents.report_job_retry, name="report_job_retry"),
    path("documents/<uuid:code>/download/", views_documents.document_download, name="document_download"),
    path("documents/schools/<uuid:code>/settings/", views_settings.document_settings, name="documents_settings"),
    path("documents/schools/<uuid:code>/certificate/", views_settings.certificate_upload, name="documents_certificate"),
    path(
        "documents/schools/<uuid:code>/printer-offset/", views_settings.printer_offset, name="documents_printer_offset"
    ),
    path("documents/schools/<uuid:code>/options/", views_settings.document_options, name="documents_options"),
    path("documents/schools/<uuid:code>/calibration.pdf", views_settings.calibration_pdf, name="documents_calibration"),
    path("verify/<str:code>", views_documents.verify, name="verify"),
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
