"""Issuing official documents: report jobs, serials, verification codes, voiding.

A request creates a ReportJob and queues its id when the transaction commits; the Celery task
(`reports.render_job`) runs `report_job_run`, which claims the job's lease (qinfo.jobs) and
renders one document per student while renewing it.

No serial twice, nothing lost when a worker is killed (SIGKILL) mid-job: each student's
IssuedDocument row is keyed by (job, student). Its serial and verification code are reserved
in a short transaction before rendering (a resumed job finds the row and prints the same
serial); the file is stored and the row marked issued in a second transaction that also checks
the lease and voids the student's earlier copy. A student whose row is issued is skipped on
resume; one whose file was being written when the worker died is rendered again under the
same serial.
"""

from __future__ import annotations

import io
import logging
import secrets
import zipfile
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from academics.models import CourseSection
from qinfo import jobs, thaidate
from qinfo.audit import audited
from reports import preprinted, signing
from reports.models import (
    PER_COHORT_TYPES,
    PER_SECTION_TYPES,
    PER_TERM_TYPES,
    DocumentType,
    IssuedDocument,
    PrintMode,
    ReportJob,
)
from reports.pdf import render_pdf
from reports.selectors import documents as selectors
from reports.selectors import preprinted as preprinted_selectors
from reports.selectors import signing as signing_selectors
from schools.models import School, Term, User
from students.models import Classroom, Student

logger = logging.getLogger(__name__)
pdpa_log = logging.getLogger("qinfo.pdpa")

# No 0/O, 1/I/L: read aloud or typed from paper without mistakes. 32^12 = 2^60 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
EXPIRED_MESSAGE = "ไฟล์หมดอายุแล้ว — ขอใหม่ได้"
MERGED_NAME = "รวมทุกคน.pdf"  # the batch zip's one PDF of every student, in print order
REISSUE_REASON = "ออกฉบับใหม่แทน ({number})"  # the printed number: เลขที่ 000123/2569, or the sheet's
FAILED_MESSAGE = (
    "สร้างเอกสารไม่สำเร็จเนื่องจากเกิดข้อผิดพลาดในระบบ ยังไม่ได้ออกเอกสารที่เหลือ กด “ลองอีกครั้ง” หากยังไม่สำเร็จโปรดแจ้งผู้ดูแลระบบ"
)
SHEET_TAKEN_MESSAGE = (
    "แบบพิมพ์ชุดที่ {form_set} เลขที่ {form_number} ถูกใช้ออกเอกสารฉบับอื่นไปแล้วระหว่างรอคิว "
    "เอกสารที่ออกก่อนหน้านี้ยังอยู่ครบ โปรดขอออกเอกสารใหม่โดยระบุเลขที่แผ่นแรกที่ยังไม่ได้ใช้"
)
INCOMPLETE_MESSAGE = (
    "ออกเอกสารไม่ครบ: นักเรียน {short:,} คนจาก {total:,} คนที่ขอยังไม่ได้เอกสารฉบับสมบูรณ์{names} "
    "ระบบจึงยังไม่ส่งไฟล์รวม เอกสารที่ออกแล้วยังอยู่ครบ กด “ลองอีกครั้ง” หากยังไม่ครบโปรดแจ้งผู้ดูแลระบบ"
)
WORKER_LOST_MESSAGE = (
    "การสร้างเอกสารหยุดกลางคันเพราะเครื่องประมวลผลงานเบื้องหลังหยุดทำงานซ้ำหลายครั้ง "
    "เอกสารที่ออกแล้วยังอยู่ครบ กด “ลองอีกครั้ง” เพื่อสร้างส่วนที่เหลือ"
)


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _be_year(day: date) -> int:
    return day.year + 543


