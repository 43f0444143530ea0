"""Issuing ปพ.3 (a school's graduates of one stage in one year) and ปพ.7 (one student's
certificate of status and results) through the report jobs of reports.services.documents.

A ปพ.7 is a per-student document: `documents.report_job_request(doc_type=PP7, purpose=...)`
and the ordinary worker path (serial reserved, rendered, signed, stored, the earlier copy voided).

A ปพ.3 is one document of a cohort (`PER_COHORT_TYPES`): `pp3_request` creates the job; the
worker (`work_cohort`, called from `documents._work`) reserves the serial together with the
cohort's rows (GraduateReport + IssuedGraduate) in one transaction, then renders the PDF and the
.xlsx from those stored rows, signs the PDF, and stores both, voids the cohort's earlier ปพ.3
and finishes the job in one transaction that checks the lease. A killed worker resumes with the
same serial and the same rows.
"""

from __future__ import annotations

import io
import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from qinfo import jobs
from qinfo.audit import audited
from reports.models import DocumentType, GraduateReport, IssuedDocument, IssuedGraduate, ReportJob
from reports.pdf import render_pdf
from reports.selectors import pp3_pp7 as selectors
from reports.selectors import signing as signing_selectors
from reports.selectors.documents import NoDocument
from schools.models import AcademicYear, School, User
from students.models import Student

pdpa_log = logging.getLogger("qinfo.pdpa")
REISSUE_REASON = "ออกฉบับใหม่แทน (เลขที่ {serial})"


# --- Rendering ----------------------------------------------------------------------------------


def render_pp3_specimen(
    school: School, academic_year: AcademicYear, stage: str, *, approved_on: date, issued_on: date
) -> bytes:
    context = selectors.pp3_specimen_context(school, academic_year, stage, approved_on=approved_on, issued_on=issued_on)
    return render_pdf(selectors.PP3_TEMPLATE, context)


def render_pp3_pdf(report: GraduateReport, *, issued_on: date, registrar: str = "") -> bytes:
    return render_pdf(selectors.PP3_TEMPLATE, selectors.pp3_context(report, issued_on=issued_on, registrar=registrar))


def pp3_xlsx(report: GraduateReport) -> bytes:
    """The stored rows of a ปพ.3 as the education service area takes them: one sheet, a header
    row, then the same cells the PDF prints."""
    from openpyxl import Workbook

    context = selectors.pp3_context(report, issued_on=timezone.localdate())
    book = Workbook()
    sheet = book.active
    sheet.title = f"ปพ.3 {context['variant']} {context['academic_year'].year}"
    sheet.append([f"แบบรายงานผู้สำเร็จการศึกษา {context['stage_words']} ปีการศึกษา {context['academic_year'].year}"])
    sheet.append([f"โรงเรียน{context['school'].name}", context["school"].area.name, f"เลขที่ {report.document.serial}"])
    sheet.append(list(selectors.XLSX_HEADERS))
    for cells in context["table"]:
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_pp7_pdf(
    student: Student, *, document: IssuedDocument | None, issued_on: date, purpose: str, registrar: str = ""
) -> bytes:
    context = selectors.pp7_context(
        student, document=document, issued_on=issued_on, purpose=purpose, registrar=registrar
    )
    return render_pdf(selectors.PP7_TEMPLATE, context)


# --- ปพ.3 requests and the worker's side -----------------------------------------------------------


@transaction.atomic
def pp3_request(
    *, school: School, academic_year: AcademicYear, stage: str, approved_on: date | None, by: User
) -> ReportJob:
    """Ask for the ปพ.3 of a cohort; the worker renders it. Refused in Thai when the year is not
    the school's, the stage is not a stage end, or the cohort has no graduates."""
    from reports.services import documents

    if academic_year is None or academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "กรุณาเลือกปีการศึกษาของโรงเรียนนี้"})
    if stage not in selectors.PP3_VARIANTS:
        raise ValidationError({"stage": "ระดับที่จบต้องเป็น ป.6 ม.3 หรือ ม.6"})
    if approved_on is None:
        raise ValidationError({"approved_on": "กรุณาระบุวันอนุมัติการจบ (วัน เดือน ปี พ.ศ.)"})
    if approved_on < academic_year.start_date:
        raise ValidationError({"approved_on": f"วันอนุมัติการจบต้องไม่ก่อนวันเริ่มปีการศึกษา {academic_year.year}"})
    if approved_on > timezone.localdate():
        raise ValidationError({"approved_on": "วันอนุมัติการจบต้องไม่เป็นวันในอนาคต"})
    rows = selectors.graduate_rows(school, academic_year, stage, approved_on=approved_on)
    if not rows:
        raise ValidationError(
            {"stage": f"ไม่มีผู้สำเร็จการศึกษาชั้น {selectors.PP3_VARIANTS[stage][3]} ปีการศึกษา {academic_year.year}"}
        )
    label = f"{selectors.PP3_VARIANTS[stage][3]} ปีการศึกษา {academic_year.year}"
    with audited(by, "ขอออก ปพ.3"):
        job = ReportJob(
            school=school,
            requested_by=by,
            type=DocumentType.PP3,
            parameters={
                "students": [],
                "academic_year": academic_year.pk,
                "stage": stage,
                "approved_on": approved_on.isoformat(),
                "label": label,
            },
            progress_total=1,
            heartbeat_at=timezone.now(),
        )
        job.full_clean()
        job.save()
    job_id = job.pk
    transaction.on_commit(lambda: documents._send_after_commit(job_id))
    return job


