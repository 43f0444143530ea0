"""Official documents: one ปพ.1 end to end, and a batch of ปพ.1 on 2 Celery worker processes.

(a) One ปพ.1 through the service, the same call the report job makes per student
    (`reports.services.documents.render_student_pdf`: the context from
    `reports.selectors.documents.pp1_context`, the template and `reports/pdf.py`'s renderer),
    unsigned, and signed with the school's certificate as the job does when the school has one.
    Baseline: the same final HTML (rendered once, beforehand) through bare WeasyPrint,
    `weasyprint.HTML(string=...).write_pdf()` with the same base URL, stylesheet and fonts (a
    FontConfiguration and CSS of its own, loaded once, as the service's renderer is), in the
    same process and run. The three are timed in turn, one sample each per round, so that a
    burst of load on a shared machine falls on all of them. The query count of the context is
    printed for a student with one year of records and one with three (it must not grow).
(b) BENCH_DOCUMENTS ปพ.1 (default 1,000) as real batch ReportJobs, one per classroom (classrooms
    of the current year in grade order, school after school, the last one cut to the count),
    requested through `reports.services.documents.report_job_request` as the registrar does and
    run by one `celery worker --concurrency=2` (two worker processes, as docker-compose's
    worker) on the bench settings. Timed once: from the first request to every job done. Peak
    RSS per worker process is each child's VmHWM (/proc), sampled through the run. Bytes per
    page: the students' PDFs (signed, when the school has a certificate) over their pages,
    counted with pypdf. Every requested student must have a complete document: the job checks
    it before it is marked done, and the bench checks it again (the file stored, it opens, its
    pages are those recorded).

Bench students of their own ("bench ปพ.1", one year and three years of approved results in
one school's current stage) are made once per bench database, in a classroom of their own
(room 92) and sections of their own; the batch leaves them out (rooms 90 and above are the
benchmarks' own). Issued files go to a temporary MEDIA_ROOT, removed afterwards; the schools'
signing certificates are copied into it first.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from academics.models import CourseSection, Registration, ResultStatus, Subject
from academics.models import Result as CourseResult
from qinfo.env import env_int
from reports import signing
from reports.models import DocumentType, IssuedDocument, PrintMode, ReportJob, SigningCertificate
from reports.selectors import documents as selectors
from reports.selectors import preprinted as preprinted_selectors
from reports.selectors import signing as signing_selectors
from reports.services import documents as services
from reports.services.signing import signing_certificate_upload
from schools.models import AcademicYear, School, StaffMembership, Term, User
from schools.selectors.organisation import current_academic_year
from students.models import Classroom, Enrolment, GradeLevel, Student

from .harness import Context, Result, count_queries

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 2  # docker-compose's worker: --concurrency=${CELERY_CONCURRENCY:-2}
BENCH_ROOM = 92
BENCH_GROUP = "bench ปพ.1"
SHORT, LONG = "PP1Y1", "PP1Y3"  # student numbers of the 1-year and the 3-year bench student
RESULTS = ("4", "3.5", "3", "2.5", "2", "3", "1.5", "4")

# The peer, measured elsewhere on this machine class (2 cores), not in this run.
PEER_RATE = 14.0
PEER_WORKER_MB = 388
PEER_KB_PER_PAGE = 166
PEER_NOTE = (
    "peer measured elsewhere on this machine class, not in this run: RosarioSIS 12 with wkhtmltopdf, "
    "1,000 one-page transcripts in 71 s (14 documents/s), 175 MB PDF process + 388 MB PHP worker, "
    "166 KB/page; its batch report cards are silently cut short past ~55 students. "
    "Targets: > 14 documents/s, < 300 MB per worker, < 30 KB/page, no student without a document"
)


def run(ctx: Context) -> list[Result]:
    media = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    try:
        bundles = _certificate_bundles()  # read where the seed stored them, before switching
        with override_settings(MEDIA_ROOT=str(media)):
            replaced = _place_certificates(media, bundles)
            records = ensure_records()
            results = _one_document(ctx, records)
            results += _batch(media, records, replaced)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return results


# --- The signing certificates in the temporary storage ------------------------------------------


def _certificate_bundles() -> dict[int, tuple[str, bytes | None]]:
    bundles = {}
    for certificate in SigningCertificate.objects.all():
        try:
            with certificate.bundle.open("rb") as handle:
                bundles[certificate.pk] = (certificate.bundle.name, handle.read())
        except OSError:
            bundles[certificate.pk] = (certificate.bundle.name, None)
    return bundles


def _place_certificates(media: Path, bundles: dict) -> int:
    """Copy each school's bundle into the temporary storage under its name; a school whose
    bundle is not on this disk (a database seeded elsewhere) gets a new demo certificate, as
    its registrar would upload one. Returns how many were replaced."""
    replaced = 0
    for pk, (name, data) in bundles.items():
        if data is not None:
            path = media / "private" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            continue
        certificate = SigningCertificate.objects.select_related("school").get(pk=pk)
        password = secrets.token_urlsafe(12)
        bundle, _root = signing.demo_pkcs12(certificate.school.name, password=password, now=timezone.now())
        signing_certificate_upload(
            school=certificate.school, data=bundle, password=password, by=_registrar(certificate.school)
        )
        replaced += 1
    return replaced


def _registrar(school: School) -> User:
    membership = (
        StaffMembership.objects.filter(school=school, role=StaffMembership.Role.REGISTRAR, is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    if membership is None:
        raise RuntimeError(f"{school} has no registrar in the bench dataset")
    return membership.user


# --- The bench students: one year and three years of records -------------------------------------


@dataclass(frozen=True)
class Records:
    school: School
    registrar: User
    short: Student  # results in the current year only
    long: Student  # results in the current year and the two before


def _stage_and_school() -> tuple[School, str, AcademicYear]:
    """The first school whose current year has a classroom of a secondary stage (a per-term
    ปพ.1:บ/พ), else of the primary stage; with that stage and year."""
    for stages in (
        (GradeLevel.Stage.LOWER_SECONDARY, GradeLevel.Stage.UPPER_SECONDARY),
        (GradeLevel.Stage.PRIMARY,),
    ):
        for school in School.objects.order_by("pk"):
            year = current_academic_year(school)
            if year is None:
                continue
            classroom = (
                Classroom.objects.filter(school=school, academic_year=year, grade_level__stage__in=stages)
                .select_related("grade_level")
                .order_by("grade_level__order")
                .first()
            )
            if classroom is not None:
                return school, classroom.grade_level.stage, year
    raise RuntimeError("no school of the bench dataset has a primary or secondary classroom this year")


def _year_with_terms(school: School, be_year: int) -> list[Term]:
    start, end = AcademicYear.default_dates(be_year)
    year, _ = AcademicYear.objects.get_or_create(
        school=school, year=be_year, defaults={"start_date": start, "end_date": end}
    )
    terms = list(Term.objects.filter(academic_year=year, number__in=(1, 2)).order_by("number"))
    if not terms:
        terms = [
            Term.objects.create(
                school=school, academic_year=year, number=1, start_date=start, end_date=date(start.year, 10, 10)
            ),
            Term.objects.create(
                school=school, academic_year=year, number=2, start_date=date(start.year, 11, 1), end_date=end
            ),
        ]
    return terms


def ensure_records() -> Records:
    found = {s.student_number: s for s in Student.objects.filter(student_number__in=(SHORT, LONG))}
    if len(found) == 2:
        school = found[SHORT].school
        return Records(school, _registrar(school), found[SHORT], found[LONG])
    school, stage, year = _stage_and_school()
    grades = list(GradeLevel.objects.filter(stage=stage).order_by("order"))[:3]
    subject_stage = selectors.STAGE_NUMBER[stage]
    courses = list(
        Subject.objects.filter(school=school, stage=subject_stage, learning_area__isnull=False)
        .exclude(kind=Subject.Kind.ACTIVITY)
        .order_by("subject_code")[:8]
    )
    activities = list(
        Subject.objects.filter(school=school, stage=subject_stage, kind=Subject.Kind.ACTIVITY).order_by("subject_code")[
            :3
        ]
    )
    if not courses:
        raise RuntimeError(f"{school} has no subjects of its {stage} stage")
    with transaction.atomic():
        years = [_year_with_terms(school, year.year - back) for back in (2, 1, 0)]
        classroom, _ = Classroom.objects.get_or_create(
            school=school, academic_year=year, grade_level=grades[-1], room=BENCH_ROOM
        )
        students = {}
        for number, (student_number, first_name) in enumerate(((SHORT, "หนึ่งปี"), (LONG, "สามปี")), start=1):
            students[student_number] = Student.objects.create(
                school=school,
                student_number=student_number,
                prefix="ด.ญ.",
                first_name=f"ม้านั่ง{first_name}",
                last_name="ทดสอบเอกสาร",
                sex=Student.Sex.FEMALE,
                birth_date=date(year.start_date.year - 15, 3, 14),
            )
            Enrolment.objects.create(
                school=school,
                student=students[student_number],
                academic_year=year,
                grade_level=grades[-1],
                classroom=classroom,
                number=number,
            )
        for back, grade in ((2, grades[0]), (1, grades[min(1, len(grades) - 1)])):
            Enrolment.objects.create(
                school=school, student=students[LONG], academic_year=years[2 - back][0].academic_year, grade_level=grade
            )
        for index, terms in enumerate(years):
            takers = [students[LONG]] + ([students[SHORT]] if index == 2 else [])
            for term in terms:
                sections = CourseSection.objects.bulk_create(
                    CourseSection(
                        school=school, term=term, subject=subject, group_name=BENCH_GROUP,
                        result_status=ResultStatus.APPROVED,
                    )
                    for subject in courses + activities
                )  # fmt: skip
                Registration.objects.bulk_create(
                    Registration(school=school, section=section, student=student)
                    for section in sections
                    for student in takers
                )
                CourseResult.objects.bulk_create(
                    CourseResult(
                        school=school,
                        section=section,
                        student=student,
                        result="ผ" if section.subject.kind == Subject.Kind.ACTIVITY else RESULTS[n % len(RESULTS)],
                    )
                    for n, section in enumerate(sections)
                    for student in takers
                )
    return Records(school, _registrar(school), students[SHORT], students[LONG])


# --- (a) one ปพ.1 ---------------------------------------------------------------------------------


def _specimen(student: Student, by: User) -> IssuedDocument:
    """An unsaved document with a serial and a verification code, so that the page prints both
    and the QR code, as an issued one does (nothing is written)."""
    today = timezone.localdate()
    return IssuedDocument(
        school=student.school,
        student=student,
        type=DocumentType.PP1,
        year=today.year + 543,
        number=1,
        verification_code=services.new_verification_code(),
        issued_by=by,
    )


def _bare_weasyprint(html: str):
    """Bare WeasyPrint on the final HTML: the same base URL, stylesheet and fonts as
    reports/pdf.py, loaded once here (as the service's renderer loads them once)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from reports.pdf import BASE_CSS, font_urls

    font_config = FontConfiguration()
    base = CSS(string=BASE_CSS % font_urls(), font_config=font_config)
    base_url = str(settings.BASE_DIR)

    def render() -> bytes:
        return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[base], font_config=font_config)

    return render


