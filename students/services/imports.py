"""Student import with the database: preview (checks against what the school already has)
and commit (everything in one transaction, or nothing).

Parsing and per-row checks that need no database live in students.importing. Here:
- an ID that already belongs to a student of another school is refused (without naming it);
- a row whose ID (or, lacking one, student number) matches a student of this school updates
  that student, so importing the same file twice never makes duplicates;
- a classroom that does not exist for the grade/room/year is an error, unless the registrar
  asked for missing classrooms to be created;
- the commit re-checks everything against the database inside its transaction, so a preview
  that went stale between the click and the commit cannot write half a file; the file's own
  rows are not read again when the preview kept them for the same bytes, mapping, options and
  date (see "The checked rows" below).

Files above IMPORT_PARSE_IN_WORKER_BYTES or _ROWS are read and checked by the Celery task
students.import_parse instead of the request (see "Big files" below). Files of more than
ASYNC_THRESHOLD rows are committed by the Celery task students.import_commit;
its progress goes to the cache (the job row only changes when the transaction commits). The task
holds the job's lease (qinfo.jobs): a job whose worker died is queued again by the sweep, or
failed with a retry button after JOB_MAX_ATTEMPTS starts, never left "running".
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from qinfo import cache as degrading_cache
from qinfo import jobs
from qinfo.audit import audited
from qinfo.bulk import copy_rows
from schools.models import AcademicYear, School, User
from students import importing
from students.importing import RowError
from students.models import Classroom, Enrolment, GradeLevel, Guardian, ImportJob, ImportMapping, Student

logger = logging.getLogger(__name__)

ASYNC_THRESHOLD = 300
SAMPLE_SIZE = 10
MAX_STORED_ERRORS = 1000
CHUNK = 500
PROGRESS_TTL = 24 * 60 * 60
LAYOUTS = (importing.DMC, importing.DLA, importing.CUSTOM)

# Values of a record that describe the enrolment or are only checked, never stored on the student.
_NOT_ON_STUDENT = {"grade", "room", "number", "age", "weight", "height"}
STUDENT_IMPORT_FIELDS = (
    "student_number",
    "national_id",
    "g_code",
    "prefix",
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "religion",
    "nationality",
    "ethnicity",
    "blood_group",
    "house_no",
    "moo",
    "street",
    "subdistrict",
    "district",
    "province",
    "postcode",
    "phone",
    "disadvantages",
    "entry_date",
    "previous_school",
)


# Checked by full_clean, a foreign key costs a query per row; ours come from the job and the
# plan, so only the values from the file are validated.
_RELATIONS = ["school", "academic_year", "grade_level", "student", "user"]


class ImportRefused(Exception):
    """The file no longer passes the checks at commit time; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def audit_reason(job: ImportJob) -> str:
    return f"นำเข้าจากไฟล์ {job.original_name}"


def progress_key(job: ImportJob) -> str:
    return f"import-progress:{job.code}"


def import_progress(job: ImportJob) -> int | None:
    """Rows written so far: the cache while the job runs (None when the cache cannot say), the
    row once it has finished."""
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        value = cache.get(progress_key(job))
        if value is None and not degrading_cache.available():
            return None
        return int(value or 0)
    return job.processed_rows


# --- Planning: the checks a preview shows and a commit repeats ------------------------------


@dataclass
class _Item:
    record: importing.Record
    student: Student | None  # the existing student this row updates, if any
    classroom_key: tuple[str, int] | None = None


@dataclass
class _Plan:
    items: list[_Item] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    grade_levels: dict[str, GradeLevel] = field(default_factory=dict)
    classrooms: dict[tuple[str, int], Classroom] = field(default_factory=dict)
    missing_classrooms: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    # What the file's rows gave, before the database checks (None when the mapping is unusable).
    checked: importing.Result | None = None

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})


def _classroom_name(key: tuple[str, int]) -> str:
    return f"{importing.GRADE_SHORT[key[0]]}/{key[1]}"


