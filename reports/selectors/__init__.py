"""Reads behind the home pages and dashboards. Each is a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from earlywarning.selectors import parent_alerts_by_child
from schools.models import School, StaffMembership
from schools.selectors.organisation import current_academic_year
from students.access import homeroom_classrooms
from students.models import Classroom, Enrolment, GradeLevel, Guardian, Student
from students.selectors.status import status_report

Role = StaffMembership.Role


def school_overview(school: School) -> dict:
    """Counts a principal or registrar sees on their home page."""
    year = current_academic_year(school)
    # The same figures as the year's status report, from the same selector: a student who left
    # in an earlier year is not counted again, and one who moved to another school of the
    # install this year still counts here as transferred out.
    status_counts = {}
    if year:
        status_counts = {status: n for status, _label, n in status_report(school=school, academic_year=year).totals}
    by_level = []
    if year:
        rows = (
            Enrolment.objects.filter(school=school, academic_year=year, student__status=Student.Status.STUDYING)
            .values("grade_level__short_name", "grade_level__order", "grade_level__code")
            .annotate(
                total=Count("id"),
                male=Count("id", filter=Q(student__sex=Student.Sex.MALE)),
                female=Count("id", filter=Q(student__sex=Student.Sex.FEMALE)),
                rooms=Count("classroom", distinct=True),
            )
            .order_by("grade_level__order")
        )
        by_level = list(rows)
    studying = status_counts.get(Student.Status.STUDYING, 0)
    quality = Student.objects.filter(school=school, status=Student.Status.STUDYING).aggregate(
        without_id=Count("id", filter=Q(national_id__isnull=True, g_code__isnull=True)),
        g_code=Count("id", filter=Q(g_code__isnull=False)),
        without_birth_date=Count("id", filter=Q(birth_date__isnull=True)),
    )
    without_enrolment = 0
    if year:
        without_enrolment = (
            Student.objects.filter(school=school, status=Student.Status.STUDYING)
            .exclude(enrolments__academic_year=year)
            .count()
        )
    staff = StaffMembership.objects.filter(school=school, is_active=True).aggregate(
        people=Count("user", distinct=True),
        teachers=Count("user", distinct=True, filter=Q(role__in=[Role.TEACHER, Role.HOMEROOM_TEACHER])),
    )
    guardians = Guardian.objects.filter(school=school).aggregate(
        total=Count("id"), active=Count("id", filter=Q(activated_at__isnull=False))
    )
    return {
        "year": year,
        "studying": studying,
        "status_counts": [(label, status_counts.get(value, 0), value) for value, label in Student.Status.choices],
        "by_level": by_level,
        "classrooms": Classroom.objects.filter(school=school, academic_year=year).count() if year else 0,
        "quality": {**quality, "without_enrolment": without_enrolment},
        "staff": staff,
        "guardians": guardians,
    }


def teacher_classes(user, school_id: int | None = None) -> list[Classroom]:
    """The homeroom classes a teacher looks after in the current year, with head counts."""
    queryset = homeroom_classrooms(user).select_related("grade_level", "academic_year", "school")
    if school_id:
        queryset = queryset.filter(school_id=school_id)
    queryset = queryset.annotate(
        students=Count("enrolments", filter=Q(enrolments__student__status=Student.Status.STUDYING), distinct=True),
        boys=Count(
            "enrolments",
            filter=Q(enrolments__student__status=Student.Status.STUDYING, enrolments__student__sex=Student.Sex.MALE),
            distinct=True,
        ),
        girls=Count(
            "enrolments",
            filter=Q(enrolments__student__status=Student.Status.STUDYING, enrolments__student__sex=Student.Sex.FEMALE),
            distinct=True,
        ),
    ).prefetch_related("homeroom_teachers")
    classes = list(queryset.order_by("-academic_year__year", "grade_level__order", "room"))
    if not classes:
        return []
    latest = classes[0].academic_year.year
    return [classroom for classroom in classes if classroom.academic_year.year == latest]


def area_schools(school_ids) -> list[School]:
    """The schools an officer oversees with their current head counts, in two queries."""
    schools = list(
        School.objects.filter(id__in=school_ids)
        .select_related("affiliation", "area")
        .annotate(
            studying=Count("students", filter=Q(students__status=Student.Status.STUDYING), distinct=True),
        )
        .order_by("name")
    )
    teachers = dict(
        StaffMembership.objects.filter(
            school_id__in=[school.pk for school in schools],
            is_active=True,
            role__in=[Role.TEACHER, Role.HOMEROOM_TEACHER],
        )
        .values("school_id")
        .annotate(n=Count("user", distinct=True))
        .values_list("school_id", "n")
    )
    for school in schools:
        school.teacher_count = teachers.get(school.pk, 0)
    return schools


def parent_children(user) -> list[Student]:
    """A parent's children with this year's class and homeroom teachers, today's and the year's
    attendance, ปพ.6 documents, alerts, the GPAX (None in kindergarten) and the latest
    nutrition status (for the children whose status the parent may read). A fixed number of
    queries whatever the number of children."""
    students = list(
        Student.objects.filter(guardians__user=user, guardians__activated_at__isnull=False)
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "enrolments",
                queryset=Enrolment.objects.select_related("academic_year", "grade_level", "classroom__grade_level")
                .prefetch_related("classroom__homeroom_teachers")
                .order_by("-academic_year__year"),
                to_attr="enrolment_list",
            )
        )
        .distinct()
        .order_by("first_name")
    )
    for student in students:
        student.current_enrolment = student.enrolment_list[0] if student.enrolment_list else None
    from students.services.attendance import attendance_overview

    figures = attendance_overview(
        [(s, s.current_enrolment.academic_year) for s in students if s.current_enrolment is not None]
    )
    from reports.selectors.documents import child_pp6_documents

    documents = child_pp6_documents(students)
    alerts = parent_alerts_by_child(user)
    from academics.selectors.results import cumulative_gpax
    from students.access import guardian_health_student_ids
    from students.services.measurements import latest_measurements

    gpax = cumulative_gpax(students)
    health_ids = guardian_health_student_ids(user)
    nutrition = latest_measurements([s for s in students if s.pk in health_ids])
    for student in students:
        student.attendance = figures.get(student.pk)
        student.pp6_documents = documents.get(student.pk, [])
        student.recent_alerts = alerts.get(student.pk, [])
        enrolment = student.current_enrolment
        kindergarten = enrolment is not None and enrolment.grade_level.stage == GradeLevel.Stage.KINDERGARTEN
        student.gpax = None if kindergarten else gpax.get(student.pk)
        student.kindergarten = kindergarten
        student.nutrition = nutrition.get(student.pk)
    return students


def grade_levels() -> list[GradeLevel]:
    return list(GradeLevel.objects.all())


def teacher_sections(user, school: School) -> list:
    """The sections a teacher teaches in the school's current term, with head counts."""
    from academics.access import taught_sections
    from schools.selectors.organisation import current_term

    term = current_term(school)
    if term is None:
        return []
    return list(
        taught_sections(user)
        .in_term(term)
        .select_related("subject", "classroom__grade_level", "term__academic_year")
        .annotate(student_count=Count("registrations", distinct=True))
        .order_by("classroom__grade_level__order", "classroom__room", "subject__subject_code")
    )