def _next_number(school_id: int, doc_type: str, year: int) -> int:
    """The next serial of a school's documents of one type in one BE year. A transaction-scoped
    advisory lock serialises the few concurrent issuers of one school, without locking rows
    that other writes need; the unique constraint backs it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"serial:{school_id}:{doc_type}:{year}"])
    last = (
        IssuedDocument.objects.filter(school_id=school_id, type=doc_type, year=year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return (last or 0) + 1


def _log_issue(document: IssuedDocument, student: Student, by: User) -> None:
    pdpa_log.info(
        "document_issued type=%s serial=%s user=%s user_id=%s student=%s student_number=%s school_id=%s",
        document.type,
        document.serial,
        getattr(by, "username", ""),
        getattr(by, "pk", None),
        student.code,
        student.student_number,
        document.school_id,
    )


def log_download(*, user: User, what: str, job: ReportJob | None = None, document: IssuedDocument | None = None):
    pdpa_log.info(
        "document_download what=%s job=%s document=%s user=%s user_id=%s school_id=%s",
        what,
        job.code if job else "",
        document.serial if document else "",
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        (job or document).school_id,
    )


def render_student_pdf(
    student: Student,
    *,
    document: IssuedDocument | None,
    issued_on: date,
    registrar: str = "",
    print_mode: str = PrintMode.PLAIN,
    offset=None,
) -> bytes:
    """A ปพ.1 of one student as PDF bytes (a specimen without serial when `document` is None):
    the whole form on plain paper, or only the data at the pre-printed sheet's positions shifted
    by `offset` (x, y mm; the school's printer offset when not given)."""
    context = selectors.pp1_context(student, document=document, issued_on=issued_on, registrar=registrar)
    if print_mode == PrintMode.PREPRINTED:
        if offset is None:
            offset = preprinted_selectors.printer_offset(student.school)
        context = preprinted_selectors.preprinted_context(context, offset=offset)
        return render_pdf(preprinted_selectors.PREPRINTED_TEMPLATE, context)
    return render_pdf(selectors.PP1_TEMPLATE, context)


def render_pp6_pdf(student: Student, term: Term, *, document: IssuedDocument | None, issued_on: date) -> bytes:
    """A ปพ.6 of one student for one term (a specimen without serial when `document` is None)."""
    context = selectors.pp6_context(student, term, document=document, issued_on=issued_on)
    return render_pdf(selectors.PP6_TEMPLATE, context)


def render_pp5_pdf(section: CourseSection, *, issued_on: date) -> bytes:
    """The ปพ.5 of a course section as PDF bytes."""
    return render_pdf(selectors.PP5_TEMPLATE, selectors.pp5_context(section, issued_on=issued_on))


def _render_for(
    job: ReportJob,
    student: Student,
    *,
    document: IssuedDocument,
    issued_on: date,
    registrar: str,
    term: Term | None,
    offset=None,
) -> bytes:
    if job.type == DocumentType.PP6:
        return render_pp6_pdf(student, term, document=document, issued_on=issued_on)
    if job.type == DocumentType.PP7:
        from reports.services.pp3_pp7 import render_pp7_pdf

        return render_pp7_pdf(
            student, document=document, issued_on=issued_on, purpose=document.purpose, registrar=registrar
        )
    return render_student_pdf(
        student,
        document=document,
        issued_on=issued_on,
        registrar=registrar,
        print_mode=document.print_mode,
        offset=offset,
    )


def render_calibration_pdf(school: School, *, offset=None) -> bytes:
    """The test page a registrar prints to measure the printer's offset (reports.preprinted)."""
    if offset is None:
        offset = preprinted_selectors.printer_offset(school)
    # A measuring page, not an official document: its scales stay in Arabic digits.
    context = {**preprinted_selectors.calibration_context(school, offset=offset), "thai_digits": False}
    return render_pdf(preprinted_selectors.CALIBRATION_TEMPLATE, context)


# --- Requests -----------------------------------------------------------------------------------


def _send(job_id: int) -> None:
    from reports.tasks import render_job

    render_job.delay(job_id)


def _send_after_commit(job_id: int) -> None:
    """The job is saved as queued: if the broker fails now, the job sweep sends it later."""
    try:
        _send(job_id)
    except Exception:
        logger.warning("report job %s could not be queued now; the job sweep will send it", job_id, exc_info=True)


@transaction.atomic
def report_job_request(
    *,
    school: School,
    students: list[Student],
    by: User,
    doc_type: str = DocumentType.PP1,
    classroom: Classroom | None = None,
    term: Term | None = None,
    section: CourseSection | None = None,
    print_mode: str = PrintMode.PLAIN,
    form_set: str = "",
    form_first_number: str = "",
    purpose: str = "",
) -> ReportJob:
    """Ask for one document per student (ปพ.6 for `term`), or for the ปพ.5 of `section`; the
    worker renders them. Returns at once.

    On the Ministry's pre-printed ปพ.1 (`print_mode` PREPRINTED) the registrar gives the
    ชุดที่ and the เลขที่ of the first sheet in the printer; student i gets sheet first + i.
    A ปพ.7 needs its `purpose` (เพื่อใช้ ...); a ปพ.3 is asked for with
    `reports.services.pp3_pp7.pp3_request`."""
    if doc_type in PER_COHORT_TYPES:
        raise ValidationError({"type": "ขอออก ปพ.3 ได้จากหน้ารายงานผู้สำเร็จการศึกษาของโรงเรียน"})
    purpose = " ".join((purpose or "").split())
    if doc_type == DocumentType.PP7 and not purpose:
        raise ValidationError({"purpose": "กรุณาระบุว่าจะนำใบรับรองผลการศึกษาไปใช้เพื่ออะไร"})
    if len(purpose) > 200:
        raise ValidationError({"purpose": "ข้อความ “เพื่อใช้” ยาวเกิน 200 ตัวอักษร"})
    if doc_type in PER_SECTION_TYPES:
        if section is None or section.school_id != school.pk:
            raise ValidationError({"section": "ไม่พบกลุ่มการเรียนที่จะพิมพ์ ปพ.5 ในโรงเรียนนี้"})
        students = []
        parameters = {
            "students": [],
            "section": str(section.code),
            "label": f"{section.subject.subject_code} {section.label}",
        }
    else:
        if not students:
            raise ValidationError({"students": "ไม่มีนักเรียนให้ออกเอกสาร"})
        if any(s.school_id != school.pk for s in students):
            raise ValidationError({"students": "ออกเอกสารได้เฉพาะนักเรียนของโรงเรียนนี้"})
        parameters = {"students": [s.pk for s in students]}
    if doc_type in PER_TERM_TYPES:
        if term is None or term.school_id != school.pk:
            raise ValidationError({"term": "กรุณาเลือกภาคเรียนของโรงเรียนนี้ที่จะออก ปพ.6"})
        parameters["term"] = term.pk
        parameters["label"] = f"ภาคเรียนที่ {term.number}/{term.academic_year.year}"
    if classroom is not None:
        parameters["classroom"] = str(classroom.code)
    if doc_type == DocumentType.PP7:
        parameters["purpose"] = purpose
    parameters.update(_print_parameters(school, doc_type, print_mode, form_set, form_first_number, len(students)))
    with audited(by, "ขอออกเอกสาร"):
        job = ReportJob(
            school=school,
            requested_by=by,
            type=doc_type,
            parameters=parameters,
            classroom=classroom,
            progress_total=len(students) or 1,
            heartbeat_at=timezone.now(),
        )
        job.full_clean()
        job.save()
    job_id = job.pk
    transaction.on_commit(lambda: _send_after_commit(job_id))
    return job


def _print_parameters(school: School, doc_type: str, print_mode: str, form_set: str, first: str, count: int) -> dict:
    """The job parameters of the print mode, checked: the sheets exist as numbers and none of
    them was used before by this school (a sheet is used once, even if its document was voided)."""
    if print_mode not in PrintMode.values:
        raise ValidationError({"print_mode": "โปรดเลือกรูปแบบการพิมพ์: กระดาษเปล่าหรือแบบพิมพ์ของกระทรวง"})
    if print_mode == PrintMode.PLAIN:
        return {"print_mode": PrintMode.PLAIN}
    if doc_type != DocumentType.PP1:
        raise ValidationError({"print_mode": "พิมพ์ลงแบบพิมพ์ของกระทรวงได้เฉพาะ ปพ.1"})
    try:
        set_text, numbers = preprinted.sheet_numbers(form_set, first, count)
    except preprinted.SheetNumberError as error:
        raise ValidationError({error.field: str(error)}) from error
    used = sorted(
        IssuedDocument.objects.filter(
            school=school, type=doc_type, form_set=set_text, form_number__in=numbers
        ).values_list("form_number", flat=True)
    )
    if used:
        shown = ", ".join(used[:5]) + (" …" if len(used) > 5 else "")
        raise ValidationError(
            {"form_first_number": f"แบบพิมพ์ชุดที่ {set_text} เลขที่ {shown} เคยใช้ออกเอกสารแล้ว โปรดตรวจเลขที่แผ่นแรกในเครื่องพิมพ์"}
        )
    return {"print_mode": PrintMode.PREPRINTED, "form_set": set_text, "form_numbers": numbers}


def _sheet_of(job: ReportJob, student_id: int) -> dict:
    """The pre-printed sheet a job's student is printed on: fixed by the student's place in the
    job, so a resumed job prints the same sheet numbers."""
    parameters = job.parameters
    if parameters.get("print_mode") != PrintMode.PREPRINTED:
        return {}
    index = job.student_ids.index(student_id)
    return {
        "print_mode": PrintMode.PREPRINTED,
        "form_set": parameters["form_set"],
        "form_number": parameters["form_numbers"][index],
    }


def report_job_retry(*, job: ReportJob, by: User) -> ReportJob:
    """Run a failed job again: the documents already issued stay; the rest are made. Not once
    the retention sweep deleted its files: a new request makes them again."""
    if job.expired_at or IssuedDocument.objects.filter(job=job, file_expired_at__isnull=False).exists():
        raise ValidationError({"job": EXPIRED_MESSAGE})
    with transaction.atomic(), audited(by, "ลองสร้างเอกสารอีกครั้ง"):
        reopened = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.FAILED).update(
            status=ReportJob.Status.QUEUED, error="", finished_at=None, attempts=0, lease_owner="",
            heartbeat_at=timezone.now(),
        )  # fmt: skip
        if not reopened:
            raise ValidationError({"job": "งานนี้ไม่ได้อยู่ในสถานะไม่สำเร็จ จึงลองใหม่ไม่ได้"})
        job_id = job.pk
        transaction.on_commit(lambda: _send_after_commit(job_id))
    return ReportJob.objects.get(pk=job.pk)