def _plan(
    *,
    school: School,
    academic_year: AcademicYear,
    table: importing.Table | None,
    mapping: dict[str, str],
    create_missing_classrooms: bool,
    lock: bool = False,
    checked: importing.Result | None = None,
    today: date | None = None,
) -> _Plan:
    """The file's own checks (importing.validate_rows on `table`, or their `checked` result kept
    from the preview of the very same bytes and mapping), then the checks against the database."""
    if checked is None:
        if table is None:
            raise TypeError("_plan needs the table when no checked rows are given")
        plan = _Plan(total_rows=len(table.rows))
        plan.problems = importing.mapping_problems(table.headers, mapping)
        if plan.problems:
            plan.errors = [RowError(None, "", "", problem) for problem in plan.problems]
            return plan
        checked = importing.validate_rows(table, mapping, today=today or timezone.localdate())
    else:
        plan = _Plan(total_rows=checked.total_rows)
    result = plan.checked = checked
    plan.errors = list(result.errors)
    header_of = {target: header for header, target in mapping.items() if target}

    def column(key: str) -> str:
        return header_of.get(key) or importing.FIELDS_BY_KEY[key].label

    records = result.records
    national_ids = [r.national_id for r in records if r.national_id]
    g_codes = [r.g_code for r in records if r.g_code]
    numbers = [r.values["student_number"] for r in records]
    students = Student.objects.filter(
        Q(national_id__any_of=national_ids)
        | Q(g_code__any_of=g_codes)
        | Q(school=school, student_number__any_of=numbers)
    )
    if lock:
        # Two commits touching the same students wait for each other instead of racing.
        students = students.select_for_update(of=("self",))
    by_national: dict[str, Student] = {}
    by_g_code: dict[str, Student] = {}
    by_number: dict[str, Student] = {}
    for student in students:
        if student.national_id:
            by_national[student.national_id] = student
        if student.g_code:
            by_g_code[student.g_code] = student
        if student.school_id == school.pk:
            by_number[student.student_number] = student

    plan.grade_levels = {level.code: level for level in GradeLevel.objects.all()}
    plan.classrooms = {
        (room.grade_level.code, room.room): room
        for room in Classroom.objects.filter(school=school, academic_year=academic_year).select_related("grade_level")
    }

    candidates: list[_Item] = []
    for record in records:
        v = record.values
        holder = by_national.get(record.national_id) if record.national_id else None
        if holder is None and record.g_code:
            holder = by_g_code.get(record.g_code)
        problems: list[RowError] = []
        if holder is not None and holder.school_id != school.pk:
            problems.append(
                RowError(
                    record.row,
                    column("identifier"),
                    record.identifier or "",
                    "เลขนี้เป็นของนักเรียนในโรงเรียนอื่นของระบบอยู่แล้ว นำเข้าซ้ำไม่ได้ (หากนักเรียนย้ายมา ให้ทำเรื่องรับย้ายเข้า)",
                )
            )
        same_number = by_number.get(v["student_number"])
        target = holder if holder is not None and holder.school_id == school.pk else None
        if target is None and same_number is not None:
            if same_number.identifier and record.identifier and same_number.identifier != record.identifier:
                target = None
                problems.append(
                    RowError(
                        record.row,
                        column("student_number"),
                        v["student_number"],
                        f"เลขประจำตัวนักเรียน {v['student_number']} เป็นของ {same_number.full_name} "
                        "ซึ่งมีเลขประจำตัวประชาชนต่างจากในไฟล์",
                    )
                )
            else:
                target = same_number
        elif target is not None and same_number is not None and same_number.pk != target.pk:
            problems.append(
                RowError(
                    record.row,
                    column("student_number"),
                    v["student_number"],
                    f"เลขประจำตัวนักเรียน {v['student_number']} เป็นของ {same_number.full_name} ในโรงเรียนนี้อยู่แล้ว",
                )
            )
        key = (v["grade"], v["room"]) if v.get("grade") and v.get("room") else None
        if key is not None and key not in plan.classrooms:
            if create_missing_classrooms:
                plan.missing_classrooms.add(key)
            else:
                problems.append(
                    RowError(
                        record.row,
                        column("room"),
                        str(v["room"]),
                        f"ไม่พบห้อง {_classroom_name(key)} ในปีการศึกษา {academic_year.year} "
                        "(สร้างห้องก่อน หรือเลือก “สร้างห้องที่ยังไม่มีให้อัตโนมัติ”)",
                    )
                )
        if problems:
            plan.errors.extend(problems)
        else:
            candidates.append(_Item(record=record, student=target, classroom_key=key))

    # Seats (classroom + number) taken by students other than those this file gives a new seat.
    in_file = {
        item.student.pk
        for item in candidates
        if item.student is not None and item.classroom_key and item.record.values.get("number")
    }
    wanted_rooms = [
        plan.classrooms[item.classroom_key].pk for item in candidates if item.classroom_key in plan.classrooms
    ]
    taken = {
        (classroom_id, number): (student_id, f"{prefix}{first} {last}")
        for classroom_id, number, student_id, prefix, first, last in Enrolment.objects.filter(
            classroom_id__in=set(wanted_rooms), number__isnull=False
        ).values_list(
            "classroom_id", "number", "student_id", "student__prefix", "student__first_name", "student__last_name"
        )
    }
    for item in candidates:
        number = item.record.values.get("number")
        classroom = plan.classrooms.get(item.classroom_key) if item.classroom_key else None
        if classroom is not None and number:
            holder = taken.get((classroom.pk, number))
            if holder and holder[0] not in in_file and (item.student is None or holder[0] != item.student.pk):
                plan.errors.append(
                    RowError(
                        item.record.row,
                        column("number"),
                        str(number),
                        f"เลขที่ {number} ห้อง {classroom.name} เป็นของ {holder[1]} อยู่แล้ว",
                    )
                )
                continue
        plan.items.append(item)
    plan.errors.sort(key=lambda error: error.row or 0)
    return plan


def _summary_of(plan: _Plan, *, table: importing.Table, create_missing_classrooms: bool) -> dict[str, Any]:
    examples: dict[str, str] = {}
    for header_index, header in enumerate(table.headers):
        examples[header] = next((cells[header_index] for _, cells in table.rows[:5] if cells[header_index]), "")
    return {
        "headers": table.headers,
        "examples": examples,
        "header_row": table.header_row,
        "sample": [item.record.sample() for item in plan.items[:SAMPLE_SIZE]],
        "error_count": len(plan.errors),
        "error_rows": plan.error_rows,
        "mapping_problems": plan.problems,
        "to_create": sum(1 for item in plan.items if item.student is None),
        "to_update": sum(1 for item in plan.items if item.student is not None),
        "to_enrol": sum(1 for item in plan.items if item.record.values.get("grade")),
        "guardians": sum(len(item.record.guardians) for item in plan.items),
        "create_missing_classrooms": create_missing_classrooms,
        "new_classrooms": sorted(_classroom_name(key) for key in plan.missing_classrooms),
    }


def _apply_plan(job: ImportJob, plan: _Plan, table: importing.Table, create_missing_classrooms: bool) -> None:
    job.total_rows = plan.total_rows
    job.valid_rows = len(plan.items)
    job.errors = [error.as_dict() for error in plan.errors[:MAX_STORED_ERRORS]]
    committed_by = (job.summary or {}).get("committed_by")
    job.summary = _summary_of(plan, table=table, create_missing_classrooms=create_missing_classrooms)
    if committed_by:
        job.summary["committed_by"] = committed_by


# --- Preview ------------------------------------------------------------------------------


def _read_upload(uploaded_file) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > importing.MAX_BYTES:
        raise ValidationError(
            {"file": f"ไฟล์ใหญ่เกิน {importing.MAX_BYTES // (1024 * 1024)} MB กรุณาแบ่งเป็นหลายไฟล์ (เช่น แยกตามระดับชั้น)"}
        )
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return uploaded_file.read()


def _read(data: bytes, name: str) -> importing.Table:
    try:
        return importing.read_table(data, name)
    except importing.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from None


def _clean_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    cleaned = {}
    for header in headers:
        target = (mapping.get(header) or "").strip()
        if target and target not in importing.FIELDS_BY_KEY:
            raise ValidationError({"mapping": f"คอลัมน์ “{header}” จับคู่กับช่องที่ไม่รู้จัก ({target})"})
        cleaned[header] = target
    return cleaned


def _remember_mapping(school: School, layout: str, mapping: dict[str, str]) -> None:
    ImportMapping.objects.update_or_create(school=school, layout=layout, defaults={"mapping": mapping})


def remembered_mapping(school: School, layout: str) -> dict[str, str]:
    found = ImportMapping.objects.filter(school=school, layout=layout).values_list("mapping", flat=True).first()
    return dict(found or {})


