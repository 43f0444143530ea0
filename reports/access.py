"""Who may issue and fetch official documents: the registrar and the principal of the
student's school (DOMAIN.md §4); teachers print the ปพ.5 of the sections they teach, homeroom
teachers the ปพ.6 of their classroom, and a parent downloads their own child's issued ปพ.6; and
who opens a student's 360 page. Everyone else gets the same 404 as for a missing object."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from academics.access import taught_sections
from academics.models import CourseSection
from qinfo.access import get_visible_or_404
from reports.models import DocumentType, IssuedDocument, ReportJob
from schools.access.organisation import scope_for
from schools.models import School, StaffMembership
from students import disclosure
from students.access import access_student, guardian_student_ids, homeroom_classrooms, homeroom_student_ids
from students.models import Classroom, Student

Role = StaffMembership.Role
ISSUER_ROLES = (Role.REGISTRAR, Role.PRINCIPAL)
# Documents a teacher asks for themselves (ปพ.5 of a section they teach, ปพ.6 of their classroom).
TEACHER_TYPES = (DocumentType.PP5, DocumentType.PP6)


def issuing_school_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return scope_for(user).school_ids_with(*ISSUER_ROLES)


def students_issuable_by(user) -> QuerySet[Student]:
    """Students whose official documents the user may issue: those now at their school."""
    return Student.objects.filter(school_id__in=issuing_school_ids(user))


def access_student_documents(user, code) -> Student:
    return get_visible_or_404(students_issuable_by(user).select_related("school"), code=code)


def classrooms_issuable_by(user) -> QuerySet[Classroom]:
    return Classroom.objects.filter(school_id__in=issuing_school_ids(user))


def access_classroom_documents(user, code) -> Classroom:
    return get_visible_or_404(
        classrooms_issuable_by(user).select_related("school", "grade_level", "academic_year"), code=code
    )


def report_jobs_visible_to(user) -> QuerySet[ReportJob]:
    """The issuers' jobs of their schools, and the ปพ.5/ปพ.6 jobs a teacher asked for at a
    school where they still hold a role."""
    if not user.is_authenticated:
        return ReportJob.objects.none()
    own = Q(
        requested_by=user,
        type__in=TEACHER_TYPES,
        school_id__in=frozenset(scope_for(user).school_roles),
    )
    return ReportJob.objects.filter(Q(school_id__in=issuing_school_ids(user)) | own)


def access_report_job(user, code) -> ReportJob:
    return get_visible_or_404(
        report_jobs_visible_to(user).select_related("school", "classroom__grade_level", "requested_by"), code=code
    )


def documents_visible_to(user) -> QuerySet[IssuedDocument]:
    """Issued documents of the issuers' schools; the ปพ.6 of a homeroom teacher's students;
    a parent's own children's valid ปพ.6."""
    if not user.is_authenticated:
        return IssuedDocument.objects.none()
    condition = Q(school_id__in=issuing_school_ids(user))
    condition |= Q(type=DocumentType.PP6, student_id__in=homeroom_student_ids(user))
    condition |= Q(type=DocumentType.PP6, is_void=False, student_id__in=guardian_student_ids(user))
    return IssuedDocument.objects.filter(condition, issued_at__isnull=False)


def access_document(user, code) -> IssuedDocument:
    return get_visible_or_404(documents_visible_to(user).select_related("student"), code=code)


# --- ปพ.5 (a section's record book) and ปพ.6 (a student's term report) -----------------------------


def pp5_sections_visible_to(user) -> QuerySet[CourseSection]:
    """Sections whose ปพ.5 the user may print: those they teach this year (through a role held
    today), and every section of a school where they are registrar or principal."""
    if not user.is_authenticated:
        return CourseSection.objects.none()
    return CourseSection.objects.filter(
        Q(pk__in=taught_sections(user).values("pk")) | Q(school_id__in=issuing_school_ids(user))
    )


def access_pp5_section(user, code) -> CourseSection:
    return get_visible_or_404(
        pp5_sections_visible_to(user).select_related(
            "subject", "term__academic_year", "classroom__grade_level", "school"
        ),
        code=code,
    )


def pp6_classrooms_visible_to(user) -> QuerySet[Classroom]:
    """Classrooms whose ปพ.6 the user may issue: their homeroom classes today, and every
    classroom of a school where they are registrar or principal."""
    if not user.is_authenticated:
        return Classroom.objects.none()
    return Classroom.objects.filter(
        Q(pk__in=homeroom_classrooms(user).values("pk")) | Q(school_id__in=issuing_school_ids(user))
    )


def access_pp6_classroom(user, code) -> Classroom:
    return get_visible_or_404(
        pp6_classrooms_visible_to(user).select_related("school", "grade_level", "academic_year"), code=code
    )


# --- Student 360: one page of everything the school knows about a student ------------------------
# Opened by the staff who work with the child today: the school-wide staff of the student's school
# (principal, registrar, counsellor, school admin), this year's homeroom teachers, the teachers
# of the child's sections, the officers of the area overseeing the school, and a system admin.
# Not a parent (their own portal), not a school the child has left, nobody else: 404. Which parts
# each of them sees is decided per part by the parts' own helpers (reports.selectors.overview).

OVERVIEW_VIEWERS = frozenset(
    {disclosure.ADMIN, disclosure.SCHOOL_STAFF, disclosure.HOMEROOM, disclosure.OFFICER, disclosure.SUBJECT_TEACHER}
)


def access_student_overview(user, code) -> Student:
    student = access_student(user, code)
    if disclosure.viewer_of(user, student) not in OVERVIEW_VIEWERS:
        raise Http404("ไม่พบข้อมูล")
    return student


def may_open_overview(user, student: Student) -> bool:
    """For links to the page: no query beyond what the request has cached already."""
    return disclosure.viewer_of(user, student) in OVERVIEW_VIEWERS


def may_download_document(user, document: IssuedDocument) -> bool:
    """The same people as `documents_visible_to`, for a document already read."""
    return document.issued_at is not None and document.school_id in issuing_school_ids(user)


# The school's document settings (signing certificate, printer offset, calibration page): its
# admin and its registrar.
SETTINGS_ROLES = (Role.ADMIN, Role.REGISTRAR)


def document_settings_school_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    return scope_for(user).school_ids_with(*SETTINGS_ROLES)


def schools_with_document_settings_for(user) -> QuerySet[School]:
    return School.objects.filter(pk__in=document_settings_school_ids(user))


def access_school_document_settings(user, code) -> School:
    return get_visible_or_404(schools_with_document_settings_for(user), code=code)


# --- ปพ.3 (a school's graduates report) and ปพ.7 (a student's certificate) ------------------------
# Both are issued by the school's registrar and principal (`issuing_school_ids`, as ปพ.1); the
# issued ปพ.3 rows are searched by the officers of the areas overseeing the school, nobody else.


def schools_issuing_pp3_for(user) -> QuerySet[School]:
    return School.objects.filter(pk__in=issuing_school_ids(user))


def access_pp3_school(user, code) -> School:
    return get_visible_or_404(schools_issuing_pp3_for(user).select_related("area", "affiliation"), code=code)


def pp3_document_visible(user, code) -> IssuedDocument:
    """An issued ปพ.3 of the user's school (for its .xlsx)."""
    return get_visible_or_404(
        documents_visible_to(user).filter(type=DocumentType.PP3).select_related("graduate_report"), code=code
    )


def graduate_search_school_ids(user) -> frozenset[int]:
    """The schools whose issued ปพ.3 rows an officer searches: those their area oversees."""
    if not user.is_authenticated:
        return frozenset()
    return scope_for(user).overseen_school_ids


def may_search_graduates(user) -> bool:
    return bool(graduate_search_school_ids(user))


def graduates_visible_to(user) -> QuerySet:
    from reports.models import IssuedGraduate

    return IssuedGraduate.objects.filter(report__document__school_id__in=graduate_search_school_ids(user))