def _medians_in_turn(actions: dict, ctx: Context) -> dict[str, float]:
    """Each action once per round, in turn, `runs` rounds after `warmup`; medians in ms."""
    for _ in range(ctx.warmup):
        for action in actions.values():
            action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(ctx.runs):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _record_size(student: Student) -> tuple[int, int, int]:
    """(academic years, terms, results) of a student's record."""
    rows = CourseResult.objects.filter(student=student).values_list(
        "section__term__academic_year_id", "section__term_id"
    )
    return len({y for y, _ in rows}), len({t for _, t in rows}), len(rows)


def _one_document(ctx: Context, records: Records) -> list[Result]:
    student, by = records.long, records.registrar
    today = timezone.localdate()
    registrar = by.get_full_name()
    document = _specimen(student, by)
    offset = preprinted_selectors.printer_offset(records.school)

    def unsigned() -> bytes:
        return services.render_student_pdf(
            student, document=document, issued_on=today, registrar=registrar, print_mode=PrintMode.PLAIN, offset=offset
        )

    try:
        signer = signing_selectors.school_signer(records.school)
    except signing.CertificateError as error:
        signer, refused = None, str(error)
    else:
        refused = ""

    def signed() -> bytes:
        return signer.sign(unsigned(), reason=f"{document.get_type_display()} {document.printed_number}")

    context = selectors.pp1_context(student, document=document, issued_on=today, registrar=registrar)
    from reports.pdf import render_html

    html = render_html(selectors.PP1_TEMPLATE, context)
    bare = _bare_weasyprint(html)
    actions = {"service": unsigned, "bare": bare}
    if signer is not None:
        rendered = unsigned()
        actions["signed"] = signed
        actions["sign only"] = lambda: signer.sign(rendered, reason="bench")
    medians = _medians_in_turn(actions, ctx)

    service_pdf, bare_pdf = unsigned(), bare()
    queries = count_queries(unsigned)
    counts = {}
    for label, who in (("1 year", records.short), ("3 years", records.long)):
        specimen = _specimen(who, by)
        years, terms, results = _record_size(who)
        counted = count_queries(
            lambda who=who, specimen=specimen: selectors.pp1_context(
                who, document=specimen, issued_on=today, registrar=registrar
            )
        )
        counts[label] = (counted, f"{years} y, {terms} terms, {results} results")
    verdict = "constant" if counts["1 year"][0] == counts["3 years"][0] else "GROWS WITH THE RECORD"
    context_note = (
        f"context queries: {counts['1 year'][0]} ({counts['1 year'][1]}) vs "
        f"{counts['3 years'][0]} ({counts['3 years'][1]}): {verdict}"
    )
    label = "ปพ.1 of one student (3 years of records), service vs bare WeasyPrint of its HTML"
    results = [
        Result(
            f"{label}: unsigned",
            medians["service"],
            medians["bare"],
            queries,
            note=(
                f"aim ratio <= 1.2; {context_note}; service {_pages(service_pdf)} page(s) "
                f"{len(service_pdf) / 1024:.0f} KB, bare {_pages(bare_pdf)} page(s) {len(bare_pdf) / 1024:.0f} KB"
            ),
        )
    ]
    if signer is None:
        why = refused or "the school has no signing certificate"
        results.append(Result(f"{label}: signed (not measured: {why})", 0, unit="ms"))
    else:
        signed_pdf = signed()
        results.append(
            Result(
                f"{label}: signed (PAdES, the school's certificate)",
                medians["signed"],
                medians["bare"],
                queries,
                note=(
                    f"signing alone (the rendered PDF signed, median): {medians['sign only']:.1f} ms; "
                    f"signed {len(signed_pdf) / 1024:.0f} KB"
                ),
            )
        )
    return results