def _reserve_cohort(job: ReportJob, *, year: int) -> GraduateReport:
    """The job's ปพ.3 with its serial and rows: found when a killed run reserved it already."""
    from reports.services import documents

    with transaction.atomic():
        existing = GraduateReport.objects.filter(document__job=job).select_related("document").first()
        if existing is not None:
            return existing
        academic_year = AcademicYear.objects.get(pk=job.parameters["academic_year"])
        stage = job.parameters["stage"]
        approved_on = date.fromisoformat(job.parameters["approved_on"])
        rows = selectors.graduate_rows(job.school, academic_year, stage, approved_on=approved_on)
        if not rows:
            raise NoDocument("ไม่มีผู้สำเร็จการศึกษาให้ออก ปพ.3 แล้ว โปรดตรวจสอบผลการจบการศึกษาอีกครั้ง")
        number = documents._next_number(job.school_id, job.type, year)
        with audited(job.requested_by, "จองเลขที่ ปพ.3"):
            document = IssuedDocument.objects.create(
                school_id=job.school_id,
                student=None,
                type=job.type,
                year=year,
                number=number,
                verification_code=documents.new_verification_code(),
                job=job,
                issued_by=job.requested_by,
            )
            report = GraduateReport.objects.create(
                document=document, academic_year=academic_year, stage=stage, approved_on=approved_on
            )
            IssuedGraduate.objects.bulk_create(
                IssuedGraduate(
                    report=report,
                    number=index,
                    student=row.student,
                    student_number=row.student_number,
                    national_id=row.national_id,
                    prefix=row.prefix,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    sex=row.sex,
                    birth_date=row.birth_date,
                    gpax=row.gpax,
                    earned_basic=row.earned_basic,
                    earned_additional=row.earned_additional,
                    rtw=row.rtw,
                    characteristics=row.characteristics,
                    activities=row.activities,
                    graduated_on=row.graduated_on,
                    pp1_number=row.pp1_number,
                )
                for index, row in enumerate(rows, start=1)
            )
        return report


def work_cohort(job: ReportJob, owner: str) -> None:
    """The worker's ปพ.3: reserve, render from the stored rows, sign, store, finish."""
    from pypdf import PdfReader

    from reports.services import documents

    today = timezone.localdate()
    report = _reserve_cohort(job, year=documents._be_year(today))
    document = report.document
    if not document.issued:
        pdf = render_pp3_pdf(report, issued_on=today, registrar=job.requested_by.get_full_name())
        signer = signing_selectors.school_signer(job.school)
        if signer is not None:
            pdf = signer.sign(pdf, reason=f"{document.get_type_display()} {document.printed_number}")
        workbook = pp3_xlsx(report)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        with transaction.atomic(), audited(job.requested_by, "ออก ปพ.3"):
            if not jobs.holds_lease(ReportJob, job.pk, owner, running=ReportJob.Status.RUNNING):
                raise jobs.LeaseLost(job.pk)
            name = f"{document.type}-{document.year}-{document.number:06d}"
            document.file.save(f"{name}.pdf", ContentFile(pdf), save=False)
            document.issued_at = timezone.now()
            document.pages = pages
            document.signer_fingerprint = signer.fingerprint if signer else ""
            document.save(update_fields=["file", "issued_at", "pages", "signer_fingerprint"])
            report.xlsx.save(f"{name}.xlsx", ContentFile(workbook), save=False)
            report.save(update_fields=["xlsx"])
            earlier = IssuedDocument.objects.filter(
                school_id=document.school_id,
                type=DocumentType.PP3,
                is_void=False,
                issued_at__isnull=False,
                graduate_report__academic_year_id=report.academic_year_id,
                graduate_report__stage=report.stage,
            ).exclude(pk=document.pk)
            IssuedDocument.objects.filter(pk__in=list(earlier.values_list("pk", flat=True))).update(
                is_void=True,
                voided_by=job.requested_by,
                voided_at=timezone.now(),
                void_reason=REISSUE_REASON.format(serial=document.serial),
            )
        pdpa_log.info(
            "document_issued type=%s serial=%s user=%s user_id=%s graduates=%s school_id=%s",
            document.type,
            document.serial,
            getattr(job.requested_by, "username", ""),
            job.requested_by_id,
            report.graduates.count(),
            document.school_id,
        )
    with transaction.atomic(), audited(job.requested_by, "สร้าง ปพ.3 เสร็จ"):
        if not jobs.holds_lease(ReportJob, job.pk, owner, running=ReportJob.Status.RUNNING):
            raise jobs.LeaseLost(job.pk)
        with document.file.open("rb") as handle:
            job.file.save(f"{job.type}-{job.code}.pdf", ContentFile(handle.read()), save=False)
        ReportJob.objects.filter(pk=job.pk).update(
            file=job.file.name, status=ReportJob.Status.DONE, finished_at=timezone.now(), error="", progress_done=1
        )
        # The registrar is told it is ready, as for every other document job.
        documents._notify(job.pk)


def log_graduate_search(*, user: User, national_id: str, rows: list[dict], via: str) -> None:
    """Every officer search of issued ปพ.3 rows is a read of personal data (PDPA): who, the ID
    asked for (masked), whose rows were shown."""
    from students import identity

    pdpa_log.info(
        "personal_data_read page=graduate_search via=%s national_id=%s found=%d students=%s user=%s user_id=%s",
        via,
        identity.mask_national_id(national_id),
        len(rows),
        ",".join(sorted({str(row["student_code"]) for row in rows})),
        getattr(user, "username", ""),
        getattr(user, "pk", None),
    )


def log_xlsx_download(*, user: User, document: IssuedDocument) -> None:
    pdpa_log.info(
        "document_download what=pp3_xlsx document=%s user=%s user_id=%s school_id=%s",
        document.serial,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        document.school_id,
    )