def teacher_review_news(user, school: School) -> list:
    """The teacher's sections of the current term whose latest review returned them or approved
    them, with the reviewer and comment, newest first. Two queries."""
    from academics.models import ResultReview, ResultStatus, in_term_q
    from schools.selectors.organisation import current_term

    term = current_term(school)
    if term is None:
        return []
    latest = (
        ResultReview.objects.filter(in_term_q(term, "section__"), section__section_teachers__teacher=user)
        .select_related("by", "section__subject", "section__classroom__grade_level")
        .order_by("section_id", "-at", "-id")
        .distinct("section_id")
    )
    news = [
        review
        for review in latest
        if review.to_status == ResultStatus.APPROVED
        or (review.to_status == ResultStatus.DRAFT and review.from_status != ResultStatus.DRAFT)
    ]
    for review in news:
        review.returned = review.to_status == ResultStatus.DRAFT
    return sorted(news, key=lambda review: review.at, reverse=True)


def results_overview(school: School) -> dict | None:
    """The current term's results pipeline and the school's standing on Q-Info's outcomes
    (GPAX under 1.5; more than three 0 grades in a year). Seven queries."""
    from academics.models import CourseSection, ResultChange, ResultStatus
    from academics.selectors import results as result_selectors
    from schools.selectors.organisation import current_term

    term = current_term(school)
    if term is None:
        return None
    statuses = dict(
        CourseSection.objects.in_term(term)
        .values_list("result_status")
        .annotate(n=Count("id"))
        .values_list("result_status", "n")
    )
    gpax = result_selectors.school_gpax(school)
    bands = gpax.aggregate(
        below_15=Count("id", filter=Q(gpa__lt=1.5)),
        from_15=Count("id", filter=Q(gpa__gte=1.5, gpa__lt=2)),
        from_2=Count("id", filter=Q(gpa__gte=2, gpa__lt=2.5)),
        from_25=Count("id", filter=Q(gpa__gte=2.5, gpa__lt=3)),
        from_3=Count("id", filter=Q(gpa__gte=3, gpa__lt=3.5)),
        from_35=Count("id", filter=Q(gpa__gte=3.5)),
        total=Count("id"),
    )
    zeros_by_student = result_selectors.zeros_by_student(school, term)
    return {
        "term": term,
        "statuses": [(value, label, statuses.get(value, 0)) for value, label in ResultStatus.choices],
        "pending_changes": ResultChange.objects.filter(school=school, status=ResultChange.Status.PENDING).count(),
        "gpax_bands": bands,
        "more_than_three_zeros": zeros_by_student.count(),
    }


def area_head_sections(user, school: School) -> list:
    """Sections of the learning areas a head reviews, in the current term, waiting for them first."""
    from academics.models import CourseSection, LearningAreaHead, ResultStatus
    from schools.selectors.organisation import current_term

    term = current_term(school)
    areas = list(LearningAreaHead.objects.filter(user=user, school=school).values_list("learning_area_id", flat=True))
    if term is None or not areas:
        return []
    sections = list(
        CourseSection.objects.in_term(term)
        .filter(subject__learning_area_id__in=areas)
        .select_related("subject", "classroom__grade_level", "term__academic_year")
        .annotate(student_count=Count("registrations", distinct=True))
    )
    sections.sort(key=lambda s: (s.result_status != ResultStatus.SUBMITTED, s.subject.subject_code, s.label))
    return sections