# --- The worker's side --------------------------------------------------------------------------


def _reserve(job: ReportJob, student_id: int, *, year: int) -> IssuedDocument:
    """The (job, student) row with its serial: found when a killed run reserved it already."""
    sheet = _sheet_of(job, student_id)
    with transaction.atomic():
        existing = IssuedDocument.objects.filter(job=job, student_id=student_id).first()
        if existing is not None:
            return existing
        # The serial's advisory lock (school, type, year) also serialises the sheet check.
        number = _next_number(job.school_id, job.type, year)
        if (
            sheet
            and IssuedDocument.objects.filter(
                school_id=job.school_id, type=job.type, form_set=sheet["form_set"], form_number=sheet["form_number"]
            ).exists()
        ):
            # Another request took this sheet after this one was checked (the unique
            # constraint backs this): stop, in Thai, rather than print on a used sheet.
            raise selectors.NoDocument(SHEET_TAKEN_MESSAGE.format(**sheet))
        with audited(job.requested_by, "จองเลขที่เอกสาร"):
            return IssuedDocument.objects.create(
                school_id=job.school_id,
                student_id=student_id,
                type=job.type,
                year=year,
                number=number,
                verification_code=new_verification_code(),
                job=job,
                issued_by=job.requested_by,
                term_id=job.parameters.get("term") if job.type in PER_TERM_TYPES else None,
                purpose=job.parameters.get("purpose", ""),
                **sheet,
            )