# --- (b) the batch on two worker processes ---------------------------------------------------------


@dataclass
class Batch:
    school: School
    registrar: User
    classroom: Classroom
    students: list[Student]


def _plan(wanted: int) -> list[Batch]:
    """Classrooms of the current year (primary and secondary, not the benchmarks' own rooms), in
    grade order, school after school, until `wanted` students; the last one cut to the count."""
    plan, total = [], 0
    for school in School.objects.order_by("pk"):
        year = current_academic_year(school)
        if year is None:
            continue
        classrooms = (
            Classroom.objects.filter(
                school=school, academic_year=year, grade_level__stage__in=list(selectors.VARIANTS), room__lt=90
            )
            .select_related("grade_level")
            .order_by("grade_level__order", "room")
        )
        registrar = None
        for classroom in classrooms:
            students = selectors.classroom_students(classroom)[: wanted - total]
            if not students:
                continue
            registrar = registrar or _registrar(school)
            plan.append(Batch(school, registrar, classroom, students))
            total += len(students)
            if total >= wanted:
                return plan
    return plan


def _proc_children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    try:
        import psutil
    except ImportError:
        return []
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def _peak_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM), in kB; its current RSS through psutil where
    /proc has no VmHWM."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss // 1024
    except (ImportError, Exception):
        return 0