def _extension(name: str, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv" if name.lower().endswith(".csv") or not name else name.rsplit(".", 1)[-1][:8].lower() or "bin"


def _check_request(school: School, academic_year: AcademicYear, layout: str | None) -> None:
    if academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนนี้"})
    if layout and layout not in LAYOUTS:
        raise ValidationError({"layout": f"ไม่รู้จักรูปแบบไฟล์ “{layout}”"})


def _original_name(uploaded_file) -> str:
    name = getattr(uploaded_file, "name", "") or "upload.csv"
    return name.replace("\\", "/").rsplit("/", 1)[-1][:255]


@transaction.atomic
def import_preview(
    *,
    school: School,
    academic_year: AcademicYear,
    uploaded_file,
    layout: str | None = None,
    mapping: dict[str, str] | None = None,
    create_missing_classrooms: bool = False,
    by: User,
) -> ImportJob:
    """Store the upload as a job and check every row, here and now; nothing is imported yet.
    (The pages and the API call import_upload, which leaves a big file to the worker.)"""
    _check_request(school, academic_year, layout)
    original_name = _original_name(uploaded_file)
    data = _read_upload(uploaded_file)
    table = _read(data, original_name)
    layout = layout or importing.detect_layout(table.headers)
    if mapping is None:
        mapping = importing.auto_mapping(table.headers, layout, remembered_mapping(school, layout))
    else:
        mapping = _clean_mapping(mapping, table.headers)
    today = timezone.localdate()
    plan = _plan(
        school=school,
        academic_year=academic_year,
        table=table,
        mapping=mapping,
        create_missing_classrooms=create_missing_classrooms,
        today=today,
    )
    job = ImportJob(
        school=school,
        academic_year=academic_year,
        created_by=by,
        original_name=original_name,
        layout=layout,
        encoding=table.encoding,
        mapping=mapping,
    )
    _apply_plan(job, plan, table, create_missing_classrooms)
    # Stored under a random ASCII name: Thai file names break some storage back-ends.
    job.file.save(f"{uuid.uuid4().hex}.{_extension(original_name, data)}", ContentFile(data), save=False)
    _keep_checked(job, data, plan, today=today, create_missing_classrooms=create_missing_classrooms)
    job.save()
    _remember_mapping(school, layout, mapping)
    return job


FILE_GONE_MESSAGE = "ไม่พบไฟล์ที่อัปโหลดไว้ในระบบ (อาจถูกลบหรือย้ายที่เก็บ) ไม่มีข้อมูลใดถูกบันทึก กรุณาอัปโหลดไฟล์ใหม่อีกครั้ง"


def _job_file_exists(job: ImportJob) -> bool:
    return bool(job.file) and job.file.storage.exists(job.file.name)


def _job_data(job: ImportJob) -> bytes:
    try:
        with job.file.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):
        # The stored upload is gone (storage lost or cleaned): a Thai refusal, never a 500.
        raise ValidationError({"job": FILE_GONE_MESSAGE}) from None


def _job_table(job: ImportJob) -> importing.Table:
    return _read(_job_data(job), job.original_name)


# --- The checked rows, kept with the job for its commit ---------------------------------------
#
# Reading a big .xlsx and checking its rows is most of an import's cost; the commit need not
# pay it twice. Wherever the file is checked (preview, new mapping, the worker's parse), the
# records validate_rows made are written next to the stored upload (gzipped JSON, ~1 MB for
# 10,000 rows), under a key: the digest of the stored bytes, the mapping, the layout, the
# options and the date the age and date checks used. The commit computes the key again and
# uses the kept records only when it matches (otherwise, or when nothing readable is kept, it
# reads the file again); the checks against the database (_plan: IDs, student numbers,
# classrooms, seats) always run again inside the commit's transaction.

CHECKED_VERSION = 1