def _store(job: ReportJob, document: IssuedDocument, pdf: bytes, *, owner: str, signer_fingerprint: str = "") -> None:
    """Store the file, mark the document issued, void the student's earlier copy, count it."""
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    with transaction.atomic(), audited(job.requested_by, "ออกเอกสาร"):
        if not jobs.holds_lease(ReportJob, job.pk, owner, running=ReportJob.Status.RUNNING):
            raise jobs.LeaseLost(job.pk)
        document.file.save(f"{document.type}-{document.year}-{document.number:06d}.pdf", ContentFile(pdf), save=False)
        document.issued_at = timezone.now()
        document.pages = pages
        document.signer_fingerprint = signer_fingerprint
        document.save(update_fields=["file", "issued_at", "pages", "signer_fingerprint"])
        IssuedDocument.objects.filter(
            school_id=document.school_id,
            student_id=document.student_id,
            type=document.type,
            is_void=False,
            issued_at__isnull=False,
            term_id=document.term_id,  # a ปพ.6 replaces that term's copy only
        ).exclude(pk=document.pk).update(
            is_void=True,
            voided_by=job.requested_by,
            voided_at=timezone.now(),
            void_reason=REISSUE_REASON.format(number=document.printed_number),
        )
        done = IssuedDocument.objects.filter(job=job, issued_at__isnull=False).count()
        ReportJob.objects.filter(pk=job.pk).update(progress_done=done)