class PeakMemory:
    """Samples the worker's children (the processes that render) every half second, keeping
    each one's peak: a child recycled by max-tasks/max-memory keeps its figure."""

    def __init__(self, parent: int):
        self.parent = parent
        self.children: dict[int, int] = {}
        self.parent_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        for pid in _proc_children(self.parent):
            self.children[pid] = max(self.children.get(pid, 0), _peak_kb(pid))
        self.parent_kb = max(self.parent_kb, _peak_kb(self.parent))

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


class Workers:
    """`celery -A qinfo worker --concurrency=2` on the bench settings, with the temporary
    MEDIA_ROOT, for the length of a `with`."""

    def __init__(self, media: Path):
        self.media = media
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-celery-", suffix=".log", delete=False)  # noqa: SIM115 — closed in __exit__

    def __enter__(self) -> Workers:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "qinfo.settings.bench",
            "PYTHONPATH": str(ROOT),
            "MEDIA_ROOT": str(self.media),
        }
        self.process = subprocess.Popen(  # noqa: S603 — a fixed command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qinfo",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={CONCURRENCY}",
                "--pool=prefork",
                "-n",
                f"bench-documents-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that nothing outlives the bench
        )
        return self

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited {self.process.returncode}: {self.tail()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()  # a warm shutdown
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-2000:]


