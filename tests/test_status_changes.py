"""Status changes and transfers: the derived status, Thai refusals, transfers within the
install (one record, both ends recorded, race-safe, twice is harmless), the old school's view of
its own past only, the status report, the API, access for every persona, and query counts."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events

from schools.models import StaffMembership
from students.models import Enrolment, Guardian, StatusChange, Student, TransferRequest
from students.services import status as status_services

from . import factories as f
from .conftest import PERSONAS

Kind = StatusChange.Kind
Status = Student.Status
Role = StaffMembership.Role


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def record(world, student=None, **data):
    data.setdefault("by", world.user("registrar"))
    return status_services.status_change_record(student=student or world.student_a, **data)


def status_of(student: Student) -> str:
    return Student.objects.get(pk=student.pk).status


def receive_a_at_c(world, registrar_c, **extra):
    """School C receives student A (of school A) into class C."""
    data = {
        "school": world.school_c,
        "identifier": world.student_a.national_id,
        "student_number": "C-777",
        "date": date(2026, 8, 3),
        "academic_year": world.class_c.academic_year,
        "grade_level": world.class_c.grade_level,
        "classroom": world.class_c,
        "number": 37,
        "reason": "เหตุผลของโรงเรียนปลายทาง",
        "by": registrar_c,
    }
    data.update(extra)
    return status_services.transfer_receive(**data)


# --- Recording changes ----------------------------------------------------------------------


def test_a_dropout_without_a_reason_code_is_refused_in_thai(world):
    with pytest.raises(ValidationError) as error:
        record(world, kind=Kind.DROPOUT, date=date(2026, 7, 1))
    assert error.value.message_dict["reason_code"] == ["กรุณาเลือกสาเหตุการออกกลางคัน"]
    assert not StatusChange.objects.exists()
    assert status_of(world.student_a) == Status.STUDYING


def test_a_dropout_with_a_reason_makes_the_student_dropped_out(world):
    change = record(world, kind=Kind.DROPOUT, date=date(2026, 7, 1), reason_code="work", reason="ช่วยที่บ้านทำงาน")
    assert change.get_reason_code_display() == "ต้องทำงานหาเลี้ยงครอบครัว"
    assert status_of(world.student_a) == Status.DROPPED_OUT


def test_the_latest_change_by_date_wins_and_an_earlier_dated_one_does_not_override_it(world):
    record(world, kind=Kind.LEAVE, date=date(2026, 7, 1), reason="เจ็บป่วย")
    assert status_of(world.student_a) == Status.ON_LEAVE
    record(world, kind=Kind.RETURN, date=date(2026, 8, 1))
    assert status_of(world.student_a) == Status.STUDYING
    # Entered late, dated before the return: history, not the current status.
    record(world, kind=Kind.DROPOUT, date=date(2026, 6, 15), reason_code="family")
    assert status_of(world.student_a) == Status.STUDYING
    record(world, kind=Kind.DROPOUT, date=date(2026, 9, 1), reason_code="poverty")
    assert status_of(world.student_a) == Status.DROPPED_OUT


def test_on_the_same_day_the_change_recorded_last_wins(world):
    record(world, kind=Kind.LEAVE, date=date(2026, 7, 1))
    record(world, kind=Kind.RETURN, date=date(2026, 7, 1))
    assert status_of(world.student_a) == Status.STUDYING


def test_the_same_change_twice_on_one_day_is_refused(world):
    record(world, kind=Kind.LEAVE, date=date(2026, 7, 1))
    with pytest.raises(ValidationError) as error:
        record(world, kind=Kind.LEAVE, date=date(2026, 7, 1))
    assert "ไว้แล้ว" in error.value.message_dict["date"][0]
    assert StatusChange.objects.count() == 1


def test_future_dates_are_refused_except_for_graduation(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        record(world, kind=Kind.LEAVE, date=tomorrow)
    assert "อนาคต" in error.value.message_dict["date"][0]
    record(world, kind=Kind.GRADUATION, date=tomorrow)
    assert status_of(world.student_a) == Status.GRADUATED


def test_a_transfer_out_names_the_destination_and_a_reason_code_is_kept_only_for_dropouts(world):
    with pytest.raises(ValidationError) as error:
        record(world, kind=Kind.TRANSFER_OUT, date=date(2026, 7, 1))
    assert error.value.message_dict["other_school"] == ["กรุณาระบุโรงเรียนปลายทาง"]
    change = record(world, kind=Kind.TRANSFER_OUT, date=date(2026, 7, 1), other_school="โรงเรียนกะทู้", reason_code="work")
    assert change.reason_code == ""
    assert status_of(world.student_a) == Status.TRANSFERRED_OUT


def test_nothing_can_follow_a_death_and_nothing_can_precede_birth(world):
    record(world, kind=Kind.DEATH, date=date(2026, 7, 1))
    with pytest.raises(ValidationError) as error:
        record(world, kind=Kind.RETURN, date=date(2026, 7, 2))
    assert "เสียชีวิตแล้ว" in error.value.message_dict["kind"][0]
    with pytest.raises(ValidationError) as error:
        record(world, student=world.student_b, kind=Kind.LEAVE, date=world.student_b.birth_date - timedelta(days=1))
    assert "ก่อนวันเกิด" in error.value.message_dict["date"][0]


def test_status_changes_are_audited_with_who_and_why(world):
    change = record(world, kind=Kind.LEAVE, date=date(2026, 7, 1))
    event = Events.objects.tracks(change).get()
    assert event.pgh_context["user"] == world.user("registrar").pk
    assert "พักการเรียน" in event.pgh_context["reason"]
    student_event = Events.objects.tracks(world.student_a).filter(pgh_label="update").latest("pgh_created_at")
    assert student_event.pgh_diff["status"] == [Status.STUDYING, Status.ON_LEAVE]


# --- Transfers within the install -----------------------------------------------------------


def test_receiving_a_student_keeps_one_record_and_records_both_ends(world, registrar_c):
    before = Student.objects.count()
    student = receive_a_at_c(world, registrar_c)
    assert Student.objects.count() == before
    assert student.pk == world.student_a.pk
    student.refresh_from_db()
    assert (student.school_id, student.student_number, student.status) == (world.school_c.pk, "C-777", Status.STUDYING)
    assert (student.previous_school, student.previous_grade, student.entry_date) == (
        world.school_a.name,
        "ม.1",
        date(2026, 8, 3),
    )
    transfer_out = StatusChange.objects.get(student=student, kind=Kind.TRANSFER_OUT)
    transfer_in = StatusChange.objects.get(student=student, kind=Kind.TRANSFER_IN)
    assert (transfer_out.school_id, transfer_out.date, transfer_out.other_school) == (
        world.school_a.pk,
        date(2026, 8, 3),
        world.school_c.name,
    )
    assert (transfer_in.school_id, transfer_in.other_school, transfer_in.last_grade) == (
        world.school_c.pk,
        world.school_a.name,
        "ม.1",
    )
    enrolment = Enrolment.objects.get(student=student, school=world.school_c)
    assert (enrolment.classroom_id, enrolment.number) == (world.class_c.pk, 37)
    assert Enrolment.objects.filter(student=student, school=world.school_a).exists()  # the old school's past stays
    assert set(Guardian.objects.filter(student=student).values_list("school_id", flat=True)) == {world.school_c.pk}


def test_a_transfer_out_already_recorded_by_the_old_school_is_not_recorded_again(world, registrar_c):
    record(world, kind=Kind.TRANSFER_OUT, date=date(2026, 8, 1), other_school=world.school_c.name)
    receive_a_at_c(world, registrar_c)
    assert StatusChange.objects.filter(student=world.student_a, kind=Kind.TRANSFER_OUT).count() == 1
    assert status_of(world.student_a) == Status.STUDYING


def test_receiving_the_same_student_twice_changes_nothing_the_second_time(world, registrar_c):
    receive_a_at_c(world, registrar_c)
    counts = (StatusChange.objects.count(), Enrolment.objects.count(), Student.objects.count())
    with pytest.raises(ValidationError) as error:
        receive_a_at_c(world, registrar_c, student_number="C-778")
    assert "อยู่ในโรงเรียนนี้แล้ว" in error.value.message_dict["identifier"][0]
    assert (StatusChange.objects.count(), Enrolment.objects.count(), Student.objects.count()) == counts
    assert Student.objects.get(pk=world.student_a.pk).student_number == "C-777"


def test_a_receiving_date_before_the_students_last_change_is_refused(world, registrar_c):
    record(world, kind=Kind.LEAVE, date=date(2026, 8, 10))
    with pytest.raises(ValidationError) as error:
        receive_a_at_c(world, registrar_c)
    assert "ต้องไม่ก่อน" in error.value.message_dict["date"][0]
    assert Student.objects.get(pk=world.student_a.pk).school_id == world.school_a.pk


def test_a_taken_student_number_refuses_the_whole_transfer(world, registrar_c):
    with pytest.raises(ValidationError) as error:
        receive_a_at_c(world, registrar_c, student_number=world.student_c.student_number)
    assert "มีอยู่แล้วในโรงเรียนนี้" in error.value.message_dict["student_number"][0]
    assert Student.objects.get(pk=world.student_a.pk).school_id == world.school_a.pk
    assert not StatusChange.objects.exists()


def test_a_classroom_of_another_school_is_refused(world, registrar_c):
    with pytest.raises(ValidationError) as error:
        receive_a_at_c(world, registrar_c, classroom=world.class_a)
    assert "classroom" in error.value.message_dict
    assert not StatusChange.objects.exists()


def test_the_lookup_finds_the_student_in_another_school_and_names_them_only_masked(world):
    candidate = status_services.transfer_candidate(identifier=world.student_a.national_id, school=world.school_c)
    assert (candidate.where, candidate.student.pk) == ("other_school", world.student_a.pk)
    assert candidate.masked_name == f"{world.student_a.prefix}ธ**** แ****"
    assert world.school_a.name in candidate.warning
    assert "กำลังศึกษา" not in candidate.warning


def test_the_lookup_tells_this_school_not_found_and_bad_ids_apart(world):
    here = status_services.transfer_candidate(identifier=world.student_c.national_id, school=world.school_c)
    assert here.where == "this_school"
    missing = status_services.transfer_candidate(identifier=f.new_national_id(), school=world.school_c)
    assert (missing.where, missing.student) == ("not_found", None)
    with pytest.raises(ValidationError) as error:
        status_services.transfer_candidate(identifier="1234567890123", school=world.school_c)
    assert "หลักตรวจสอบไม่ถูกต้อง" in error.value.message_dict["identifier"][0]


def test_a_student_from_outside_the_install_gets_a_new_record_with_the_previous_school(world, registrar_c):
    national_id = f.new_national_id()
    student = status_services.transfer_in_from_outside(
        school=world.school_c,
        identifier=national_id,
        student_fields={
            "student_number": "C-900",
            "prefix": "ด.ญ.",
            "first_name": "มาลัย",
            "last_name": "ใจงาม",
            "sex": "F",
            "birth_date": date(2013, 9, 1),
        },
        previous_school="โรงเรียนวัดนอกระบบ",
        previous_school_province="กระบี่",
        previous_grade="ป.6",
        date=date(2026, 6, 1),
        academic_year=world.class_c.academic_year,
        grade_level=world.class_c.grade_level,
        classroom=world.class_c,
        by=registrar_c,
    )
    student.refresh_from_db()
    assert (student.national_id, student.previous_school, student.previous_school_province) == (
        national_id,
        "โรงเรียนวัดนอกระบบ",
        "กระบี่",
    )
    change = StatusChange.objects.get(student=student)
    assert (change.kind, change.school_id, change.other_school, change.last_grade) == (
        Kind.TRANSFER_IN,
        world.school_c.pk,
        "โรงเรียนวัดนอกระบบ",
        "ป.6",
    )
    assert Enrolment.objects.get(student=student).classroom_id == world.class_c.pk


def test_a_new_record_from_outside_is_refused_when_the_id_is_already_in_the_install(world, registrar_c):
    with pytest.raises(ValidationError) as error:
        status_services.transfer_in_from_outside(
            school=world.school_c,
            identifier=world.student_a.national_id,
            student_fields={
                "student_number": "C-901",
                "prefix": "ด.ช.",
                "first_name": "ก",
                "last_name": "ข",
                "sex": "M",
            },
            previous_school="ที่ไหนสักแห่ง",
            date=date(2026, 6, 1),
            academic_year=world.class_c.academic_year,
            grade_level=world.class_c.grade_level,
            by=registrar_c,
        )
    assert "มีอยู่แล้วในระบบ" in error.value.message_dict["identifier"][0]


@pytest.mark.django_db(transaction=True)
def test_two_schools_receiving_the_same_student_at_once_are_serialised(world, registrar_c):
    """School C and a third school receive student A at the same moment: the row lock makes
    one wait for the other, so the student ends in exactly one school with a consistent trail."""
    school_d = f.SchoolFactory(area=world.area2)
    year_d = f.make_year(school_d)
    registrar_d = f.UserFactory(username="registrar_d")
    f.member(registrar_d, Role.REGISTRAR, school=school_d)
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def receive(name, school, year, user):
        try:
            barrier.wait(timeout=10)
            status_services.transfer_receive(
                school=school,
                identifier=world.student_a.national_id,
                student_number=f"{name}-1",
                date=date(2026, 8, 3),
                academic_year=year,
                grade_level=f.grade("M1"),
                by=user,
            )
            outcome[name] = "received"
        except ValidationError as error:
            outcome[name] = str(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=receive, args=("C", world.school_c, world.class_c.academic_year, registrar_c)),
        threading.Thread(target=receive, args=("D", school_d, year_d, registrar_d)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(outcome) == {"C", "D"}
    student = Student.objects.get(pk=world.student_a.pk)
    assert student.school_id in (world.school_c.pk, school_d.pk)
    # Whatever the order, the trail is consistent: one transfer in per receiving school that
    # succeeded, and the last one received is where the student is.
    transfers_in = list(StatusChange.objects.filter(student=student, kind=Kind.TRANSFER_IN).order_by("id"))
    assert transfers_in[-1].school_id == student.school_id
    assert len(transfers_in) == sum(1 for value in outcome.values() if value == "received")
    assert student.status == Status.STUDYING


# --- The old school keeps its own past only ---------------------------------------------------


@pytest.fixture
def moved(world, registrar_c, settings, tmp_path):
    """Student A, with a profile at school A, received by school C, which then adds its own data."""
    from students.services import profile as profile_services

    settings.MEDIA_ROOT = tmp_path / "media"
    record(world, kind=Kind.LEAVE, date=date(2026, 6, 1), reason="ลาป่วยที่โรงเรียนเดิม")
    record(world, kind=Kind.RETURN, date=date(2026, 6, 20))
    receive_a_at_c(world, registrar_c)
    student = Student.objects.get(pk=world.student_a.pk)
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="PNG")
    profile_services.student_profile_update(
        student=student,
        data={"house_no": "99/9", "street": "ถนนใหม่ปลายทาง", "disadvantages": ["poor"]},
        photo=SimpleUploadedFile("p.png", buffer.getvalue()),
        guardian_occupations={},
        by=registrar_c,
        reason="ข้อมูลจากโรงเรียนปลายทาง",
    )
    f.guardian_of(student, first_name="ผู้ปกครองใหม่", last_name="ปลายทาง")
    Guardian.objects.filter(pk=world.guardian_a.pk).update(first_name="มารดาเดิมของธนกร")
    return Student.objects.get(pk=student.pk)


OLD_SCHOOL = ("registrar", "principal", "teacher_a", "officer_1")


@pytest.mark.parametrize("persona", OLD_SCHOOL)
def test_the_old_school_sees_only_the_identity_and_its_own_records(world, moved, persona):
    response = client_for(world, persona).get(f"/students/{moved.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "นักเรียนย้ายไปแล้ว ข้อมูลปัจจุบันเป็นของโรงเรียนปลายทาง" in page
    assert moved.full_name in page
    assert "ลาป่วยที่โรงเรียนเดิม" in page  # its own status change
    assert "ย้ายออก" in page  # the transfer out recorded at the old school
    # Not the current record: address, guardians, photo, sensitive data, the new school's records.
    for hidden in (
        "99/9",
        "ถนนใหม่ปลายทาง",
        "ผู้ปกครองใหม่",
        "มารดาเดิมของธนกร",
        "/photo/",
        "ยากจน",
        "เหตุผลของโรงเรียนปลายทาง",
        "C-777",
        "ความด้อยโอกาส",
        "ครอบครัว/ผู้ปกครอง",
    ):
        assert hidden not in page, hidden
    classes = page.split('id="h-classes"')[1].split("</section>")[0]
    assert world.school_c.name not in classes  # the new school's enrolment is not listed


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/students/{code}/edit/"),
        ("post", "/students/{code}/edit/"),
        ("get", "/students/{code}/history/"),
        ("post", "/students/{code}/enrolments/new/"),
        ("post", "/students/{code}/guardians/new/"),
        ("get", "/students/{code}/status/new/"),
        ("post", "/students/{code}/status/new/"),
        ("get", "/students/{code}/photo/"),
        ("post", "/api/v1/students/{code}/status-changes/"),
    ],
)
def test_the_old_school_cannot_change_or_open_the_current_record(world, moved, method, url):
    path = url.format(code=moved.code)
    data = {"kind": "leave", "date": "2026-09-01"} if "api" in url else {"kind": "leave", "date": "01/09/2569"}
    response = getattr(client_for(world, "registrar"), method)(path, data=data)
    assert response.status_code == 404
    assert not StatusChange.objects.filter(student=moved, date=date(2026, 9, 1)).exists()


def test_the_new_school_sees_the_whole_record_including_the_old_schools_trail(world, moved):
    page = client_for(world, "registrar_c").get(f"/students/{moved.code}/").content.decode()
    assert "นักเรียนย้ายไปแล้ว" not in page
    for shown in ("99/9", "ผู้ปกครองใหม่", "ยากจน", "ลาป่วยที่โรงเรียนเดิม", "เหตุผลของโรงเรียนปลายทาง", "C-777"):
        assert shown in page, shown
    assert client_for(world, "registrar_c").get(f"/students/{moved.code}/photo/").status_code == 200


def test_the_status_changes_api_gives_the_old_school_only_its_own_changes(world, moved):
    old = client_for(world, "registrar").get(f"/api/v1/students/{moved.code}/status-changes/").json()
    assert {row["school"] for row in old["results"]} == {str(world.school_a.code)}
    assert {row["kind"] for row in old["results"]} == {"leave", "return", "transfer_out"}
    new = client_for(world, "registrar_c").get(f"/api/v1/students/{moved.code}/status-changes/").json()
    assert {row["kind"] for row in new["results"]} == {"leave", "return", "transfer_out", "transfer_in"}


# --- Pages ----------------------------------------------------------------------------------


def test_the_status_form_records_a_dropout_with_its_reason_and_shows_it_on_the_student_page(world):
    client = client_for(world, "registrar")
    url = f"/students/{world.student_a.code}/status/new/"
    refused = client.post(url, {"kind": "dropout", "date": "01/07/2569"}).content.decode()
    assert "กรุณาเลือกสาเหตุการออกกลางคัน" in refused
    ce = client.post(url, {"kind": "dropout", "date": "01/07/2026", "reason_code": "poverty"}).content.decode()
    assert "ดูเหมือนเป็นปี ค.ศ." in ce
    done = client.post(url, {"kind": "dropout", "date": "01/07/2569", "reason_code": "poverty"}, follow=True)
    page = done.content.decode()
    assert "สถานภาพปัจจุบัน: ออกกลางคัน" in page
    assert "ฐานะยากจน" in page and "1 ก.ค. 2569" in page


def test_the_transfer_page_looks_up_warns_and_receives_in_one_step(world, registrar_c):
    client = client_for(world, "registrar_c")
    url = f"/transfers/in/?school={world.school_c.code}"
    lookup = client.get(f"{url}&identifier={world.student_a.national_id}").content.decode()
    assert f'<dd id="candidate-name">{world.student_a.prefix}ธ**** แ****</dd>' in lookup
    assert world.school_a.name in lookup
    assert world.student_a.first_name not in lookup and "กำลังศึกษา" not in lookup
    response = client.post(
        url,
        {
            "action": "receive",
            "identifier": world.student_a.national_id,
            "student_number": "C-555",
            "date": "03/08/2569",
            "academic_year": world.class_c.academic_year.pk,
            "grade_level": world.class_c.grade_level.pk,
            "classroom": world.class_c.pk,
            "number": "12",
        },
    )
    # A child of another school of the install moves only when that school releases them.
    assert response.status_code == 302
    assert response["Location"] == f"/transfers/requests/?school={world.school_c.code}"
    assert Student.objects.get(pk=world.student_a.pk).school_id == world.school_a.pk
    asked = TransferRequest.objects.get(student=world.student_a)
    status_services.transfer_release(request=asked, by=world.user("registrar"))
    moved = Student.objects.get(pk=world.student_a.pk)
    assert (moved.school_id, moved.student_number) == (world.school_c.pk, "C-555")
    assert Enrolment.objects.get(student=moved, school=world.school_c).number == 12


def test_the_transfer_page_offers_a_new_record_when_the_id_is_not_in_the_install(world, registrar_c):
    client = client_for(world, "registrar_c")
    national_id = f.new_national_id()
    url = f"/transfers/in/?school={world.school_c.code}"
    page = client.get(f"{url}&identifier={national_id}").content.decode()
    assert "ไม่พบเลขนี้ในระบบ" in page and 'value="create"' in page
    response = client.post(
        url,
        {
            "action": "create",
            "identifier": national_id,
            "student_number": "C-800",
            "prefix": "ด.ช.",
            "first_name": "สมปอง",
            "last_name": "ใจดี",
            "sex": "M",
            "birth_date": "01/02/2557",
            "previous_school": "โรงเรียนเอกชนนอกระบบ",
            "previous_grade": "ป.6",
            "date": "01/06/2569",
            "academic_year": world.class_c.academic_year.pk,
            "grade_level": world.class_c.grade_level.pk,
        },
    )
    assert response.status_code == 302
    student = Student.objects.get(national_id=national_id)
    assert (student.school_id, student.previous_school) == (world.school_c.pk, "โรงเรียนเอกชนนอกระบบ")


def test_a_bad_id_on_the_transfer_page_gets_a_thai_error(world):
    page = (
        client_for(world, "registrar")
        .get(f"/transfers/in/?school={world.school_a.code}&identifier=12345")
        .content.decode()
    )
    assert "มี 5 หลัก ต้องมี 13 หลัก" in page


@pytest.fixture
def year_changes(world, registrar_c):
    """This year at school A: one dropout (student A2), one student moved to school C (A)."""
    record(world, student=world.student_a2, kind=Kind.DROPOUT, date=date(2026, 7, 1), reason_code="marriage")
    receive_a_at_c(world, registrar_c)


def test_the_status_report_counts_by_status_and_grade_and_lists_the_years_changes(world, year_changes):
    client = client_for(world, "principal")
    page = client.get(f"/schools/{world.school_a.code}/status/").content.decode()
    totals = page.split('id="status-totals"')[1].split("</div>\n</div>")[0]
    assert 'data-status="dropped_out">\n    <div class="value"><a' in totals
    grade_row = page.split('id="status-by-grade"')[1].split("</tr>")[1]
    # ม.1 at school A: student B studying, A2 dropped out, A transferred out.
    assert "ม.1" in grade_row
    assert grade_row.count('class="count"') == 3
    changes = page.split('id="change-list"')[1]
    assert "ออกกลางคัน" in changes and "ย้ายออก" in changes and "สมรสแล้ว" in changes
    filtered = client.get(f"/schools/{world.school_a.code}/status/?kind=dropout").content.decode()
    filtered_changes = filtered.split('id="change-list"')[1]
    assert "สมรสแล้ว" in filtered_changes and "ย้ายออก" not in filtered_changes


def test_the_status_report_drills_down_to_the_students(world, year_changes):
    client = client_for(world, "registrar")
    out = client.get(f"/schools/{world.school_a.code}/status/?status=transferred_out&grade=M1").content.decode()
    drill = out.split('id="drilldown"')[1].split("</section>")[0]
    assert world.student_a.last_name in drill and "ไปโรงเรียนอื่นในระบบ" in drill
    assert world.student_b.last_name not in drill
    dropped = client.get(f"/schools/{world.school_a.code}/status/?status=dropped_out").content.decode()
    assert world.student_a2.last_name in dropped.split('id="drilldown"')[1].split("</section>")[0]
    # At the new school the same student counts as studying.
    new = client_for(world, "registrar_c").get(f"/schools/{world.school_c.code}/status/?status=studying")
    assert world.student_a.last_name in new.content.decode().split('id="drilldown"')[1]


def test_the_student_page_lists_the_status_history(world):
    record(world, kind=Kind.LEAVE, date=date(2026, 7, 1), reason="ติดตามผู้ปกครองไปต่างจังหวัด")
    page = client_for(world, "teacher_a").get(f"/students/{world.student_a.code}/").content.decode()
    history = page.split('id="status-changes"')[1]
    assert "พักการเรียน" in history and "ติดตามผู้ปกครองไปต่างจังหวัด" in history


# --- API ------------------------------------------------------------------------------------


def test_the_api_records_a_status_change_and_refuses_a_dropout_without_reason(world):
    client = client_for(world, "registrar")
    url = f"/api/v1/students/{world.student_a.code}/status-changes/"
    refused = client.post(url, {"kind": "dropout", "date": "2026-07-01"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["reason_code"] == ["กรุณาเลือกสาเหตุการออกกลางคัน"]
    created = client.post(
        url, {"kind": "dropout", "date": "2026-07-01", "reason_code": "health"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["kind_label"] == "ออกกลางคัน"
    assert client.get(url).json()["results"][0]["reason_code_label"] == "มีปัญหาด้านสุขภาพ/เจ็บป่วย"


def test_the_transfer_api_looks_up_and_receives(world, registrar_c):
    client = client_for(world, "registrar_c")
    school = str(world.school_c.code)
    found = client.get(f"/api/v1/transfers/in/?school={school}&identifier={world.student_a.national_id}").json()
    assert found["result"] == "other_school"
    assert found["student"] == {
        "masked_name": f"{world.student_a.prefix}ธ**** แ****",
        "school_name": world.school_a.name,
    }
    body = {
        "school": school,
        "identifier": world.student_a.national_id,
        "student_number": "C-321",
        "date": "2026-08-03",
        "academic_year": 2569,
        "grade_level": "M1",
        "classroom": str(world.class_c.code),
    }
    received = client.post("/api/v1/transfers/in/", body, content_type="application/json")
    assert received.status_code == 201, received.json()
    assert received.json()["status"] == "pending"
    code = received.json()["request"]["code"]
    released = client_for(world, "registrar").patch(
        f"/api/v1/transfers/requests/{code}/", {"decision": "release"}, content_type="application/json"
    )
    assert released.status_code == 200 and released.json()["status"] == "completed"
    assert client.get(f"/api/v1/students/{world.student_a.code}/").json()["school"] == school
    again = client.post("/api/v1/transfers/in/", {**body, "student_number": "C-322"}, content_type="application/json")
    assert again.status_code == 400
    missing = client.post(
        "/api/v1/transfers/in/", {**body, "identifier": f.new_national_id()}, content_type="application/json"
    )
    assert missing.status_code == 400 and "new_student" in missing.json()["errors"]


# --- Access ---------------------------------------------------------------------------------

STUDENT_READERS = {"teacher_a", "registrar", "principal", "officer_1", "parent", "admin"}
STUDENT_WRITERS = {"registrar", "admin"}
REPORT_READERS = {
    "school_a": {"registrar", "principal", "officer_1", "admin"},
    "school_c": {"officer_2", "admin"},
}
TRANSFER_WRITERS = {"school_a": {"registrar", "admin"}, "school_c": {"admin"}}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["school_a", "school_c"])
def test_the_status_report_is_for_school_wide_staff_and_overseeing_officers(world, persona, target):
    response = client_for(world, persona).get(f"/schools/{getattr(world, target).code}/status/")
    assert response.status_code == (200 if persona in REPORT_READERS[target] else 404), persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_status_changes_api_is_read_by_those_who_see_the_student(world, persona):
    response = client_for(world, persona).get(f"/api/v1/students/{world.student_a.code}/status-changes/")
    assert response.status_code == (200 if persona in STUDENT_READERS else 404), persona


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/students/{code}/status/new/", None),
        ("post", "/students/{code}/status/new/", {"kind": "leave", "date": "01/07/2569"}),
        ("post", "/api/v1/students/{code}/status-changes/", {"kind": "leave", "date": "2026-07-01"}),
    ],
)
def test_status_changes_are_recorded_only_by_the_registrar_and_admin(world, persona, method, url, data):
    client = client_for(world, persona)
    path = url.format(code=world.student_a.code)
    if "api" in url:
        response = client.post(path, data, content_type="application/json")
    else:
        response = getattr(client, method)(path, data=data or {})
    if persona in STUDENT_WRITERS:
        assert response.status_code in (200, 201, 302), persona
    else:
        assert response.status_code == 404, persona
        assert not StatusChange.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["school_a", "school_c"])
@pytest.mark.parametrize("method", ["get", "post", "api_get", "api_post"])
def test_receiving_transfers_is_limited_to_the_receiving_schools_registrar_and_admin(world, persona, target, method):
    school = getattr(world, target)
    other = world.student_c if target == "school_a" else world.student_a
    client = client_for(world, persona)
    if method == "get":
        response = client.get(f"/transfers/in/?school={school.code}&identifier={other.national_id}")
    elif method == "post":
        response = client.post(
            f"/transfers/in/?school={school.code}",
            {"action": "receive", "identifier": other.national_id, "student_number": "N-1", "date": "03/08/2569"},
        )
    elif method == "api_get":
        response = client.get(f"/api/v1/transfers/in/?school={school.code}&identifier={other.national_id}")
    else:
        response = client.post(
            "/api/v1/transfers/in/",
            {
                "school": str(school.code),
                "identifier": other.national_id,
                "student_number": "N-1",
                "date": "2026-08-03",
                "academic_year": 2569,
                "grade_level": "M1",
            },
            content_type="application/json",
        )
    if persona in TRANSFER_WRITERS[target]:
        assert response.status_code != 404, persona
    else:
        assert response.status_code == 404, persona
        assert Student.objects.get(pk=other.pk).school_id != school.pk


def test_a_lookup_is_logged_with_who_for_which_school_and_the_id_masked(world, registrar_c, caplog):
    client = client_for(world, "registrar_c")
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client.get(f"/api/v1/transfers/in/?school={world.school_c.code}&identifier={world.student_a.national_id}")
        client.get(f"/transfers/in/?school={world.school_c.code}&identifier={world.student_a.national_id}")
    lines = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa" and "transfer_lookup" in r.getMessage()]
    assert len(lines) == 2
    for line in lines:
        assert "user=registrar_c" in line and f"school={world.school_c.code}" in line
        assert "result=other_school" in line and f"student={world.student_a.code}" in line
        assert world.student_a.national_id not in line


def test_lookups_are_throttled_per_user_on_the_page_and_the_api(world, registrar_c):
    client = client_for(world, "registrar_c")
    api_url = f"/api/v1/transfers/in/?school={world.school_c.code}&identifier={world.student_a.national_id}"
    page_url = f"/transfers/in/?school={world.school_c.code}&identifier={world.student_a.national_id}"
    for _ in range(status_services.TRANSFER_LOOKUP_LIMIT - 1):
        assert client.get(api_url).status_code == 200
    assert "ธ****" in client.get(page_url).content.decode()
    refused = client.get(api_url)
    assert refused.status_code == 429
    assert "ไม่เกิน 30 ครั้งต่อชั่วโมง" in refused.json()["detail"]
    page = client.get(page_url).content.decode()
    assert "ไม่เกิน 30 ครั้งต่อชั่วโมง" in page and "ธ****" not in page
    # Another registrar has their own budget.
    assert (
        client_for(world, "registrar")
        .get(f"/api/v1/transfers/in/?school={world.school_a.code}&identifier={world.student_c.national_id}")
        .status_code
        == 200
    )


# --- Query counts ---------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_students_with_changes(world, n: int) -> None:
    for index in range(n):
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year)
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, classroom)
        StatusChange.objects.create(
            school=world.school_a,
            student=student,
            kind=Kind.DROPOUT if index % 2 else Kind.LEAVE,
            reason_code="poverty" if index % 2 else "",
            date=date(2026, 7, 1) + timedelta(days=index),
            recorded_by=world.user("registrar"),
        )


@pytest.mark.parametrize(
    "url",
    [
        "/schools/{school}/status/",
        "/schools/{school}/status/?kind=dropout",
        "/schools/{school}/status/?status=studying&grade=M1",
        "/api/v1/students/{student}/status-changes/",
    ],
)
def test_status_pages_cost_the_same_queries_for_few_or_many_rows(world, url):
    client = client_for(world, "registrar")
    url = url.format(school=world.school_a.code, student=world.student_a.code)
    add_students_with_changes(world, 2)
    record(world, kind=Kind.LEAVE, date=date(2026, 6, 1))
    client.get(url)
    few = count_queries(client, url)
    add_students_with_changes(world, 10)
    record(world, kind=Kind.RETURN, date=date(2026, 6, 2))
    record(world, kind=Kind.LEAVE, date=date(2026, 6, 3))
    assert count_queries(client, url) == few


def test_a_transfer_from_outside_refuses_control_characters_in_the_previous_school_and_writes_nothing(
    world, registrar_c
):
    students = Student.objects.count()
    with pytest.raises(ValidationError) as error:
        status_services.transfer_in_from_outside(
            school=world.school_c,
            identifier=f.new_national_id(),
            student_fields={
                "student_number": "C-902",
                "prefix": "ด.ญ.",
                "first_name": "มาลัย",
                "last_name": "ใจงาม",
                "sex": "F",
                "birth_date": date(2013, 9, 1),
            },
            previous_school="โรงเรียน\x1b[31mวัด",
            previous_school_province="กระ\tบี่",
            previous_grade="ป.6\r",
            date=date(2026, 6, 1),
            academic_year=world.class_c.academic_year,
            grade_level=world.class_c.grade_level,
            by=registrar_c,
        )
    errors = error.value.message_dict
    assert set(errors) == {"previous_school", "previous_school_province", "previous_grade"}
    assert "ชื่อโรงเรียนเดิมมีอักขระควบคุม" in errors["previous_school"][0]
    assert Student.objects.count() == students
