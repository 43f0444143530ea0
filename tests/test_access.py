"""The access table: every persona against every object, on every page and API that exists.

Forbidden and missing look the same (404), for reads and for writes.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from .conftest import PERSONAS

# Which personas may read / change which objects of the world fixture.
READ = {
    "student_a": {"teacher_a", "registrar", "principal", "officer_1", "parent", "admin"},
    "student_b": {"teacher_b", "registrar", "principal", "officer_1", "admin"},
    "student_c": {"teacher_c", "officer_2", "admin"},
    "school_a": {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"},
    "school_c": {"teacher_c", "officer_2", "admin"},
    "class_a": {"teacher_a", "registrar", "principal", "officer_1", "admin"},
    "class_c": {"teacher_c", "officer_2", "admin"},
    "enrolment_a": {"teacher_a", "registrar", "principal", "officer_1", "parent", "admin"},
    "enrolment_c": {"teacher_c", "officer_2", "admin"},
}
WRITE = {
    "student_a": {"registrar", "admin"},
    "student_c": {"admin"},
    "guardian_a": {"registrar", "admin"},
    "guardian_c": {"admin"},
    "school_a_staff": {"principal", "admin"},
    "school_c_staff": {"admin"},
    "school_a_manage": {"registrar", "admin"},
    "school_c_manage": {"admin"},
    # The document settings (signing certificate, printer offset): the school's admin and
    # registrar memberships only, not the system admin nor the principal.
    "school_a_documents": {"registrar"},
    "school_c_documents": set(),
}


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


READ_PAGES = [
    ("student_a", "/students/{code}/"),
    ("student_b", "/students/{code}/"),
    ("student_c", "/students/{code}/"),
    ("student_a", "/api/v1/students/{code}/"),
    ("student_c", "/api/v1/students/{code}/"),
    ("school_a", "/schools/{code}/"),
    ("school_c", "/schools/{code}/"),
    ("school_a", "/api/v1/schools/{code}/"),
    ("school_c", "/api/v1/schools/{code}/"),
    ("class_a", "/classrooms/{code}/"),
    ("class_c", "/classrooms/{code}/"),
    ("enrolment_a", "/api/v1/enrolments/{code}/"),
    ("enrolment_c", "/api/v1/enrolments/{code}/"),
    ("class_a", "/api/v1/classrooms/{code}/"),
    ("class_c", "/api/v1/classrooms/{code}/"),
    ("class_a", "/api/v1/classrooms/{code}/roster/"),
    ("class_c", "/api/v1/classrooms/{code}/roster/"),
    ("class_a", "/api/v1/classrooms/{code}/timetable/"),
    ("class_c", "/api/v1/classrooms/{code}/timetable/"),
    ("school_a", "/api/v1/schools/{code}/calendar/2569/events/"),
    ("school_c", "/api/v1/schools/{code}/calendar/2569/events/"),
    ("school_a", "/api/v1/schools/{code}/calendar/2569/school-days/"),
    ("school_c", "/api/v1/schools/{code}/calendar/2569/school-days/"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "url"), READ_PAGES)
def test_reads_are_allowed_exactly_for_the_personas_in_the_table(world, persona, target, url):
    obj = getattr(world, target)
    response = client_for(world, persona).get(url.format(code=obj.code))
    expected = 200 if persona in READ[target] else 404
    assert response.status_code == expected, f"{persona} GET {url} for {target}"


WRITE_REQUESTS = [
    ("student_a", "get", "/students/{code}/edit/", None),
    ("student_a", "post", "/students/{code}/edit/", {"first_name": ""}),
    ("student_a", "get", "/students/{code}/history/", None),
    ("student_a", "post", "/students/{code}/enrolments/new/", {}),
    ("student_a", "post", "/students/{code}/guardians/new/", {}),
    ("student_a", "patch", "/api/v1/students/{code}/", {"first_name": "ใหม่", "reason": "ทดสอบ"}),
    ("student_c", "get", "/students/{code}/edit/", None),
    ("student_c", "post", "/students/{code}/edit/", {"first_name": ""}),
    ("student_c", "patch", "/api/v1/students/{code}/", {"first_name": "ใหม่", "reason": "ทดสอบ"}),
    ("guardian_a", "post", "/guardians/{code}/activation-code/", {}),
    ("guardian_c", "post", "/guardians/{code}/activation-code/", {}),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "method", "url", "data"), WRITE_REQUESTS)
def test_writes_are_allowed_exactly_for_the_personas_in_the_table(world, persona, target, method, url, data):
    obj = getattr(world, target)
    client = client_for(world, persona)
    path = url.format(code=obj.code)
    if method == "patch":
        response = client.patch(path, data=data, content_type="application/json")
    else:
        response = getattr(client, method)(path, data=data or {})
    if persona in WRITE[target]:
        assert response.status_code != 404, f"{persona} {method} {url} should be allowed"
    else:
        assert response.status_code == 404, f"{persona} {method} {url} for {target} should be 404"


SCHOOL_WRITES = [
    ("school_a", "staff", "get", "/schools/{code}/staff/"),
    ("school_a", "staff", "post", "/schools/{code}/staff/"),
    ("school_a", "staff", "get", "/schools/{code}/history/"),
    ("school_a", "manage", "post", "/schools/{code}/years/"),
    ("school_c", "staff", "get", "/schools/{code}/staff/"),
    ("school_c", "staff", "get", "/schools/{code}/history/"),
    ("school_c", "manage", "post", "/schools/{code}/years/"),
    ("school_a", "documents", "get", "/documents/schools/{code}/settings/"),
    ("school_a", "documents", "post", "/documents/schools/{code}/certificate/"),
    ("school_a", "documents", "post", "/documents/schools/{code}/printer-offset/"),
    ("school_a", "documents", "post", "/documents/schools/{code}/options/"),
    ("school_a", "documents", "get", "/documents/schools/{code}/calibration.pdf"),
    ("school_c", "documents", "get", "/documents/schools/{code}/settings/"),
    ("school_c", "documents", "post", "/documents/schools/{code}/certificate/"),
    ("school_c", "documents", "post", "/documents/schools/{code}/options/"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "kind", "method", "url"), SCHOOL_WRITES)
def test_school_administration_is_limited_to_its_managers(world, persona, target, kind, method, url):
    school = getattr(world, target)
    response = getattr(client_for(world, persona), method)(url.format(code=school.code), data={})
    allowed = persona in WRITE[f"{target}_{kind}"]
    assert (response.status_code != 404) is allowed, f"{persona} {method} {url}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_creating_an_enrolment_through_the_api_needs_write_access_to_the_student(world, persona):
    response = client_for(world, persona).post(
        "/api/v1/enrolments/",
        data={"student": str(world.student_c.code), "academic_year": 2570, "grade_level": "M2"},
        content_type="application/json",
    )
    if persona == "admin":
        assert response.status_code == 400  # no year 2570 at that school: a clear error, not a 404
        assert "2570" in response.json()["errors"]["academic_year"][0]
    else:
        assert response.status_code == 404


EXPECTED_LIST = {
    "teacher_a": {"student_a", "student_a2"},
    "teacher_b": {"student_b"},
    "teacher_c": {"student_c"},
    "registrar": {"student_a", "student_a2", "student_b"},
    "principal": {"student_a", "student_a2", "student_b"},
    "officer_1": {"student_a", "student_a2", "student_b"},
    "officer_2": {"student_c"},
    "parent": {"student_a"},
    "admin": {"student_a", "student_a2", "student_b", "student_c"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_student_lists_show_exactly_the_visible_students(world, persona):
    client = client_for(world, persona)
    expected = {str(getattr(world, name).code) for name in EXPECTED_LIST[persona]}
    api = client.get("/api/v1/students/")
    assert api.status_code == 200
    assert {row["code"] for row in api.json()["results"]} == expected
    page = client.get("/students/").content.decode()
    for name in ("student_a", "student_a2", "student_b", "student_c"):
        student = getattr(world, name)
        assert (f"/students/{student.code}/" in page) is (name in EXPECTED_LIST[persona]), f"{persona} sees {name}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_unknown_codes_are_404_like_forbidden_ones(world, persona):
    client = client_for(world, persona)
    missing = uuid.uuid4()
    for url in (
        "/students/{}/",
        "/api/v1/students/{}/",
        "/schools/{}/",
        "/classrooms/{}/",
        "/api/v1/enrolments/{}/",
        "/api/v1/classrooms/{}/",
        "/api/v1/classrooms/{}/timetable/",
        "/api/v1/calendar-events/{}/",
    ):
        assert client.get(url.format(missing)).status_code == 404


def test_signed_out_visitors_are_sent_to_login_and_the_api_refuses_them(world):
    client = Client()
    response = client.get(f"/students/{world.student_a.code}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/api/v1/students/").status_code in (401, 403)


def test_a_grouping_officer_sees_the_schools_of_the_grouping(world):
    from schools.models import StaffMembership

    from . import factories as f

    officer = f.UserFactory(username="officer_grouping")
    f.member(officer, StaffMembership.Role.DISTRICT_OFFICER, area=world.grouping)
    world.school_c.groupings.add(world.grouping)
    client = Client()
    client.force_login(officer)
    assert client.get(f"/schools/{world.school_c.code}/").status_code == 200
    assert client.get(f"/students/{world.student_c.code}/").status_code == 200
    assert client.get(f"/schools/{world.school_a.code}/").status_code == 404


def test_an_officer_of_a_parent_area_oversees_its_sub_areas(world):
    from schools.models import StaffMembership

    from . import factories as f

    province = f.AreaFactory(name="จังหวัดทดสอบ", kind="province")
    world.area2.parent = province
    world.area2.save()
    officer = f.UserFactory(username="officer_province")
    f.member(officer, StaffMembership.Role.DISTRICT_OFFICER, area=province)
    client = Client()
    client.force_login(officer)
    assert client.get(f"/students/{world.student_c.code}/").status_code == 200
    assert client.get(f"/students/{world.student_a.code}/").status_code == 404


# Health measurements (weight, height, nutrition status) are sensitive and read as the care
# records are: the child's homeroom teachers, the counsellors and the principal, a system admin,
# and the child's own guardian (status only); not the registrar, not a school admin, not officers.
HEALTH_READ = {
    "student_a": {"teacher_a", "principal", "parent", "admin"},
    "student_b": {"teacher_b", "principal", "admin"},
    "student_c": {"teacher_c", "admin"},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", sorted(HEALTH_READ))
@pytest.mark.parametrize("url", ["/health/students/{code}/", "/api/v1/students/{code}/measurements/"])
def test_a_childs_health_record_is_read_exactly_by_the_personas_in_the_table(world, persona, target, url):
    response = client_for(world, persona).get(url.format(code=getattr(world, target).code))
    expected = 200 if persona in HEALTH_READ[target] else 404
    assert response.status_code == expected, f"{persona} GET {url} for {target}"


# A classroom's grid of a round: read by its homeroom teachers, the principal (and counsellors)
# and a system admin; typed in by its homeroom teachers and a system admin. The registrar opens
# rounds and uploads their files, and with the school's staff reads the counts (no child named).
HEALTH_CLASS = {
    "read": {"teacher_a", "principal", "admin"},
    "write": {"teacher_a", "admin"},
    "counts": {"registrar", "principal", "admin"},
    "import": {"registrar", "admin"},
}
HEALTH_CLASS_REQUESTS = [
    ("read", "get", "/health/rounds/{round}/classrooms/{class_a}/"),
    ("read", "get", "/health/rounds/{round}/classrooms/{class_a}/changes/"),
    ("read", "get", "/api/v1/measurement-rounds/{round}/classrooms/{class_a}/"),
    ("write", "post", "/health/rounds/{round}/classrooms/{class_a}/"),
    ("write", "put", "/api/v1/measurement-rounds/{round}/classrooms/{class_a}/measurements/{student}/"),
    ("counts", "get", "/api/v1/measurement-rounds/{round}/summary/"),
    ("counts", "get", "/health/school/?school={school}"),
    ("import", "get", "/health/rounds/{round}/import/"),
]


@pytest.fixture
def health_round(world):
    from datetime import date

    from students.services.measurements import measurement_round_create

    return measurement_round_create(
        school=world.school_a,
        academic_year=world.class_a.academic_year,
        name="ภาคเรียนที่ 2",
        start_date=date(2026, 11, 16),
        by=world.user("registrar"),
    )


def _health_path(world, round_, url):
    return url.format(
        round=round_.code, class_a=world.class_a.code, student=world.student_a.code, school=world.school_a.code
    )


@pytest.mark.parametrize("persona", [*PERSONAS, "school_admin"])
@pytest.mark.parametrize(("what", "method", "url"), HEALTH_CLASS_REQUESTS)
def test_a_classrooms_health_grid_is_open_exactly_to_the_personas_in_the_table(
    world, health_round, persona, what, method, url
):
    from schools.models import StaffMembership

    from . import factories as f

    if persona == "school_admin":
        user = f.UserFactory(username="school_admin_a")
        f.member(user, StaffMembership.Role.ADMIN, school=world.school_a)
        client = Client()
        client.force_login(user)
    else:
        client = client_for(world, persona)
    path = _health_path(world, health_round, url)
    if method == "put":
        body = {"weight_kg": "40", "height_cm": "150", "version": 0}
        response = client.put(path, body, content_type="application/json")
    else:
        response = getattr(client, method)(path)
    allowed = HEALTH_CLASS[what] | ({"school_admin"} if what in ("counts", "import") else set())
    if persona in allowed:
        assert response.status_code in (200, 302, 400), f"{persona} {method} {url} should be allowed"
    else:
        assert response.status_code == 404, f"{persona} {method} {url} should be 404"


# Documents teachers print and parents download: the ปพ.5 of a section (its teachers, the
# school's registrar and principal), the ปพ.6 of a classroom (its homeroom teachers, the
# registrar and principal) and an issued ปพ.6 (also the child's own parent).
PP56_ALLOWED = {
    "section_a": {"teacher_a", "registrar", "principal"},
    "class_a": {"teacher_a", "registrar", "principal"},
    "class_c": {"teacher_c"},
    "pp6_a": {"teacher_a", "registrar", "principal", "parent"},
}
PP56_REQUESTS = [
    ("section_a", "get", "/documents/sections/{code}/pp5/"),
    ("section_a", "post", "/documents/sections/{code}/pp5/"),
    ("class_a", "get", "/documents/pp6/classrooms/{code}/"),
    ("class_a", "post", "/documents/pp6/classrooms/{code}/"),
    ("class_a", "post", "/documents/pp6/classrooms/{code}/students/{student}/"),
    ("class_a", "post", "/documents/pp6/classrooms/{code}/students/{student}/comment/"),
    ("class_c", "get", "/documents/pp6/classrooms/{code}/"),
    ("pp6_a", "get", "/documents/{code}/download/"),
]


@pytest.fixture
def pp56_targets(world, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import DocumentType, IssuedDocument

    from . import factories as f

    settings.MEDIA_ROOT = tmp_path / "media"
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    term = world.class_a.academic_year.terms.get(number=1)
    document = IssuedDocument(
        school=world.school_a, student=world.student_a, type=DocumentType.PP6, year=2569, number=1,
        verification_code="TESTPP6CODE1", issued_by=world.user("teacher_a"), issued_at=timezone.now(), term=term,
    )  # fmt: skip
    document.file.save("pp6.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    document.save()
    return {"section_a": section, "class_a": world.class_a, "class_c": world.class_c, "pp6_a": document}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "method", "url"), PP56_REQUESTS)
def test_pp5_and_pp6_are_open_exactly_to_the_personas_in_the_table(world, pp56_targets, persona, target, method, url):
    path = url.format(code=pp56_targets[target].code, student=world.student_a.code)
    response = getattr(client_for(world, persona), method)(
        path, data={"text": "ตั้งใจเรียน"} if method == "post" else None
    )
    if persona in PP56_ALLOWED[target]:
        assert response.status_code in (200, 302), f"{persona} {method} {url} should be allowed"
    else:
        assert response.status_code == 404, f"{persona} {method} {url} for {target} should be 404"


def test_a_parent_of_another_child_and_a_voided_copy_get_404_on_a_pp6(world, pp56_targets):
    from . import factories as f

    other_parent = f.UserFactory(username="parent_a2")
    f.guardian_of(world.student_a2, other_parent)
    document = pp56_targets["pp6_a"]
    url = f"/documents/{document.code}/download/"
    other = Client()
    other.force_login(other_parent)
    assert other.get(url).status_code == 404
    document.is_void, document.voided_at, document.void_reason = True, document.issued_at, "ออกฉบับใหม่แทน"
    document.save()
    assert client_for(world, "parent").get(url).status_code == 404
    assert client_for(world, "registrar").get(url).status_code == 200


def test_a_parent_of_another_child_sees_nothing_of_this_childs_gpax_or_nutrition(world):
    from datetime import timedelta

    from django.utils import timezone

    from . import factories as f
    from .test_query_counts import parent_figures

    parent_figures(world, [world.student_a], timezone.localdate() - timedelta(days=7))  # GPAX 2.10
    other_parent = f.UserFactory(username="parent_a2")
    f.guardian_of(world.student_a2, other_parent)
    other = Client()
    other.force_login(other_parent)
    page = other.get("/").content.decode()
    assert world.student_a2.full_name in page
    assert world.student_a.full_name not in page and str(world.student_a.code) not in page
    assert "2.10" not in page and "nbadge" not in page  # the other child: no GPAX, no weighing
    assert "ยังไม่มีการชั่งน้ำหนักวัดส่วนสูง" in page
    own = client_for(world, "parent").get("/").content.decode()
    assert "2.10" in own and '<span class="nbadge bmi_normal">ปกติ</span>' in own
    # A kindergarten child shows no GPAX, even with a stored figure.
    kindergarten = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year,
                                      grade_level=f.grade("K3"))  # fmt: skip
    child = f.StudentFactory(school=world.school_a, first_name="ปันปัน")
    f.enrol(child, kindergarten)
    f.guardian_of(child, other_parent)
    from academics.models import GPARecord

    GPARecord.objects.create(school=world.school_a, student=child, scope="cumulative", gpa="3.00")
    page = other.get("/").content.decode()
    assert page.count("data-child-gpax") == 1 and "3.00" not in page  # only the ม.1 child's line


# Student 360 (/students/{code}/360/ and its API): the staff who work with the child today, not the
# child's parent (their own portal) and nobody of another class, school or area. Which parts each
# of them sees, with a subject teacher and a counsellor besides: tests/test_student_360.py.
OVERVIEW_READ = {
    "student_a": {"teacher_a", "registrar", "principal", "officer_1", "admin"},
    "student_b": {"teacher_b", "registrar", "principal", "officer_1", "admin"},
    "student_c": {"teacher_c", "officer_2", "admin"},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", sorted(OVERVIEW_READ))
@pytest.mark.parametrize("url", ["/students/{code}/360/", "/api/v1/students/{code}/overview/"])
def test_a_students_360_is_read_exactly_by_the_personas_in_the_table(world, persona, target, url):
    response = client_for(world, persona).get(url.format(code=getattr(world, target).code))
    expected = 200 if persona in OVERVIEW_READ[target] else 404
    assert response.status_code == expected, f"{persona} GET {url} for {target}"


# Interventions on risk flags are care records: the child's homeroom teacher, the school's
# principal (and counsellors, tests/test_interventions.py) and a system admin read and record
# them; the follow-up list is the principal's. Not the registrar, another class's teacher, an
# officer or a parent.
INTERVENTION_READ = {
    "student_a": {"teacher_a", "principal", "admin"},
    "student_c": {"teacher_c", "admin"},
    "school_a": {"principal", "admin"},
    "school_c": {"admin"},
}


@pytest.fixture
def flagged(world):
    from academics.models import GPARecord
    from earlywarning.services.interventions import intervention_create
    from earlywarning.services.status import recompute

    made = {}
    for name, teacher in (("student_a", "teacher_a"), ("student_c", "teacher_c")):
        student = getattr(world, name)
        GPARecord.objects.create(school=student.school, student=student, scope="cumulative", gpa="1.00")
        recompute([student.pk])
        made[name] = intervention_create(
            student=student, dimension="academic", kind="counselling", by=world.user(teacher)
        )
    return made


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["student_a", "student_c"])
def test_interventions_are_read_and_recorded_exactly_by_the_personas_in_the_table(world, flagged, persona, target):
    client = client_for(world, persona)
    allowed = persona in INTERVENTION_READ[target]
    student, intervention = getattr(world, target), flagged[target]
    for url in (f"/api/v1/students/{student.code}/interventions/", f"/api/v1/interventions/{intervention.code}/"):
        assert client.get(url).status_code == (200 if allowed else 404), f"{persona} GET {url}"
    created = client.post(
        f"/api/v1/students/{student.code}/interventions/",
        data={"dimension": "academic", "kind": "remedial"},
        content_type="application/json",
    )
    assert created.status_code == (201 if allowed else 404), f"{persona} POST for {target}"
    closed = client.post(f"/risk/interventions/{intervention.code}/close/", data={"outcome": "ดีขึ้น"})
    assert closed.status_code == (302 if allowed else 404), f"{persona} close for {target}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["school_a", "school_c"])
def test_the_follow_up_list_is_read_exactly_by_the_personas_in_the_table(world, persona, target):
    client = client_for(world, persona)
    code = getattr(world, target).code
    expected = 200 if persona in INTERVENTION_READ[target] else 404
    for url in (f"/risk/follow-up/?school={code}", f"/api/v1/schools/{code}/risk-follow-up/"):
        assert client.get(url).status_code == expected, f"{persona} GET {url}"


# The homeroom teacher's report APIs (tests/test_homeroom_report_apis.py): attendance statistics
# like /attendance/school/, care coverage like /care/school/ and the classroom's coverage page,
# the nutrition references like /health/ (changed by the school's managers).
REPORT_API_ALLOWED = {
    ("attendance", "school_a"): {"teacher_a", "teacher_b", "registrar", "principal", "officer_1", "admin"},
    ("attendance", "school_c"): {"teacher_c", "officer_2", "admin"},
    ("care", "school_a"): {"principal", "admin"},
    ("care", "school_c"): {"admin"},
    ("class-care", "class_a"): {"teacher_a", "principal", "admin"},
    ("class-care", "class_c"): {"teacher_c", "admin"},
    ("reference", "school_a"): {"registrar", "principal", "admin"},
    ("reference", "school_c"): {"admin"},
    ("reference-put", "school_a"): {"registrar", "admin"},
    ("reference-put", "school_c"): {"admin"},
}
REPORT_API_URLS = {
    "attendance": "/api/v1/schools/{code}/attendance/",
    "care": "/api/v1/schools/{code}/care-coverage/",
    "class-care": "/api/v1/classrooms/{code}/care-coverage/",
    "reference": "/api/v1/schools/{code}/nutrition-reference/",
    "reference-put": "/api/v1/schools/{code}/nutrition-reference/",
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("what", "target"), sorted(REPORT_API_ALLOWED))
def test_the_homeroom_report_apis_answer_exactly_the_personas_in_the_table(world, persona, what, target):
    client = client_for(world, persona)
    url = REPORT_API_URLS[what].format(code=getattr(world, target).code)
    if what == "reference-put":
        response = client.put(url, data={"reference": "who"}, content_type="application/json")
    else:
        response = client.get(url)
    expected = 200 if persona in REPORT_API_ALLOWED[(what, target)] else 404
    assert response.status_code == expected, f"{persona} {what} {target}: {response.status_code}"


# The care settings page (/care/settings/, tests/test_care_settings.py): the school's principal
# and admin memberships, and a system admin.
CARE_SETTINGS_ALLOWED = {"school_a": {"principal", "admin"}, "school_c": {"admin"}}
CARE_SETTINGS_POST = {"form": "screening", "income_threshold": "2500", "min_hardship_items": "3", "reason": "ทดสอบ"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", sorted(CARE_SETTINGS_ALLOWED))
def test_the_care_settings_are_open_exactly_to_the_principal_and_the_schools_admin(world, persona, target):
    school = getattr(world, target)
    client = client_for(world, persona)
    allowed = persona in CARE_SETTINGS_ALLOWED[target]
    url = f"/care/settings/?school={school.code}"
    assert client.get(url).status_code == (200 if allowed else 404), f"{persona} GET"
    before = dict(school.policy or {})
    response = client.post(url, CARE_SETTINGS_POST)
    assert response.status_code == (302 if allowed else 404), f"{persona} POST"
    school.refresh_from_db()
    assert (school.policy.get("poverty_income_threshold") == "2500") is allowed
    if not allowed:
        assert (school.policy or {}) == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", sorted(CARE_SETTINGS_ALLOWED))
def test_the_care_settings_api_is_open_exactly_to_the_principal_and_the_schools_admin(world, persona, target):
    school = getattr(world, target)
    client = client_for(world, persona)
    allowed = persona in CARE_SETTINGS_ALLOWED[target]
    url = f"/api/v1/schools/{school.code}/care-settings/"
    assert client.get(url).status_code == (200 if allowed else 404), f"{persona} GET"
    before = dict(school.policy or {})
    response = client.patch(url, {"income_threshold": "2500", "reason": "ทดสอบ"}, content_type="application/json")
    assert response.status_code == (200 if allowed else 404), f"{persona} PATCH"
    school.refresh_from_db()
    assert (school.policy.get("poverty_income_threshold") == "2500") is allowed
    if not allowed:
        assert (school.policy or {}) == before


# The principal's column-limited export of care records (page /care/school/export/ and its API):
# the school's principal and a system admin.
CARE_EXPORT_ALLOWED = {"school_a": {"principal", "admin"}, "school_c": {"admin"}}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", sorted(CARE_EXPORT_ALLOWED))
def test_the_care_export_api_is_the_principals_and_the_system_admins(world, persona, target):
    school = getattr(world, target)
    response = client_for(world, persona).post(
        f"/api/v1/schools/{school.code}/care-export/",
        {"columns": ["name"], "reason": "ทดสอบ"},
        content_type="application/json",
    )
    assert response.status_code == (200 if persona in CARE_EXPORT_ALLOWED[target] else 404), persona


# The parent SDQ form's API: the activated guardian of that child only.
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_parent_sdq_api_is_the_childs_guardians_only(world, persona):
    from students.models import SdqAssessment

    response = client_for(world, persona).post(
        f"/api/v1/parent/students/{world.student_a.code}/sdq/", {"answers": [1] * 25}, content_type="application/json"
    )
    allowed = persona == "parent"
    assert response.status_code == (201 if allowed else 404), persona
    assert SdqAssessment.objects.filter(student=world.student_a, informant="parent").exists() is allowed


# An area's risk rules: its district officers and a system admin read and edit them; nobody else
# (not the area's school staff, not another area's officer) even sees they exist.
AREA_RULES = {"officer_1", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_areas_risk_rules_are_its_officers_and_the_admins_only(world, persona, django_capture_on_commit_callbacks):
    client = client_for(world, persona)
    expected = 200 if persona in AREA_RULES else 404
    for area, status in ((world.area1, expected), (world.area2, 200 if persona in ("officer_2", "admin") else 404)):
        assert client.get(f"/risk/rules/area/{area.code}/").status_code == status, (persona, area.name)
        assert client.get(f"/api/v1/areas/{area.code}/risk-rules/").status_code == status
        assert client.get(f"/api/v1/areas/{area.code}/risk-rules/gpax_low/").status_code == status
    with django_capture_on_commit_callbacks(execute=False):
        api = client.patch(
            f"/api/v1/areas/{world.area1.code}/risk-rules/gpax_low/", {"threshold": "1.8"},
            content_type="application/json",
        )  # fmt: skip
        page = client.post(
            f"/risk/rules/area/{world.area1.code}/term_gpa_low/",
            {"term_gpa_low-threshold": "1.8", "term_gpa_low-severity": "at_risk"},
        )
    assert api.status_code == expected
    assert page.status_code == (302 if persona in AREA_RULES else 404)
    from earlywarning.models import RiskRule

    assert RiskRule.objects.filter(area=world.area1).count() == (2 if persona in AREA_RULES else 0)
    # A grouping is no school's area: it has no rules, even for the admin.
    assert client.get(f"/api/v1/areas/{world.grouping.code}/risk-rules/").status_code == 404


# ปพ.3 (a school's graduates report and its .xlsx) and ปพ.7 (a student's certificate): the
# school's registrar and principal; the issued ปพ.3 rows are searched by the area officers (one
# of another area finds nothing); everyone else 404, on the pages and the APIs.
PP37_ALLOWED = {
    "school_a": {"registrar", "principal"},
    "school_c": set(),
    "pp3_a": {"registrar", "principal"},
    "student_a": {"registrar", "principal"},
    "student_c": set(),
    "search": {"officer_1", "officer_2"},
}
PP37_REQUESTS = [
    ("school_a", "get", "/documents/pp3/schools/{code}/"),
    ("school_a", "post", "/documents/pp3/schools/{code}/"),
    ("school_a", "post", "/api/v1/schools/{code}/pp3/"),
    ("school_c", "get", "/documents/pp3/schools/{code}/"),
    ("school_c", "post", "/api/v1/schools/{code}/pp3/"),
    ("pp3_a", "get", "/documents/pp3/{code}/graduates.xlsx"),
    ("pp3_a", "get", "/documents/{code}/download/"),
    ("student_a", "get", "/documents/students/{code}/pp7/"),
    ("student_a", "post", "/documents/students/{code}/pp7/"),
    ("student_a", "post", "/api/v1/students/{code}/pp7/"),
    ("student_c", "get", "/documents/students/{code}/pp7/"),
    ("student_c", "post", "/api/v1/students/{code}/pp7/"),
    ("search", "get", "/documents/graduates/?national_id={code}"),
    ("search", "get", "/api/v1/graduates/?national_id={code}"),
]


@pytest.fixture
def pp37_targets(world, settings, tmp_path):
    from .test_api_matrix import _issued_pp3

    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        "school_a": world.school_a,
        "school_c": world.school_c,
        "pp3_a": _issued_pp3(world),
        "student_a": world.student_a,
        "student_c": world.student_c,
        "search": None,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("target", "method", "url"), PP37_REQUESTS)
def test_pp3_and_pp7_are_open_exactly_to_the_personas_in_the_table(world, pp37_targets, persona, target, method, url):
    obj = pp37_targets[target]
    path = url.format(code=obj.code if obj is not None else world.student_a.national_id)
    data = {"purpose": "ศึกษาต่อ", "year": 2569, "stage": "ม3", "approved_on": "2026-11-30"}
    response = getattr(client_for(world, persona), method)(path, data=data if method == "post" else None)
    if persona in PP37_ALLOWED[target]:
        assert response.status_code in (200, 202, 302, 400), f"{persona} {method} {url} should be allowed"
        assert response.status_code != 400 or target != "student_a", response.content.decode()[:300]
    else:
        assert response.status_code == 404, f"{persona} {method} {url} for {target} should be 404"


def test_an_officer_of_another_area_finds_nothing_of_area_1s_graduates(world, pp37_targets):
    url = f"/api/v1/graduates/?national_id={world.student_a.national_id}"
    assert len(client_for(world, "officer_1").get(url).json()) == 1
    assert client_for(world, "officer_2").get(url).json() == []