FINISHED = (ReportJob.Status.DONE, ReportJob.Status.FAILED)


def _wait(workers: Workers, job_ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while ReportJob.objects.filter(pk__in=job_ids).exclude(status__in=FINISHED).exists():
        workers.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"report jobs not finished after {timeout:.0f} s: {workers.tail()}")
        time.sleep(0.2)


def _purge_queue() -> None:
    """Tasks left in the bench broker by an interrupted run would be worked in this one."""
    from qinfo.celery import app

    app.control.purge()


def _check_documents(media: Path, job_ids: list[int], requested: dict[int, list[int]]) -> tuple[int, int, int, str]:
    """(students without a complete document, total bytes, total pages, first problem): for
    every requested student, the job's issued document, its file stored and not empty, and
    the pages pypdf counts in it equal to those the job recorded."""
    from pypdf import PdfReader

    documents = {
        (d.job_id, d.student_id): d
        for d in IssuedDocument.objects.filter(job_id__in=job_ids, issued_at__isnull=False).only(
            "job_id", "student_id", "file", "pages"
        )
    }
    missing, size, pages, first = 0, 0, 0, ""
    for job_id, student_ids in requested.items():
        for student_id in student_ids:
            document = documents.get((job_id, student_id))
            problem = ""
            if document is None or not document.file:
                problem = "no document"
            else:
                path = media / "private" / document.file.name
                data = path.read_bytes() if path.exists() else b""
                try:
                    counted = len(PdfReader(io.BytesIO(data)).pages) if data else 0
                except Exception as error:
                    counted, problem = 0, f"unreadable ({error})"
                if not counted or counted != document.pages:
                    problem = problem or f"{counted} pages, {document.pages} recorded"
                size += len(data)
                pages += counted
            if problem:
                missing += 1
                first = first or f"job {job_id} student {student_id}: {problem}"
    return missing, size, pages, first