def _complete(document: IssuedDocument | None) -> bool:
    """Issued, with pages, and its file in storage and not empty."""
    if document is None or not document.pages or not document.file:
        return False
    try:
        return document.file.storage.size(document.file.name) > 0
    except OSError:
        return False


def _check_complete(job: ReportJob) -> None:
    """Every student the job was asked for has a complete document, or the job stops with a
    Thai message naming who is short (never a silently short batch, the peer systems'
    failure): a requested student the loop did not reach, a document without pages, a file
    lost from storage."""
    documents = {d.student_id: d for d in IssuedDocument.objects.filter(job=job, issued_at__isnull=False)}
    requested = job.student_ids
    short = [pk for pk in requested if not _complete(documents.get(pk))]
    if not short:
        return
    named = [s.full_name for s in Student.objects.filter(pk__in=short[:5]).order_by("student_number")]
    names = f" ({', '.join(named)}{' …' if len(short) > len(named) else ''})" if named else ""
    raise selectors.NoDocument(INCOMPLETE_MESSAGE.format(short=len(short), total=len(requested), names=names))


def _file_name(index: int, student: Student) -> str:
    return f"{index:02d}-{student.student_number}-{student.first_name}-{student.last_name}.pdf"


def _merged(pdfs: list[bytes]) -> bytes:
    """The students' documents as one PDF, without their signature fields: each signature
    covers its own file's bytes only and would not validate inside another file; the merged
    file is signed as a whole instead (`_bundle`)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    merged = PdfWriter()
    for data in pdfs:
        merged.append(io.BytesIO(data))
    for page in merged.pages:
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = [a for a in annotations.get_object() if a.get_object().get("/FT") != "/Sig"]
        if kept:
            page[NameObject("/Annots")] = ArrayObject(kept)
        else:
            del page["/Annots"]
    if "/AcroForm" in merged._root_object:
        del merged._root_object["/AcroForm"]
    buffer = io.BytesIO()
    merged.write(buffer)
    return buffer.getvalue()


def _bundle(job: ReportJob, students: list[Student], signer=None) -> tuple[bytes, str]:
    """One PDF for one student; for a batch a zip of one PDF per student plus one merged PDF,
    signed with the school's certificate like the documents in it (when the school has one)."""

    documents = {d.student_id: d for d in IssuedDocument.objects.filter(job=job, issued_at__isnull=False)}
    missing = [s for s in students if s.pk not in documents]
    if missing:
        # Never a silently short batch (the peer systems' failure).
        raise RuntimeError(f"report job {job.code}: {len(missing)} documents missing")
    if len(students) == 1:
        with documents[students[0].pk].file.open("rb") as handle:
            return handle.read(), "pdf"
    buffer = io.BytesIO()
    pdfs = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, student in enumerate(students, start=1):
            with documents[student.pk].file.open("rb") as handle:
                data = handle.read()
            archive.writestr(_file_name(index, student), data)
            pdfs.append(data)
        merged = _merged(pdfs)
        if signer is not None:
            merged = signer.sign(merged, reason=f"{job.get_type_display()} รวม {len(students)} ฉบับ")
        archive.writestr(MERGED_NAME, merged)
    return buffer.getvalue(), "zip"