def _checked_key(
    data: bytes, *, mapping: dict[str, str], layout: str, create_missing_classrooms: bool, today: date
) -> str:
    options = {
        "version": CHECKED_VERSION,
        "file": hashlib.sha256(data).hexdigest(),
        "mapping": mapping,
        "layout": layout,
        "create_missing_classrooms": bool(create_missing_classrooms),
        "today": today.isoformat(),
    }
    return hashlib.sha256(json.dumps(options, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__} in the checked rows")


def _keep_checked(job: ImportJob, data: bytes, plan: _Plan, *, today: date, create_missing_classrooms: bool) -> None:
    """Write the plan's checked rows next to the job's stored file and name them in its summary
    (after _apply_plan, which rebuilds the summary). Kept only when the mapping could be used."""
    job.summary.pop("checked", None)
    if plan.checked is None or not job.file.name:
        return
    result = plan.checked
    payload = {
        "key": _checked_key(
            data,
            mapping=job.mapping,
            layout=job.layout,
            create_missing_classrooms=create_missing_classrooms,
            today=today,
        ),
        "total_rows": result.total_rows,
        # The values that are dates (birth, entry), read back as dates.
        "dates": sorted({key for r in result.records for key, value in r.values.items() if isinstance(value, date)}),
        "records": [[record.row, record.values, record.guardians] for record in result.records],
        "errors": [error.as_dict() for error in result.errors],
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_value)
    storage = job.file.storage
    name = f"{job.file.name}.checked.json.gz"
    if storage.exists(name):
        storage.delete(name)
    job.summary["checked"] = storage.save(name, ContentFile(gzip.compress(text.encode(), compresslevel=5)))


def _kept_checked(
    job: ImportJob, data: bytes, *, today: date, create_missing_classrooms: bool
) -> importing.Result | None:
    """The rows kept when the job was checked, if they were checked from these very bytes with
    this mapping, layout, options and date; None otherwise (the caller reads the file again)."""
    name = (job.summary or {}).get("checked")
    if not name:
        return None
    key = _checked_key(
        data, mapping=job.mapping, layout=job.layout, create_missing_classrooms=create_missing_classrooms, today=today
    )
    try:
        with job.file.storage.open(name, "rb") as handle:
            payload = json.loads(gzip.decompress(handle.read()))
        if payload.get("key") != key:
            return None
        dates = payload["dates"]
        for _, values, _ in payload["records"]:
            for name in dates:
                if name in values:
                    values[name] = date.fromisoformat(values[name])
        return importing.Result(
            records=[
                importing.Record(row=row, values=values, guardians=guardians)
                for row, values, guardians in payload["records"]
            ],
            errors=[RowError(**error) for error in payload["errors"]],
            total_rows=payload["total_rows"],
        )
    except Exception:
        logger.warning("import %s: kept checked rows unreadable; reading the file again", job.code, exc_info=True)
        return None


def _drop_checked(job: ImportJob) -> None:
    name = (job.summary or {}).get("checked")
    if name:
        try:
            job.file.storage.delete(name)
        except Exception:
            logger.warning("import %s: the kept checked rows could not be removed", job.code, exc_info=True)


@transaction.atomic
def import_remap(
    *,
    job: ImportJob,
    mapping: dict[str, str],
    layout: str | None = None,
    create_missing_classrooms: bool | None = None,
    by: User,
) -> ImportJob:
    """Check the stored file again with the column mapping the registrar chose; remember it."""
    job = ImportJob.objects.select_for_update().select_related("school", "academic_year").get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise ValidationError({"mapping": "งานนี้ส่งนำเข้าแล้ว แก้การจับคู่คอลัมน์ไม่ได้"})
    if layout:
        if layout not in LAYOUTS:
            raise ValidationError({"layout": f"ไม่รู้จักรูปแบบไฟล์ “{layout}”"})
        job.layout = layout
    if create_missing_classrooms is None:
        create_missing_classrooms = bool((job.summary or {}).get("create_missing_classrooms"))
    if (job.summary or {}).get("in_worker"):
        return _remap_in_worker(job, mapping, create_missing_classrooms)
    data = _job_data(job)
    table = _read(data, job.original_name)
    job.mapping = _clean_mapping(mapping, table.headers)
    today = timezone.localdate()
    plan = _plan(
        school=job.school,
        academic_year=job.academic_year,
        table=table,
        mapping=job.mapping,
        create_missing_classrooms=create_missing_classrooms,
        today=today,
    )
    _apply_plan(job, plan, table, create_missing_classrooms)
    _keep_checked(job, data, plan, today=today, create_missing_classrooms=create_missing_classrooms)
    job.save()
    _remember_mapping(job.school, job.layout, job.mapping)
    return job


# --- Big files: read and checked by the worker -----------------------------------------------
#
# The web request makes only the refusals that cost nothing (importing.check_upload), weighs
# the file (importing.needs_worker) and, for a big one, stores it as a job waiting for the
# worker ("uploaded") and queues its id on commit. The task students.import_parse claims the
# job's lease ("parsing"), reads and checks the file as import_preview would, and writes the
# headers, mapping, errors and summary in one transaction while it still holds the lease; the
# job is then in preview, as if the request had done it. A bad file fails the job with the
# reader's Thai message and nothing else written. A new column mapping of such a job goes back
# to the worker the same way. The sweep resumes a parse whose worker died, or fails it with a
# retry button after JOB_MAX_ATTEMPTS starts.

PARSING = (ImportJob.Status.UPLOADED, ImportJob.Status.PARSING)
PARSE_QUEUE_DOWN_MESSAGE = (
    "ระบบคิวงานเบื้องหลังขัดข้องชั่วคราว ไฟล์ขนาดใหญ่จึงยังตรวจสอบไม่ได้ (ยังไม่มีข้อมูลใดถูกบันทึก) กรุณาอัปโหลดอีกครั้งในอีกสักครู่"
)
PARSE_WORKER_LOST_MESSAGE = (
    "การตรวจสอบไฟล์หยุดกลางคันเพราะเครื่องประมวลผลงานเบื้องหลังหยุดทำงานซ้ำหลายครั้ง ไม่มีข้อมูลใดถูกบันทึก "
    "กด “ตรวจสอบอีกครั้ง” เพื่อลองใหม่ หากยังไม่สำเร็จโปรดแจ้งผู้ดูแลระบบ"
)
PARSE_FAILED_MESSAGE = "ตรวจสอบไฟล์ไม่สำเร็จเนื่องจากเกิดข้อผิดพลาดในระบบ ไม่มีข้อมูลใดถูกบันทึก กรุณาลองใหม่หรือแจ้งผู้ดูแลระบบ"


def parses_in_worker(data: bytes) -> bool:
    return importing.needs_worker(
        data, max_bytes=settings.IMPORT_PARSE_IN_WORKER_BYTES, max_rows=settings.IMPORT_PARSE_IN_WORKER_ROWS
    )


def parse_key(job: ImportJob) -> str:
    return f"import-parse:{job.code}"


def parse_progress(job: ImportJob) -> dict[str, Any] | None:
    """Where the worker's reading of a big file has got to ({"stage": "reading" | "checking",
    "rows": n}); None before it starts or when the cache cannot say."""
    return cache.get(parse_key(job)) if job.status == ImportJob.Status.PARSING else None


def _mapping_targets(mapping: dict[str, str]) -> None:
    for header, target in mapping.items():
        target = (target or "").strip()
        if target and target not in importing.FIELDS_BY_KEY:
            raise ValidationError({"mapping": f"คอลัมน์ “{header}” จับคู่กับช่องที่ไม่รู้จัก ({target})"})


def import_upload(
    *,
    school: School,
    academic_year: AcademicYear,
    uploaded_file,
    layout: str | None = None,
    mapping: dict[str, str] | None = None,
    create_missing_classrooms: bool = False,
    by: User,
) -> ImportJob:
    """What the upload page and the API call: a small file is checked now (import_preview); a
    big one is stored for the worker, which reads and checks it (the job is "uploaded")."""
    _check_request(school, academic_year, layout)
    original_name = _original_name(uploaded_file)
    data = _read_upload(uploaded_file)
    try:
        importing.check_upload(data, original_name)
    except importing.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from None
    if not parses_in_worker(data):
        return import_preview(
            school=school,
            academic_year=academic_year,
            uploaded_file=ContentFile(data, name=original_name),
            layout=layout,
            mapping=mapping,
            create_missing_classrooms=create_missing_classrooms,
            by=by,
        )
    if mapping is not None:
        _mapping_targets(mapping)
    if not queue_available():
        raise ValidationError({"file": PARSE_QUEUE_DOWN_MESSAGE}, code="queue_down")
    with transaction.atomic():
        job = ImportJob(
            school=school,
            academic_year=academic_year,
            created_by=by,
            original_name=original_name,
            layout=layout or "",
            mapping=mapping or {},
            status=ImportJob.Status.UPLOADED,
            heartbeat_at=timezone.now(),
            summary={
                "in_worker": True,
                "mapping_given": mapping is not None,
                "create_missing_classrooms": create_missing_classrooms,
                "next": "mapping",
            },
        )
        job.file.save(f"{uuid.uuid4().hex}.{_extension(original_name, data)}", ContentFile(data), save=False)
        job.save()
        job_id = job.pk
        transaction.on_commit(lambda: _send_parse_after_commit(job_id))
    return job


def _remap_in_worker(job: ImportJob, mapping: dict[str, str], create_missing_classrooms: bool) -> ImportJob:
    """The caller holds the job's row lock, in preview."""
    headers = (job.summary or {}).get("headers", [])
    cleaned = _clean_mapping(mapping, headers)
    if not queue_available():
        raise ValidationError({"mapping": PARSE_QUEUE_DOWN_MESSAGE}, code="queue_down")
    job.mapping = cleaned
    job.status = ImportJob.Status.UPLOADED
    job.summary = {
        **(job.summary or {}),
        "mapping_given": True,
        "create_missing_classrooms": create_missing_classrooms,
        "next": "preview",
    }
    job.lease_owner, job.heartbeat_at, job.attempts = "", timezone.now(), 0
    job.save(update_fields=["mapping", "layout", "status", "summary", "lease_owner", "heartbeat_at", "attempts"])
    job_id = job.pk
    transaction.on_commit(lambda: _send_parse_after_commit(job_id))
    return job


def _parse(job_id: int, owner: str) -> ImportJob:
    """Read and check a big file as import_preview does, and write what it found while this
    process holds the lease; ValidationError (Thai) for a bad file, with nothing written."""
    job = ImportJob.objects.select_related("school", "academic_year").get(pk=job_id)
    cache.set(parse_key(job), {"stage": "reading"}, timeout=PROGRESS_TTL)
    data = _job_data(job)
    table = _read(data, job.original_name)
    summary = dict(job.summary or {})
    layout = job.layout or importing.detect_layout(table.headers)
    if summary.get("mapping_given"):
        mapping = _clean_mapping(job.mapping, table.headers)
    else:
        mapping = importing.auto_mapping(table.headers, layout, remembered_mapping(job.school, layout))
    create = bool(summary.get("create_missing_classrooms"))
    cache.set(parse_key(job), {"stage": "checking", "rows": len(table.rows)}, timeout=PROGRESS_TTL)
    today = timezone.localdate()
    plan = _plan(
        school=job.school,
        academic_year=job.academic_year,
        table=table,
        mapping=mapping,
        create_missing_classrooms=create,
        today=today,
    )
    with transaction.atomic():
        if not jobs.holds_lease(ImportJob, job_id, owner, running=ImportJob.Status.PARSING):
            raise jobs.LeaseLost(job_id)
        job.layout, job.encoding, job.mapping = layout, table.encoding, mapping
        _apply_plan(job, plan, table, create)
        job.summary.update(in_worker=True, next=summary.get("next", "mapping"))
        _keep_checked(job, data, plan, today=today, create_missing_classrooms=create)
        job.status = ImportJob.Status.PREVIEW
        job.lease_owner = ""
        job.save()
        _remember_mapping(job.school, layout, mapping)
    return job


def import_parse_run(*, job_id: int) -> str:
    """The Celery task's body: claim the job's lease (a second delivery, or one for a job a live
    worker holds, does nothing), read and check its file while renewing the lease, or fail it."""
    owner = jobs.claim(ImportJob, job_id, waiting=(ImportJob.Status.UPLOADED,), running=ImportJob.Status.PARSING)
    if owner is None:
        return "skipped"
    job = ImportJob.objects.get(pk=job_id)
    try:
        with jobs.heartbeat(ImportJob, job_id, owner):
            _parse(job_id, owner)
    except jobs.LeaseLost:
        logger.warning("import job %s was taken over by another worker; this parse wrote nothing", job.code)
        return "lost"
    except ValidationError as error:
        # The file itself is bad (too many rows, a cell too long, not a table): say so in Thai.
        _mark_failed(job_id, " ".join(error.messages), owner=owner, running=ImportJob.Status.PARSING, stage="parse")
        return "refused"
    except Exception:
        logger.exception("import job %s could not be parsed", job.code)
        _mark_failed(
            job_id, PARSE_FAILED_MESSAGE, retryable=True, owner=owner, running=ImportJob.Status.PARSING, stage="parse"
        )
        return "failed"
    finally:
        cache.delete(parse_key(job))
    return "done"


def _send_parse(job_id: int) -> None:
    from students.tasks import import_parse as import_parse_task

    import_parse_task.delay(job_id)


def _send_parse_after_commit(job_id: int) -> None:
    """The job is already saved as uploaded: if the broker fails now, the sweep sends it later."""
    try:
        _send_parse(job_id)
    except Exception:
        logger.warning("import %s could not be queued for parsing; the job sweep will send it", job_id, exc_info=True)


def import_parse_give_up(job_id: int) -> None:
    """Called by the job sweep for a parse that lost its worker JOB_MAX_ATTEMPTS times."""
    _mark_failed(job_id, PARSE_WORKER_LOST_MESSAGE, retryable=True, stage="parse")


jobs.register(
    "students.import_parse",
    model=ImportJob,
    waiting=(ImportJob.Status.UPLOADED,),
    running=ImportJob.Status.PARSING,
    enqueue=_send_parse,
    give_up=import_parse_give_up,
)


# --- Commit -------------------------------------------------------------------------------
#
# The commit writes with PostgreSQL COPY, one statement per table whatever the file's size:
# the new students' ids are drawn from their sequence first (one query), so their enrolments
# and guardians can be streamed right after them. COPY fires the row triggers, so every row
# still gets its history event; the audit context (who, why) reaches those triggers because a
# statement run through Django's cursor inside `audited` sets it for the transaction
# (_attach_audit_context). What full_clean would check on the values from the file is checked
# by _checker, without the cost of cleaning every field of every row.


class _Progress:
    """Rows of the file written so far, for the progress bar: the items streamed to the
    database (students, enrolments, guardians) as a share of the rows, every CHUNK items."""

    def __init__(self, job: ImportJob, *, rows: int, items: int):
        self.job, self.rows, self.items, self.done = job, rows, max(items, 1), 0

    def counted(self, stream: Iterator[list]) -> Iterator[list]:
        for row in stream:
            yield row
            self.done += 1
            if self.done % CHUNK == 0:
                self.report(self.rows * self.done // self.items)

    def report(self, rows: int) -> None:
        cache.set(progress_key(self.job), rows, timeout=PROGRESS_TTL)


class _Rows:
    """The columns of a model's table and a row of them from a dict of values: the model's
    defaults for what the file does not give, `now` for auto_now fields."""

    def __init__(self, model: type[models.Model], now, *, with_pk: bool):
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.fixed: dict[str, Any] = {}
        self.made: dict[str, Any] = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.fixed[f.attname] = now
            elif f.has_default() and callable(f.default):
                self.made[f.attname] = f.default
            elif not f.primary_key:
                self.fixed[f.attname] = f.get_default()

    def row(self, values: dict[str, Any]) -> list:
        row = {**self.fixed, **values}
        for attname, make in self.made.items():
            if attname not in values:
                row[attname] = make()
        return [row[attname] for attname in self.attnames]


@functools.cache
def _checker(model: type[models.Model]) -> dict[str, tuple[Any, frozenset | None, tuple]]:
    """Per text field: its allowed choices and its validators (length, one line), the length
    apart: measured first, and its validator run only for a value too long (for its message)."""
    checks = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, models.CharField):
            choices = frozenset(value for value, _ in f.flatchoices) if f.choices else None
            others = tuple(v for v in f.validators if not isinstance(v, MaxLengthValidator))
            checks[f.attname] = (f, choices, others)
    return checks


def _check(model: type[models.Model], values: dict[str, Any]) -> None:
    """What full_clean says about these values (never expected to fire: the file's values were
    checked by importing.validate_rows; this keeps the database's limits the model's)."""
    checks = _checker(model)
    errors: dict[str, list[str]] = {}
    for attname, value in values.items():
        check = checks.get(attname)
        if check is None or value is None:
            continue
        field, choices, others = check
        try:
            if value == "":
                if not field.blank:
                    raise ValidationError(field.error_messages["blank"], code="blank")
                continue
            if choices is not None and value not in choices:
                raise ValidationError(field.error_messages["invalid_choice"] % {"value": value}, code="invalid_choice")
            short = isinstance(value, str) and field.max_length is not None and len(value) <= field.max_length
            for validator in others if short else field.validators:
                validator(value)
        except ValidationError as error:
            errors.setdefault(attname, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def _new_ids(model: type[models.Model], count: int) -> list[int]:
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _attach_audit_context() -> None:
    """COPY bypasses the ORM, so pghistory cannot put its context on the statement itself; a
    statement through Django's cursor (which it does prefix) sets it for the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("DO $$ BEGIN END $$")


def _copy(rows: _Rows, stream: Iterator[list]) -> int:
    """COPY rows in, as an IntegrityError like the ORM's when a constraint refuses one; logged
    with the queries when Django logs them (tests and benchmarks count it)."""
    started = time.monotonic()
    with connection.wrap_database_errors:
        count = copy_rows(rows.table, rows.columns, stream)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f'COPY "{rows.table}" ({count} rows) FROM STDIN', "time": f"{time.monotonic() - started:.3f}"}
        )
    return count


def _student_values(record: importing.Record) -> dict[str, Any]:
    return {key: value for key, value in record.values.items() if key not in _NOT_ON_STUDENT}


def _write(job: ImportJob, plan: _Plan) -> dict[str, int]:
    """All inserts and updates of one import, in a number of statements that does not grow
    with the file; the caller holds the transaction and the audit context."""
    school, year = job.school, job.academic_year
    now = timezone.now()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "enrolled": 0, "moved": 0, "guardians": 0}

    new_rooms = [
        Classroom(school=school, academic_year=year, grade_level=plan.grade_levels[grade], room=room)
        for grade, room in sorted(plan.missing_classrooms)
    ]
    for room in new_rooms:
        room.full_clean(exclude=_RELATIONS, validate_unique=False, validate_constraints=False)
    Classroom.objects.bulk_create(new_rooms)
    for room in new_rooms:
        plan.classrooms[(room.grade_level.code, room.room)] = room
    counts["classrooms"] = len(new_rooms)

    existing_ids = [item.student.pk for item in plan.items if item.student is not None]
    enrolments = {
        e.student_id: e
        for e in Enrolment.objects.filter(school=school, academic_year=year, student_id__any_of=existing_ids)
    }
    guardians: dict[int, list[Guardian]] = {}
    for guardian in Guardian.objects.filter(student_id__any_of=existing_ids).order_by("pk"):
        guardians.setdefault(guardian.student_id, []).append(guardian)

    # Free every seat that changes hands before any is taken: seats are unique per classroom and
    # PostgreSQL checks that row by row, so two students swapping numbers would otherwise clash.
    moving = []
    for item in plan.items:
        if item.student is None or item.student.pk not in enrolments:
            continue
        enrolment = enrolments[item.student.pk]
        classroom = plan.classrooms.get(item.classroom_key) if item.classroom_key else None
        wanted_number = item.record.values.get("number")
        if enrolment.number is not None and (
            (classroom and classroom.pk != enrolment.classroom_id)
            or (wanted_number and wanted_number != enrolment.number)
        ):
            moving.append(enrolment.pk)
    if moving:
        Enrolment.objects.filter(pk__in=moving).update(number=None)
        for enrolment in enrolments.values():
            if enrolment.pk in moving:
                enrolment.number = None

    # Students: the new ones get their ids now, the changed ones are updated in one statement.
    creating = [item for item in plan.items if item.student is None]
    new_ids = iter(_new_ids(Student, len(creating)))
    student_ids: list[int] = []
    new_students: list[dict[str, Any]] = []
    updates: list[Student] = []
    changed_fields: set[str] = set()
    for item in plan.items:
        values = _student_values(item.record)
        if item.student is None:
            _check(Student, values)
            pk = next(new_ids)
            new_students.append({**values, "id": pk, "school_id": school.pk})
            student_ids.append(pk)
            continue
        student = item.student
        student_ids.append(student.pk)
        changed = {key: value for key, value in values.items() if getattr(student, key) != value}
        if changed:
            _check(Student, changed)
            for key, value in changed.items():
                setattr(student, key, value)
            student.updated_at = now
            updates.append(student)
            changed_fields.update(changed)
        else:
            counts["unchanged"] += 1

    new_enrolments: list[dict[str, Any]] = []
    changed_enrolments: list[Enrolment] = []
    for item, student_id in zip(plan.items, student_ids, strict=True):
        v = item.record.values
        if not v.get("grade"):
            continue
        grade_level = plan.grade_levels[v["grade"]]
        classroom = plan.classrooms.get(item.classroom_key) if item.classroom_key else None
        number = v.get("number")
        enrolment = enrolments.get(student_id)
        if enrolment is None:
            new_enrolments.append(
                {
                    "school_id": school.pk,
                    "student_id": student_id,
                    "academic_year_id": year.pk,
                    "grade_level_id": grade_level.pk,
                    "classroom_id": classroom.pk if classroom is not None else None,
                    "number": number,
                }
            )
            continue
        if classroom is not None:
            wanted = (grade_level.pk, classroom.pk, number or enrolment.number)
        elif grade_level.pk == enrolment.grade_level_id:
            wanted = (grade_level.pk, enrolment.classroom_id, enrolment.number)
        else:
            # A new grade without a room: the old room belongs to the old grade.
            wanted = (grade_level.pk, None, None)
        if wanted != (enrolment.grade_level_id, enrolment.classroom_id, enrolment.number):
            enrolment.grade_level_id, enrolment.classroom_id, enrolment.number = wanted
            changed_enrolments.append(enrolment)

    new_guardians: list[dict[str, Any]] = []
    changed_guardians: list[Guardian] = []
    for item, student_id in zip(plan.items, student_ids, strict=True):
        known = guardians.get(student_id, [])
        for data in item.record.guardians:
            match = next(
                (g for g in known if (g.first_name, g.last_name) == (data["first_name"], data["last_name"])), None
            )
            if match is None and data["relationship"] in (Guardian.Relationship.FATHER, Guardian.Relationship.MOTHER):
                match = next((g for g in known if g.relationship == data["relationship"] and g.user_id is None), None)
            if match is None:
                _check(Guardian, data)
                new_guardians.append({**data, "school_id": school.pk, "student_id": student_id})
                continue
            changed = False
            for key in ("first_name", "last_name", "relationship", "occupation", "phone"):
                if data[key] and getattr(match, key) != data[key]:
                    setattr(match, key, data[key])
                    changed = True
            if data["is_primary"] and not match.is_primary:
                match.is_primary = True
                changed = True
            if changed:
                changed_guardians.append(match)

    progress = _Progress(job, rows=len(plan.items), items=len(new_students) + len(new_enrolments) + len(new_guardians))
    _attach_audit_context()
    if updates:
        Student.objects.bulk_update(updates, [*sorted(changed_fields), "updated_at"])
    students = _Rows(Student, now, with_pk=True)
    counts["created"] = _copy(students, progress.counted(students.row(values) for values in new_students))
    counts["updated"] = len(updates)
    # Moved seats first (they were freed above), then the new ones.
    if changed_enrolments:
        Enrolment.objects.bulk_update(changed_enrolments, ["grade_level", "classroom", "number"])
    rows = _Rows(Enrolment, now, with_pk=False)
    counts["enrolled"] = _copy(rows, progress.counted(rows.row(values) for values in new_enrolments))
    counts["moved"] = len(changed_enrolments)
    rows = _Rows(Guardian, now, with_pk=False)
    counts["guardians"] = _copy(rows, progress.counted(rows.row(values) for values in new_guardians))
    if changed_guardians:
        Guardian.objects.bulk_update(
            changed_guardians, ["first_name", "last_name", "relationship", "occupation", "phone", "is_primary"]
        )
    progress.report(len(plan.items))
    return counts


def _execute(job_id: int, *, by: User | None, owner: str | None = None) -> ImportJob:
    """Check the file again and write it, in one transaction; ImportRefused if it no longer
    passes, jobs.LeaseLost if another worker took the job over meanwhile (nothing written).
    The rows checked at preview are used when they were kept for these very bytes, mapping,
    options and date (see "The checked rows"); the database checks always run again here."""
    with transaction.atomic():
        # Not locked yet: the lease holder's heartbeat renews this row while the file is written.
        job = ImportJob.objects.select_related("school", "academic_year").get(pk=job_id)
        data = _job_data(job)
        create = bool((job.summary or {}).get("create_missing_classrooms"))
        today = timezone.localdate()
        checked = _kept_checked(job, data, today=today, create_missing_classrooms=create)
        plan = _plan(
            school=job.school,
            academic_year=job.academic_year,
            table=None if checked is not None else _read(data, job.original_name),
            mapping=job.mapping,
            create_missing_classrooms=create,
            lock=True,
            checked=checked,
            today=today,
        )
        if plan.errors:
            raise ImportRefused(plan.errors)
        with audited(by, audit_reason(job)):
            counts = _write(job, plan)
        if owner is not None and not jobs.holds_lease(ImportJob, job_id, owner, running=ImportJob.Status.RUNNING):
            raise jobs.LeaseLost(job_id)
        job.status = ImportJob.Status.DONE
        job.processed_rows = len(plan.items)
        job.valid_rows = len(plan.items)
        job.finished_at = timezone.now()
        job.summary = {**(job.summary or {}), "result": counts}
        job.save(update_fields=["status", "processed_rows", "valid_rows", "finished_at", "summary"])
        done = job
        transaction.on_commit(lambda: _drop_checked(done))
    return job


def _refusal_message(errors: list[RowError]) -> str:
    rows = len({error.row for error in errors})
    first = errors[0].text if errors else ""
    return f"ข้อมูลในระบบเปลี่ยนไปหลังการตรวจสอบ พบปัญหา {rows} แถว ไม่มีข้อมูลใดถูกบันทึก เช่น {first}"


def _mark_failed(
    job_id: int,
    message: str,
    errors: list[RowError] | None = None,
    *,
    retryable: bool = False,
    owner: str | None = None,
    running: str = ImportJob.Status.RUNNING,
    stage: str = "commit",
) -> bool:
    """Fail the job with a Thai message first. `retryable` when the file itself was fine (the
    page then offers to try again: the `stage` that failed, "parse" or "commit"); with `owner`,
    only while that process holds it in `running`."""
    stored = [{"row": None, "column": "", "value": "", "message": message}]
    stored += [error.as_dict() for error in (errors or [])[:MAX_STORED_ERRORS]]
    jobs_to_fail = ImportJob.objects.filter(pk=job_id)
    if owner is not None:
        jobs_to_fail = jobs_to_fail.filter(lease_owner=owner, status=running)
    job = jobs_to_fail.only("summary").first()
    if job is None:
        return False
    summary = {**(job.summary or {}), "retryable": retryable, "failed_in": stage}
    return bool(
        jobs_to_fail.update(status=ImportJob.Status.FAILED, errors=stored, summary=summary, finished_at=timezone.now())
    )


WORKER_LOST_MESSAGE = (
    "การนำเข้าหยุดกลางคันเพราะเครื่องประมวลผลงานเบื้องหลังหยุดทำงานซ้ำหลายครั้ง ไม่มีข้อมูลใดถูกบันทึก "
    "กด “นำเข้าอีกครั้ง” เพื่อลองใหม่ หากยังไม่สำเร็จโปรดแจ้งผู้ดูแลระบบ"
)
QUEUE_DOWN_MESSAGE = "ระบบคิวงานเบื้องหลังขัดข้องชั่วคราว จึงยังไม่ได้เริ่มนำเข้า ไฟล์ที่ตรวจสอบแล้วยังอยู่ กรุณากดยืนยันอีกครั้งในอีกสักครู่"


def _send_import(job_id: int) -> None:
    from students.tasks import import_commit as import_commit_task

    import_commit_task.delay(job_id)


def _send_after_commit(job_id: int) -> None:
    """The job is already saved as queued: if the broker fails now, the sweep sends it later."""
    try:
        _send_import(job_id)
    except Exception:
        logger.warning("import %s could not be queued now; the job sweep will send it", job_id, exc_info=True)


def import_give_up(job_id: int) -> None:
    """Called by the job sweep for a job that lost its worker JOB_MAX_ATTEMPTS times."""
    _mark_failed(job_id, WORKER_LOST_MESSAGE, retryable=True)


jobs.register(
    "students.import",
    model=ImportJob,
    waiting=(ImportJob.Status.QUEUED,),
    running=ImportJob.Status.RUNNING,
    enqueue=_send_import,
    give_up=import_give_up,
)


def import_commit(*, job: ImportJob, by: User) -> ImportJob:
    """Import a previewed job: now when small, in the Celery task when big.

    Deliberately not one @transaction.atomic: the claim (preview -> running/queued) and a
    failure mark must survive the rollback of the import itself.
    """
    job = ImportJob.objects.get(pk=job.pk)
    if job.status in PARSING:
        raise ValidationError({"job": "ระบบยังตรวจสอบไฟล์ไม่เสร็จ กรุณารอให้ตรวจสอบเสร็จก่อนยืนยันการนำเข้า"})
    if job.status != ImportJob.Status.PREVIEW:
        raise ValidationError({"job": f"งานนำเข้านี้อยู่ในสถานะ “{job.get_status_display()}” แล้ว ยืนยันซ้ำไม่ได้"})
    if job.errors:
        rows = (job.summary or {}).get("error_rows") or len({e.get("row") for e in job.errors})
        raise ValidationError(
            {"job": f"ยังมีข้อผิดพลาด {rows} แถว กรุณาแก้ไขไฟล์แล้วอัปโหลดใหม่ก่อนยืนยันการนำเข้า (ยังไม่มีข้อมูลใดถูกบันทึก)"}
        )
    if job.valid_rows == 0:
        raise ValidationError({"job": "ไม่มีแถวที่นำเข้าได้"})
    if not _job_file_exists(job):
        _mark_failed(job.pk, FILE_GONE_MESSAGE)
        raise ValidationError({"job": FILE_GONE_MESSAGE})
    summary = {**(job.summary or {}), "committed_by": by.pk}
    summary.pop("retryable", None)
    if job.valid_rows > ASYNC_THRESHOLD:
        if not queue_available():
            raise ValidationError({"job": QUEUE_DOWN_MESSAGE}, code="queue_down")
        with transaction.atomic():
            claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
                status=ImportJob.Status.QUEUED, summary=summary, heartbeat_at=timezone.now(), lease_owner=""
            )
            if not claimed:
                raise ValidationError({"job": "งานนำเข้านี้ถูกยืนยันไปแล้ว"})
            cache.set(progress_key(job), 0, timeout=PROGRESS_TTL)
            job_id = job.pk
            transaction.on_commit(lambda: _send_after_commit(job_id))
        return ImportJob.objects.get(pk=job.pk)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
        status=ImportJob.Status.RUNNING, summary=summary, heartbeat_at=timezone.now()
    )
    if not claimed:
        raise ValidationError({"job": "งานนำเข้านี้ถูกยืนยันไปแล้ว"})
    try:
        return _execute(job.pk, by=by)
    except ImportRefused as refused:
        # Back to preview with the fresh errors, so the page shows what changed.
        job.refresh_from_db()
        job.status = ImportJob.Status.PREVIEW
        job.errors = [error.as_dict() for error in refused.errors[:MAX_STORED_ERRORS]]
        job.summary = {**summary, "error_count": len(refused.errors)}
        job.save(update_fields=["status", "errors", "summary"])
        raise ValidationError({"job": _refusal_message(refused.errors)}) from None
    except (IntegrityError, ValidationError) as error:
        logger.warning("import %s failed: %s", job.code, error)
        _mark_failed(job.pk, "นำเข้าไม่สำเร็จ ข้อมูลในระบบถูกแก้ไขพร้อมกัน ไม่มีข้อมูลใดถูกบันทึก กรุณาอัปโหลดไฟล์ใหม่")
        raise ValidationError({"job": "นำเข้าไม่สำเร็จ ไม่มีข้อมูลใดถูกบันทึก กรุณาอัปโหลดไฟล์ใหม่อีกครั้ง"}) from None
    except Exception:
        _mark_failed(job.pk, "นำเข้าไม่สำเร็จเนื่องจากเกิดข้อผิดพลาดระหว่างบันทึก ไม่มีข้อมูลใดถูกบันทึก", retryable=True)
        raise
    finally:
        cache.delete(progress_key(job))


def import_retry(*, job: ImportJob, by: User) -> ImportJob:
    """Import a failed job's file again (a worker lost too often, an unexpected error): the
    checks and the commit run afresh, as when it was first confirmed."""
    job = ImportJob.objects.get(pk=job.pk)
    if job.status != ImportJob.Status.FAILED or not (job.summary or {}).get("retryable"):
        raise ValidationError({"job": f"งานนำเข้านี้อยู่ในสถานะ “{job.get_status_display()}” ลองใหม่ไม่ได้"})
    if (job.summary or {}).get("failed_in") == "parse":
        return _retry_parse(job)
    if job.valid_rows > ASYNC_THRESHOLD and not queue_available():
        raise ValidationError({"job": QUEUE_DOWN_MESSAGE}, code="queue_down")
    reopened = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
        status=ImportJob.Status.PREVIEW, errors=[], finished_at=None, attempts=0, lease_owner="", heartbeat_at=None
    )
    if not reopened:
        raise ValidationError({"job": "งานนำเข้านี้ถูกสั่งลองใหม่ไปแล้ว"})
    return import_commit(job=job, by=by)


def _retry_parse(job: ImportJob) -> ImportJob:
    """A big file whose reading stopped for the system's sake (not the file's): read it again."""
    if not queue_available():
        raise ValidationError({"job": PARSE_QUEUE_DOWN_MESSAGE}, code="queue_down")
    with transaction.atomic():
        reopened = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
            status=ImportJob.Status.UPLOADED,
            errors=[],
            finished_at=None,
            attempts=0,
            lease_owner="",
            heartbeat_at=timezone.now(),
        )
        if not reopened:
            raise ValidationError({"job": "งานนำเข้านี้ถูกสั่งลองใหม่ไปแล้ว"})
        job_id = job.pk
        transaction.on_commit(lambda: _send_parse_after_commit(job_id))
    return ImportJob.objects.get(pk=job.pk)


def queue_available() -> bool:
    from qinfo.health import broker_ok

    return broker_ok()


def import_run(*, job_id: int) -> str:
    """The Celery task's body: claim the job's lease (a second delivery, or one for a job a
    live worker holds, does nothing), import it while renewing the lease, or mark it failed."""
    owner = jobs.claim(ImportJob, job_id, waiting=(ImportJob.Status.QUEUED,), running=ImportJob.Status.RUNNING)
    if owner is None:
        # Missing, finished, or held by a live worker; if that worker dies, the sweep resumes it.
        return "skipped"
    job = ImportJob.objects.get(pk=job_id)
    by = User.objects.filter(pk=(job.summary or {}).get("committed_by") or job.created_by_id).first()
    try:
        with jobs.heartbeat(ImportJob, job_id, owner):
            _execute(job_id, by=by, owner=owner)
    except jobs.LeaseLost:
        logger.warning("import job %s was taken over by another worker; this run wrote nothing", job.code)
        return "lost"
    except ImportRefused as refused:
        _mark_failed(job_id, _refusal_message(refused.errors), refused.errors, owner=owner)
        return "refused"
    except Exception:
        logger.exception("import job %s failed", job.code)
        _mark_failed(
            job_id,
            "นำเข้าไม่สำเร็จเนื่องจากเกิดข้อผิดพลาดระหว่างบันทึก ไม่มีข้อมูลใดถูกบันทึก กรุณาลองใหม่หรือแจ้งผู้ดูแลระบบ",
            retryable=True,
            owner=owner,
        )
        return "failed"
    finally:
        cache.delete(progress_key(job))
    return "done"