def _batch(media: Path, records: Records, replaced: int) -> list[Result]:
    wanted = env_int("BENCH_DOCUMENTS", default=1000)
    plan = _plan(wanted)
    total = sum(len(b.students) for b in plan)
    if not total:
        return [Result("ปพ.1 batch: no primary or secondary classroom this year", 0, unit="docs")]
    _purge_queue()
    signed = SigningCertificate.objects.filter(school__in={b.school.pk for b in plan}).count()
    with Workers(media) as workers:
        # Warm both processes (imports, fonts, connections), as long-lived workers are: two
        # one-student jobs at once, one for each idle process.
        warm = [
            services.report_job_request(school=records.school, students=[s], by=records.registrar).pk
            for s in (records.short, records.long)
        ]
        _wait(workers, warm, timeout=180)
        with PeakMemory(workers.process.pid) as memory:
            started = time.perf_counter()
            jobs = [
                services.report_job_request(school=b.school, students=b.students, classroom=b.classroom, by=b.registrar)
                for b in plan
            ]
            job_ids = [j.pk for j in jobs]
            _wait(workers, job_ids, timeout=300 + 2 * total)
            wall = time.perf_counter() - started
    statuses = dict(ReportJob.objects.filter(pk__in=job_ids).values_list("pk", "status"))
    errors = list(
        ReportJob.objects.filter(pk__in=job_ids, status=ReportJob.Status.FAILED).values_list("error", flat=True)
    )
    done = sum(1 for s in statuses.values() if s == ReportJob.Status.DONE)
    requested = {j.pk: j.student_ids for j in jobs}
    missing, size, pages, first = _check_documents(media, job_ids, requested)
    grades = sorted({b.classroom.grade_level.short_name for b in plan}, key=str)
    schools = len({b.school.pk for b in plan})
    label = f"{total:,} ปพ.1, {len(plan)} batch jobs, celery --concurrency={CONCURRENCY}"
    children = sorted(memory.children.values(), reverse=True)
    peak_mb = (children[0] if children else 0) / 1024
    per_child = ", ".join(f"{kb / 1024:.0f} MB" for kb in children)
    rate = total / wall
    kb_per_page = size / pages / 1024 if pages else 0
    signed_note = f"signed ({signed} of {schools} schools have a certificate)" if signed else "unsigned"
    if replaced:
        signed_note += f"; {replaced} certificate(s) not on this disk were replaced by a demo one"
    results = [
        Result(
            f"{label}: wall time, request to all done",
            wall * 1000,
            note=(
                f"{total:,} students of {schools} school(s), grades {' '.join(grades)}; {done}/{len(plan)} jobs done; "
                f"{wall * CONCURRENCY / total:.2f} s per document per worker process; "
                f"{signed_note}; after a warm-up job on each process. {PEER_NOTE}"
            ),
        ),
        Result(
            f"{label}: documents/s vs RosarioSIS 12 (peer, 14/s)",
            rate,
            PEER_RATE,
            unit="docs/s",
            note=f"{rate:.1f} documents/s; target > 14",
        ),
        Result(
            f"{label}: peak RSS per worker process vs RosarioSIS PHP worker (peer, 388 MB)",
            peak_mb,
            PEER_WORKER_MB,
            unit="MB",
            note=(
                f"VmHWM of each worker process: {per_child or 'none seen'}; the worker's parent "
                f"{memory.parent_kb / 1024:.0f} MB; peer PDF process 175 MB; target < 300 MB"
            ),
        ),
        Result(
            f"{label}: PDF size per page vs RosarioSIS (peer, 166 KB)",
            kb_per_page,
            PEER_KB_PER_PAGE,
            unit="KB",
            note=f"{size:,} bytes / {pages:,} pages (pypdf) = {kb_per_page:.1f} KB/page; target < 30 KB",
        ),
        Result(
            f"{label}: requested students without a complete document (must be 0)",
            missing,
            unit="students",
            note=(
                "the job checks every requested student has a complete document before it is done; checked "
                "again here: file stored, opens, pages as recorded"
                + (f". FAILED jobs: {len(errors)}, first: {errors[0]}" if errors else "")
                + (f". First missing: {first}" if first else "")
            ),
        ),
    ]
    return results