def _work_section(job: ReportJob, owner: str) -> None:
    """A ปพ.5: one document of a section, no serial; stored as the job's file."""
    section = CourseSection.objects.get(code=job.parameters["section"])
    pdf = render_pp5_pdf(section, issued_on=timezone.localdate())
    with transaction.atomic(), audited(job.requested_by, "สร้าง ปพ.5 เสร็จ"):
        if not jobs.holds_lease(ReportJob, job.pk, owner, running=ReportJob.Status.RUNNING):
            raise jobs.LeaseLost(job.pk)
        job.file.save(f"{job.type}-{job.code}.pdf", ContentFile(pdf), save=False)
        ReportJob.objects.filter(pk=job.pk).update(
            file=job.file.name, status=ReportJob.Status.DONE, finished_at=timezone.now(), error="", progress_done=1
        )
        _notify(job.pk)
    pdpa_log.info(
        "document_issued type=%s section=%s user=%s user_id=%s school_id=%s",
        job.type,
        section.code,
        getattr(job.requested_by, "username", ""),
        job.requested_by_id,
        job.school_id,
    )


def _work(job_id: int, owner: str) -> None:
    job = ReportJob.objects.select_related("requested_by", "school").get(pk=job_id)
    if job.type in PER_SECTION_TYPES:
        _work_section(job, owner)
        return
    if job.type in PER_COHORT_TYPES:
        from reports.services.pp3_pp7 import work_cohort

        work_cohort(job, owner)
        return
    order = job.student_ids
    by_id = Student.objects.in_bulk(order)
    students = [by_id[pk] for pk in order if pk in by_id]
    today = timezone.localdate()
    registrar = job.requested_by.get_full_name()
    term = Term.objects.get(pk=job.parameters["term"]) if job.type in PER_TERM_TYPES else None
    # Every issued document is signed with the school's certificate, when it has one.
    signer = signing_selectors.school_signer(job.school)
    offset = preprinted_selectors.printer_offset(job.school)
    for student in students:
        document = _reserve(job, student.pk, year=_be_year(today))
        if document.issued:
            continue
        pdf = _render_for(
            job, student, document=document, issued_on=today, registrar=registrar, term=term, offset=offset
        )
        if signer is not None:
            pdf = signer.sign(pdf, reason=f"{document.get_type_display()} {document.printed_number}")
        _store(job, document, pdf, owner=owner, signer_fingerprint=signer.fingerprint if signer else "")
        _log_issue(document, student, job.requested_by)
    _check_complete(job)
    data, extension = _bundle(job, students, signer)
    with transaction.atomic(), audited(job.requested_by, "สร้างเอกสารเสร็จ"):
        if not jobs.holds_lease(ReportJob, job_id, owner, running=ReportJob.Status.RUNNING):
            raise jobs.LeaseLost(job_id)
        job.file.save(f"{job.type}-{job.code}.{extension}", ContentFile(data), save=False)
        ReportJob.objects.filter(pk=job_id).update(
            file=job.file.name, status=ReportJob.Status.DONE, finished_at=timezone.now(), error=""
        )
        _notify(job_id)


def _job_title(job: ReportJob) -> str:
    """What a notice calls the job: เอกสาร ปพ.1 ห้อง ม.1/1, เอกสาร ปพ.1 ของ ด.ช.…, เอกสาร ปพ.5 ท21101 …"""
    words = [f"เอกสาร {job.get_type_display().split(' ', 1)[0]}"]
    if job.classroom_id:
        words.append(f"ห้อง {job.classroom.name}")
    elif len(job.student_ids) == 1:
        student = Student.objects.filter(pk=job.student_ids[0]).first()
        if student is not None:
            words.append(f"ของ {student.full_name}")
    if job.parameters.get("label"):
        words.append(job.parameters["label"])
    return " ".join(words)


