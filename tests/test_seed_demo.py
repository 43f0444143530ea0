"""The demo data: realistic, valid, every role present, loadable twice safely."""

from __future__ import annotations

import sys

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import override_settings

from conftest import SUITE_CLOCK
from schools.models import CalendarEvent, EducationArea, School, StaffMembership, User
from students.identity import is_valid_national_id
from students.models import Classroom, Enrolment, Guardian, Student

SEED = ("--areas", "2", "--schools", "1", "--students-per-school", "120", "--seed", "7", "--quiet-logins")


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once for the module (on the suite's clock, as a test would), in a
    transaction rolled back when the module is done; each test runs in a savepoint of it, so
    what one test changes is gone before the next, as with a seed per test."""
    outer = transaction.atomic()
    # The files the seed stores (the schools' demo certificates) go to a temporary media root.
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock(), time_machine.travel(SUITE_CLOCK, tick=True):
        outer.__enter__()
        try:
            call_command("seed_demo", *SEED)
            # Check the seed's deferred foreign keys now, once, rather than again at every
            # test's end (a savepoint rolled back puts the pending checks back).
            connection.check_constraints()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            media.disable()
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        media.disable()


@pytest.fixture
def seeded(_seeded_once, db):
    pass


def test_it_creates_municipal_and_obec_schools_with_students(seeded):
    schools = list(School.objects.select_related("affiliation", "area"))
    assert {s.affiliation.code for s in schools} == {"10", "30"}
    assert {s.area.kind for s in schools} == {EducationArea.Kind.MUNICIPAL, EducationArea.Kind.ESA_PRIMARY}
    assert Student.objects.count() == 240
    assert all(s.ministry_code.isdigit() and len(s.ministry_code) == 10 for s in schools)


def test_every_national_id_is_valid_and_a_few_children_have_g_codes_or_none(seeded):
    ids = list(Student.objects.exclude(national_id=None).values_list("national_id", flat=True))
    assert ids
    assert all(is_valid_national_id(value) for value in ids)
    assert Student.objects.filter(national_id=None).count() >= 1


def test_every_role_has_a_login(seeded):
    roles = set(StaffMembership.objects.values_list("role", flat=True))
    assert set(StaffMembership.Role.values) <= roles
    assert Guardian.objects.filter(user__isnull=False, activated_at__isnull=False).exists()
    for username in ("admin", "officer1", "officer2", "principal1", "registrar1", "counsellor1", "parent1_1"):
        assert User.objects.filter(username=username).exists(), username


def test_students_are_numbered_within_classrooms_and_classes_have_homeroom_teachers(seeded):
    assert not Classroom.objects.filter(homeroom_teachers=None).exists()
    numbers = list(Enrolment.objects.filter(classroom__isnull=False).values_list("classroom_id", "number"))
    assert len(numbers) == len(set(numbers))


def test_it_refuses_to_seed_twice_unless_asked_to_skip(seeded):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--if-empty", "--quiet-logins")
    assert School.objects.count() == 2


def test_every_school_has_a_calendar_curriculum_sections_and_a_clash_free_timetable(seeded):
    from academics.models import ClassroomPlan, CourseSection, Period, StudyPlan, TimetableSlot
    from academics.selectors.timetable import term_timetable
    from schools.models import CalendarEvent
    from schools.selectors.organisation import current_term

    for school in School.objects.all():
        term = current_term(school)
        assert term is not None, school.name
        assert term.academic_year.terms.count() == 2
        kinds = set(CalendarEvent.objects.filter(academic_year=term.academic_year).values_list("kind", flat=True))
        assert {CalendarEvent.Kind.HOLIDAY, CalendarEvent.Kind.EXAM} <= kinds, school.name
        assert StudyPlan.objects.filter(school=school).exists()
        classrooms = Classroom.objects.filter(school=school, academic_year=term.academic_year)
        assert classrooms.exists()
        # Every classroom but kindergarten (อ.) follows a study plan.
        planned = set(ClassroomPlan.objects.filter(classroom__in=classrooms).values_list("classroom_id", flat=True))
        assert planned == set(classrooms.exclude(grade_level__code__startswith="K").values_list("pk", flat=True))
        # A primary school's term 2 is taught by its year courses (on term 1) alone.
        assert CourseSection.objects.in_term(term).filter(school=school).exists()
        assert Period.objects.filter(school=school).count() >= 6
        slots = TimetableSlot.objects.filter(school=school, term=term)
        assert set(slots.values_list("classroom_id", flat=True)) == planned, school.name
        assert term_timetable(school=school, term=term).clashes == [], school.name


def test_kindergarten_classes_get_a_year_of_development_evaluations_and_no_rtw(seeded):
    from django.db.models import F

    from academics.models import EarlyChildhoodAssessment, Evaluation
    from students.models import Classroom

    kinder = Classroom.objects.filter(grade_level__stage="kindergarten")
    assert kinder.exists()
    evaluated = (
        EarlyChildhoodAssessment.objects.filter(student__enrolments__classroom__in=kinder)
        .values_list("term__academic_year_id", "term__number")
        .distinct()
    )
    assert len(set(evaluated)) >= 2  # the terms of a year at least
    # No RTW or characteristics for a child in a year they were in kindergarten.
    assert not Evaluation.objects.filter(
        student__enrolments__classroom__in=kinder, student__enrolments__academic_year=F("term__academic_year")
    ).exists()


def test_primary_classes_study_year_courses_counted_once_and_secondary_classes_term_courses(seeded):
    from academics.models import CourseSection, StudyPlanItem

    primary = CourseSection.objects.filter(classroom__grade_level__stage="primary")
    secondary = CourseSection.objects.filter(classroom__grade_level__stage__in=["lower_secondary", "upper_secondary"])
    assert primary.exists()
    assert not primary.filter(spans_year=False).exists()
    assert primary.filter(term__number=1).count() == primary.count()  # on each year's first term
    # One section per classroom and subject in a year: nothing counted twice.
    pairs = list(primary.values_list("classroom_id", "subject_id"))
    assert len(pairs) == len(set(pairs))
    assert not secondary.filter(spans_year=True).exists()
    items = StudyPlanItem.objects.filter(grade_level__stage="primary")
    assert items.exists()
    assert set(items.values_list("term_number", flat=True)) == {StudyPlanItem.WHOLE_YEAR}


def test_every_current_classroom_has_a_years_daily_attendance_with_some_chronic_absentees(seeded):
    from django.utils import timezone

    from students.demo import DEMO_CLOSURE
    from students.models import Classroom, DailyAttendance
    from students.services import attendance

    today = timezone.localdate()
    classroom = (
        Classroom.objects.filter(academic_year__start_date__lte=today, academic_year__end_date__gte=today)
        .exclude(enrolments=None)
        .first()
    )
    rates = attendance.classroom_rates(classroom, today=today)
    assert len(rates.taken_days) >= len(rates.school_days) - 1  # today may still be open
    assert all(s.recorded >= len(rates.school_days) - 1 for s in rates.students)
    chronic = sum(
        len(attendance.classroom_rates(c, today=today).chronic)
        for c in Classroom.objects.filter(academic_year__start_date__lte=today, academic_year__end_date__gte=today)[:12]
    )
    assert chronic > 0
    assert DailyAttendance.objects.filter(status="ข").exists()
    closure = CalendarEvent.objects.get(title=DEMO_CLOSURE)
    assert not DailyAttendance.objects.filter(school=closure.school, date=closure.start_date).exists()


def test_a_few_classrooms_get_home_visits_screenings_and_sdq_forms_with_some_at_risk(seeded):
    from students.models import HomeVisit, PovertyScreening, SdqAssessment

    assert HomeVisit.objects.count() > 0
    assert PovertyScreening.objects.filter(eligible=True).exists()
    assert PovertyScreening.objects.filter(eligible=False).exists()
    statuses = set(SdqAssessment.objects.values_list("status", flat=True))
    assert "normal" in statuses and statuses & {"risk", "problem"}
    # Every informant's form: the child's own from ป.4 up, the parent's filled by that parent.
    assert set(SdqAssessment.objects.values_list("informant", flat=True)) == {"teacher", "student", "parent"}
    for form in SdqAssessment.objects.filter(informant="parent"):
        assert Guardian.objects.filter(student_id=form.student_id, user_id=form.filled_by_id).exists()
    assert not SdqAssessment.objects.filter(
        informant__in=["student", "parent"],
        student__enrolments__academic_year=F("academic_year"),
        student__enrolments__grade_level__code__in=["P1", "P2", "P3"],
    ).exists()


def test_two_weighing_rounds_with_children_changing_status_and_one_odd_height_confirmed(seeded):
    from students.models import Measurement, MeasurementRound
    from students.services.measurements import school_nutrition

    assert MeasurementRound.objects.count() == 2 * School.objects.count()
    assert (
        Measurement.objects.filter(confirmed_questions__contains=["height_in_metres"]).count() == School.objects.count()
    )
    # Confirmed by the classroom's homeroom teacher.
    for odd in Measurement.objects.filter(confirmed_questions__contains=["height_in_metres"]):
        assert odd.updated_by is not None
        assert odd.classroom.homeroom_teachers.filter(pk=odd.updated_by_id).exists()
        # A height already questioned as metres is not asked about again as a drop (as on a save).
        assert odd.confirmed_questions == ["height_in_metres"]
    assert not Measurement.objects.filter(reference="").exclude(height_cm__lt=10).exists()
    for second in MeasurementRound.objects.filter(name="ภาคเรียนที่ 2"):
        changed = sum(n for _before, _after, n in school_nutrition(second).changes)
        assert changed >= 5


def test_some_students_are_at_risk_for_real_reasons(seeded):
    from earlywarning.models import RiskStatus

    flags = list(RiskStatus.objects.all())
    assert flags, "the demo has no student at risk"
    assert {flag.dimension for flag in flags} >= {"attendance"}
    assert all(flag.reasons and flag.reasons[0]["text"] for flag in flags)


def test_every_dimension_has_a_flag_drawn_from_the_seeded_records(seeded):
    from earlywarning.models import RiskStatus
    from earlywarning.rules import DIMENSIONS
    from earlywarning.services.status import population_figures
    from students.models import HomeVisit, Measurement, PovertyScreening, SdqAssessment

    flags = list(RiskStatus.objects.all())
    by_dimension = {}
    for flag in flags:
        by_dimension.setdefault(flag.dimension, []).append(flag)
    assert set(by_dimension) == set(DIMENSIONS), set(by_dimension)
    ids = [flag.student_id for d in ("health", "economic", "family") for flag in by_dimension[d]]
    _schools, figures = population_figures(ids)
    for flag in by_dimension["health"]:
        row = Measurement.objects.filter(student_id=flag.student_id).order_by("-measured_on").first()
        assert row is not None and {row.wfh_code or row.bfa_code, row.hfa_code} & {
            "thin", "bmi_thinness", "bmi_severe_thinness", "obese", "bmi_obese", "short",
        }  # fmt: skip
    assert any("สูงกว่าเกณฑ์ของชั้น" in r["text"] for flag in by_dimension["status"] for r in flag.reasons)
    for flag in by_dimension["economic"]:
        assert PovertyScreening.objects.get(student_id=flag.student_id, academic_year__year=2569).eligible
        assert figures[flag.student_id]["poverty_eligible"] == 1
    for flag in by_dimension["family"]:
        texts = " ".join(r["text"] for r in flag.reasons)
        if "เยี่ยมบ้าน" in texts:
            latest = HomeVisit.objects.filter(student_id=flag.student_id).order_by("-visited_on", "-created_at").first()
            assert latest.risks and figures[flag.student_id]["home_visit_risks"] == len(latest.risks)
        if "SDQ" in texts:
            assert SdqAssessment.objects.filter(student_id=flag.student_id, status__in=["risk", "problem"]).exists()


def test_every_current_classroom_has_an_issued_pp6_and_demo_parents_see_their_childrens(seeded):
    from reports.models import DocumentType, IssuedDocument, ReportJob

    documents = IssuedDocument.objects.filter(type=DocumentType.PP6, issued_at__isnull=False, is_void=False)
    assert ReportJob.objects.filter(type=DocumentType.PP6).exclude(status=ReportJob.Status.DONE).count() == 0
    classrooms = set(
        Classroom.objects.filter(academic_year__year=2569)
        .exclude(grade_level__stage="kindergarten")
        .values_list("pk", flat=True)
    )
    covered = set(documents.values_list("job__classroom_id", flat=True))
    assert classrooms and classrooms <= covered
    parent = User.objects.get(username="parent1_1")
    children = set(Guardian.objects.filter(user=parent).values_list("student_id", flat=True))
    assert len(children) == 2
    # A kindergarten child has the early-childhood report instead of a ปพ.6.
    at_school = set(
        Enrolment.objects.filter(student_id__in=children, classroom_id__in=classrooms).values_list(
            "student_id", flat=True
        )
    )
    assert at_school and at_school <= set(documents.values_list("student_id", flat=True))
    assert all(d.term_id for d in documents)


def test_a_demo_school_has_an_issued_pp3_with_its_rows_and_xlsx_and_every_school_a_pp7(seeded):
    from reports.models import DocumentType, GraduateReport, IssuedDocument, ReportJob

    assert not ReportJob.objects.filter(type__in=["pp3", "pp7"]).exclude(status=ReportJob.Status.DONE).exists()
    reports = list(GraduateReport.objects.select_related("document"))
    assert reports and all(r.document.issued and r.document.signer_fingerprint and r.xlsx for r in reports)
    assert all(r.graduates.exists() and r.stage == "P6" for r in reports)
    pp7 = IssuedDocument.objects.filter(type=DocumentType.PP7, issued_at__isnull=False, is_void=False)
    assert set(pp7.values_list("school_id", flat=True)) == set(School.objects.values_list("pk", flat=True))
    assert all(d.purpose and d.signer_fingerprint for d in pp7)


def test_some_flags_get_interventions_open_closed_and_a_referral_and_some_are_left_overdue(seeded):
    from earlywarning.models import Intervention
    from earlywarning.selectors import follow_up_list

    interventions = list(Intervention.objects.all())
    assert {i.status for i in interventions} == {"open", "closed"}
    assert all(i.outcome for i in interventions if i.status == "closed")
    assert any(i.kind == "referral" and i.referred_to for i in interventions)
    states = {row.follow_up.state for school in School.objects.all() for row in follow_up_list(school=school)}
    assert {"overdue", "open", "closed"} <= states


def test_every_school_gets_a_demo_signing_certificate_that_opens(seeded):
    from django.conf import settings

    from reports import signing
    from reports.models import SigningCertificate

    schools = School.objects.count()
    certificates = list(SigningCertificate.objects.select_related("school"))
    assert len(certificates) == schools
    for certificate in certificates:
        with certificate.bundle.open("rb") as handle:
            info = signing.read_pkcs12(
                handle.read(), signing.unseal(certificate.password_sealed, secret=settings.SECRET_KEY)
            )
        assert info.fingerprint == certificate.fingerprint
        assert info.issuer.startswith("Q-Info Demo Root CA")


def test_the_demo_parents_have_alerts_and_every_dimensions_flags_have_interventions(seeded):
    """A demo login as a parent shows alerts from the school, and the follow-up pages have work
    in every dimension: flags in each, some with interventions."""
    from earlywarning.models import Alert, Intervention, RiskStatus
    from earlywarning.rules import DIMENSIONS

    parents = set(
        Guardian.objects.filter(user__isnull=False, activated_at__isnull=False).values_list("user_id", flat=True)
    )
    alerted = Alert.objects.filter(audience="parent", recipient_id__in=parents).values_list("recipient_id", flat=True)
    assert alerted.exists(), "no demo parent has an alert"
    # Each alert reaches a parent of that very child, worded without care records.
    for alert in Alert.objects.filter(audience="parent").select_related("student")[:50]:
        assert Guardian.objects.filter(student=alert.student, user=alert.recipient, activated_at__isnull=False).exists()
        assert not any(r.get("care") and r.get("rule") != "care" for r in alert.reasons)
    flagged = set(RiskStatus.objects.values_list("dimension", flat=True))
    assert flagged == set(DIMENSIONS)
    helped = set(Intervention.objects.values_list("dimension", flat=True))
    assert len(helped) >= 3, helped
    assert Alert.objects.filter(audience="staff").exists()
