"""Demo documents. Each demo school gets a signing certificate issued by a demo root CA made now
(nothing committed), so the documents the demo issues are signed; then one ปพ.6 per classroom of
the current year (its first student, and every child of a demo parent account), issued through
the report jobs by the homeroom teacher, so that the parent home, the ปพ.6 pages and the job list
have something to show. ปพ.5 needs no seed: any demo section prints it. A ปพ.3 of last year's
graduates where a school has them, and a ปพ.7 of one student per school, so that the request
pages, the verification page and the area officers' search have something to show."""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.utils import timezone

from reports import signing
from reports.models import DocumentType
from reports.services import documents as services
from reports.services.signing import signing_certificate_upload
from reports.storage import private_storage
from schools.models import StaffMembership, Term
from students.models import Classroom, Enrolment, GradeLevel, Student

DEMO_ROOT_NAME = "reports/signing/demo-root-ca.pem"


def seed_signing_certificates(org) -> str:
    """A demo certificate per school, uploaded as its registrar would. Returns where the demo
    root certificate (the one to trust when validating demo documents) was stored."""
    from cryptography.hazmat.primitives import serialization

    now = timezone.now()
    root = signing.demo_root(now=now)
    for plan in org.schools:
        password = secrets.token_urlsafe(12)
        bundle, _root = signing.demo_pkcs12(plan.school.name, password=password, now=now, root=root)
        signing_certificate_upload(school=plan.school, data=bundle, password=password, by=plan.registrar)
    storage = private_storage()
    if storage.exists(DEMO_ROOT_NAME):
        storage.delete(DEMO_ROOT_NAME)
    return storage.save(DEMO_ROOT_NAME, ContentFile(root.certificate.public_bytes(serialization.Encoding.PEM)))


def _report_term(school, today) -> Term | None:
    """The term a parent's ปพ.6 covers: the last one finished this year, else the current one."""
    from schools.selectors.organisation import current_term

    term = current_term(school, on=today)
    if term is None:
        return None
    finished = (
        Term.objects.filter(academic_year_id=term.academic_year_id, end_date__lt=today).order_by("-number").first()
    )
    return finished or term


def seed_documents(schools) -> int:
    """Issue the demo ปพ.6 (rendered here, in this process); returns how many."""
    today = timezone.localdate()
    issued = 0
    for school in schools:
        term = _report_term(school, today)
        if term is None:
            continue
        registrar = (
            StaffMembership.objects.filter(school=school, role=StaffMembership.Role.REGISTRAR)
            .select_related("user")
            .first()
        )
        classrooms = (
            Classroom.objects.filter(school=school, academic_year_id=term.academic_year_id)
            .exclude(grade_level__stage=GradeLevel.Stage.KINDERGARTEN)
            .prefetch_related("homeroom_teachers")
            .order_by("grade_level__order", "room")
        )
        for classroom in classrooms:
            enrolled = list(
                Enrolment.objects.filter(classroom=classroom, student__status=Student.Status.STUDYING)
                .select_related("student")
                .order_by("number", "student__student_number")
            )
            if not enrolled:
                continue
            wanted = [enrolled[0].student] + [
                e.student
                for e in enrolled[1:]
                if e.student.guardians.filter(user__isnull=False, activated_at__isnull=False).exists()
            ]
            teachers = list(classroom.homeroom_teachers.all())
            by = teachers[0] if teachers else registrar.user if registrar else None
            if by is None:
                continue
            job = services.report_job_request(
                school=school, students=wanted, classroom=classroom, term=term, doc_type=DocumentType.PP6, by=by
            )
            services.report_job_run(job_id=job.pk)
            issued += len(wanted)
    return issued


def seed_graduates_and_certificates(schools) -> tuple[int, int]:
    """A ปพ.3 of the graduates of each stage end (ป.6, ม.3, ม.6) a school has (last year's,
    approved on its last day, or else this year's), issued by the registrar, and one ปพ.7 (for
    further study) of the first student of each school's top grade this year. Returns (ปพ.3
    issued, ปพ.7 issued)."""
    from reports.selectors import pp3_pp7
    from reports.services import pp3_pp7 as pp37_services
    from schools.models import AcademicYear

    today = timezone.localdate()
    reports = certificates = 0
    for school in schools:
        registrar = (
            StaffMembership.objects.filter(school=school, role=StaffMembership.Role.REGISTRAR)
            .select_related("user")
            .first()
        )
        if registrar is None:
            continue
        # Last year's graduates if the demo still holds them (it keeps those who stayed on),
        # else this year's, who pass the graduation check on their results so far, approved today.
        years = [
            (year, min(year.end_date, today))
            for year in AcademicYear.objects.filter(school=school, start_date__lte=today).order_by("-year")[:2]
        ][::-1]
        for stage in pp3_pp7.PP3_VARIANTS:
            for year, approved_on in years:
                if not pp3_pp7.graduate_rows(school, year, stage, approved_on=approved_on):
                    continue
                job = pp37_services.pp3_request(
                    school=school, academic_year=year, stage=stage, approved_on=approved_on, by=registrar.user
                )
                services.report_job_run(job_id=job.pk)
                reports += 1
                break
        enrolment = (
            Enrolment.objects.filter(
                school=school,
                academic_year__start_date__lte=today,
                academic_year__end_date__gte=today,
                student__status=Student.Status.STUDYING,
            )
            .exclude(grade_level__stage=GradeLevel.Stage.KINDERGARTEN)
            .select_related("student")
            .order_by("-grade_level__order", "classroom__room", "number")
            .first()
        )
        if enrolment is None:
            continue
        job = services.report_job_request(
            school=school,
            students=[enrolment.student],
            doc_type=DocumentType.PP7,
            purpose="ประกอบการสมัครเข้าศึกษาต่อ",
            by=registrar.user,
        )
        services.report_job_run(job_id=job.pk)
        certificates += 1
    return reports, certificates