def _notify(job_id: int, *, failed_at=None) -> None:
    """The requester's inbox notice of a finished job, in the transaction that finishes it:
    once for done (keyed by the job), once per failure (keyed by the moment it failed)."""
    from django.urls import reverse

    from earlywarning.models import Alert
    from earlywarning.services.notices import notice_send

    job = ReportJob.objects.select_related("classroom__grade_level").get(pk=job_id)
    title = _job_title(job)
    if failed_at is None:
        kind, key = Alert.Kind.DOCUMENTS_READY, f"report_job:{job.code}:done"
        title = f"{title} พร้อมดาวน์โหลด ({job.progress_done:,} ฉบับ)"
        body = f"สร้างเสร็จเมื่อ {thaidate.format_long(timezone.localdate())} ดาวน์โหลดได้ที่หน้างานสร้างเอกสาร"
    else:
        kind, key = Alert.Kind.DOCUMENTS_FAILED, f"report_job:{job.code}:failed:{failed_at.isoformat()}"
        title = f"{title} สร้างไม่สำเร็จ"
        body = f"{job.error} (สร้างแล้ว {job.progress_done:,} / {job.progress_total:,} ฉบับ)"
    notice_send(
        recipient_id=job.requested_by_id,
        school_id=job.school_id,
        kind=kind,
        title=title,
        body=body,
        link=reverse("reports:report_job", args=[job.code]),
        dedup_key=key,
    )


@transaction.atomic
def _mark_failed(job_id: int, message: str, *, owner: str | None = None) -> bool:
    jobs_to_fail = ReportJob.objects.filter(pk=job_id)
    if owner is not None:
        jobs_to_fail = jobs_to_fail.filter(lease_owner=owner, status=ReportJob.Status.RUNNING)
    else:
        jobs_to_fail = jobs_to_fail.exclude(status__in=[ReportJob.Status.DONE, ReportJob.Status.FAILED])
    now = timezone.now()
    failed = bool(jobs_to_fail.update(status=ReportJob.Status.FAILED, error=message, finished_at=now))
    if failed:
        _notify(job_id, failed_at=now)
    return failed


def report_job_run(*, job_id: int) -> str:
    """The Celery task's body: claim the lease (a second delivery does nothing), render while
    renewing it, or fail the job with a Thai message and a retry."""
    owner = jobs.claim(ReportJob, job_id, waiting=(ReportJob.Status.QUEUED,), running=ReportJob.Status.RUNNING)
    if owner is None:
        return "skipped"
    try:
        with jobs.heartbeat(ReportJob, job_id, owner):
            _work(job_id, owner)
    except jobs.LeaseLost:
        logger.warning("report job %s was taken over by another worker", job_id)
        return "lost"
    except (selectors.NoDocument, signing.CertificateError) as refusal:
        _mark_failed(job_id, str(refusal), owner=owner)
        return "refused"
    except Exception:
        logger.exception("report job %s failed", job_id)
        _mark_failed(job_id, FAILED_MESSAGE, owner=owner)
        return "failed"
    return "done"


def report_job_give_up(job_id: int) -> None:
    """Called by the job sweep for a job that lost its worker JOB_MAX_ATTEMPTS times."""
    _mark_failed(job_id, WORKER_LOST_MESSAGE)


jobs.register(
    "reports.render_job",
    model=ReportJob,
    waiting=(ReportJob.Status.QUEUED,),
    running=ReportJob.Status.RUNNING,
    enqueue=_send,
    give_up=report_job_give_up,
)


@transaction.atomic
def document_void(*, document: IssuedDocument, reason: str, by: User) -> IssuedDocument:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "กรุณาระบุเหตุที่ยกเลิกเอกสาร"})
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.is_void:
        raise ValidationError({"document": "เอกสารนี้ถูกยกเลิกไปแล้ว"})
    with audited(by, reason):
        document.is_void = True
        document.voided_by = by
        document.voided_at = timezone.now()
        document.void_reason = reason[:200]
        document.save(update_fields=["is_void", "voided_by", "voided_at", "void_reason"])
    return document
