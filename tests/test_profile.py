"""The full student record: DMC profile, photo, guardians' occupation, the grouped detail page,
who sees the sensitive (disadvantage) section, and the PDPA log of each look at it."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events
from PIL import Image

from schools.models import StaffMembership
from students.models import Guardian, StatusChange, Student
from students.services import profile as profile_services

from . import factories as f
from .conftest import PERSONAS

Role = StaffMembership.Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos go to a throw-away folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def image_upload(name: str = "photo.png", fmt: str = "PNG", size=(60, 80)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def update(world, student=None, **data):
    return profile_services.student_profile_update(
        student=student or world.student_a, data=data, by=world.user("registrar"), reason=data.pop("reason", "ทดสอบ")
    )


# --- Services -------------------------------------------------------------------------------


def test_the_profile_saves_dmc_fields_and_records_who_and_why(world):
    profile_services.student_profile_update(
        student=world.student_a,
        data={
            "religion": "พุทธ",
            "nationality": "ไทย",
            "ethnicity": "ไทย",
            "blood_group": "O",
            "house_no": "12/3",
            "moo": "4",
            "subdistrict": "ตลาดใหญ่",
            "district": "เมืองภูเก็ต",
            "province": "ภูเก็ต",
            "postcode": "๘๓๐๐๐",
            "disadvantages": ["poor", "abandoned", "poor"],
        },
        by=world.user("registrar"),
        reason="แก้ตามสำเนาทะเบียนบ้าน",
    )
    student = Student.objects.get(pk=world.student_a.pk)
    assert (student.blood_group, student.house_no, student.postcode) == ("O", "12/3", "83000")
    # Stored once each, in the census order, whatever order they were ticked in.
    assert student.disadvantages == ["abandoned", "poor"]
    event = Events.objects.tracks(student).filter(pgh_label="update").latest("pgh_created_at")
    assert event.pgh_context["reason"] == "แก้ตามสำเนาทะเบียนบ้าน"
    assert event.pgh_context["user"] == world.user("registrar").pk


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"postcode": "8300"}, "postcode", "รหัสไปรษณีย์ต้องเป็นตัวเลข 5 หลัก"),
        ({"blood_group": "Z"}, "blood_group", "กลุ่มเลือดไม่ถูกต้อง"),
        ({"disadvantages": ["rich"]}, "disadvantages", "ไม่รู้จักประเภทความด้อยโอกาส: rich"),
        ({"religion": "ไม่มี"}, "religion", "ศาสนาไม่ถูกต้อง"),
    ],
)
def test_bad_profile_values_are_refused_in_thai_and_nothing_is_saved(world, data, field, message):
    with pytest.raises(ValidationError) as error:
        update(world, **data, house_no="99")
    assert error.value.message_dict[field] == [message]
    assert Student.objects.get(pk=world.student_a.pk).house_no == ""


def test_an_entry_date_in_the_future_or_before_birth_is_refused(world):
    with pytest.raises(ValidationError) as error:
        update(world, entry_date=timezone.localdate() + timedelta(days=3))
    assert "อนาคต" in error.value.message_dict["entry_date"][0]
    with pytest.raises(ValidationError) as error:
        update(world, entry_date=world.student_a.birth_date - timedelta(days=1))
    assert "ก่อนวันเกิด" in error.value.message_dict["entry_date"][0]


def test_a_profile_change_needs_a_reason(world):
    with pytest.raises(ValidationError) as error:
        profile_services.student_profile_update(
            student=world.student_a, data={"moo": "1"}, by=world.user("registrar"), reason="  "
        )
    assert error.value.message_dict["reason"] == ["กรุณาระบุเหตุผลการแก้ไข"]


def test_guardian_occupations_are_saved_only_for_this_students_guardians(world):
    profile_services.student_profile_update(
        student=world.student_a,
        data={},
        guardian_occupations={str(world.guardian_a.code): "ค้าขาย", str(world.guardian_c.code): "รับจ้าง"},
        by=world.user("registrar"),
        reason="ข้อมูลจากการเยี่ยมบ้าน",
    )
    assert Guardian.objects.get(pk=world.guardian_a.pk).occupation == "ค้าขาย"
    assert Guardian.objects.get(pk=world.guardian_c.pk).occupation == ""


def test_a_photo_is_stored_under_a_random_name_and_replacing_it_removes_the_old_file(world):
    profile_services.student_profile_update(
        student=world.student_a, data={}, photo=image_upload(), by=world.user("registrar"), reason="รูปใหม่"
    )
    student = Student.objects.get(pk=world.student_a.pk)
    first = student.photo.name
    assert first.startswith("students/photos/") and first.endswith(".png") and "photo" not in first.rsplit("/", 1)[1]
    assert student.photo.storage.exists(first)
    profile_services.student_profile_update(
        student=student, data={}, photo=image_upload("new.jpg", "JPEG"), by=world.user("registrar"), reason="รูปใหม่"
    )
    student.refresh_from_db()
    assert student.photo.name.endswith(".jpg") and student.photo.name != first


def test_the_old_photo_is_deleted_once_the_change_commits(world, django_capture_on_commit_callbacks):
    registrar = world.user("registrar")
    profile_services.student_profile_update(
        student=world.student_a, data={}, photo=image_upload(), by=registrar, reason="รูป"
    )
    first = Student.objects.get(pk=world.student_a.pk).photo
    with django_capture_on_commit_callbacks(execute=True):
        profile_services.student_profile_update(
            student=world.student_a, data={}, remove_photo=True, by=registrar, reason="ลบรูป"
        )
    assert not first.storage.exists(first.name)
    assert not Student.objects.get(pk=world.student_a.pk).photo


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (2 * 1024 * 1024 + 10)), "เกินกำหนด (ไม่เกิน 2 MB)"),
        (lambda: image_upload("anim.gif", "GIF"), "รูปถ่ายต้องเป็นไฟล์ JPG หรือ PNG เท่านั้น"),
        (lambda: image_upload("disguised.png", "GIF"), "รูปถ่ายต้องเป็นไฟล์ JPG หรือ PNG เท่านั้น"),
        (lambda: SimpleUploadedFile("notes.jpg", b"not an image at all"), "ไม่ใช่รูปภาพ JPG หรือ PNG"),
    ],
)
def test_photos_must_be_real_jpg_or_png_files_of_at_most_2_mb(world, upload, message):
    with pytest.raises(ValidationError) as error:
        profile_services.student_profile_update(
            student=world.student_a, data={}, photo=upload(), by=world.user("registrar"), reason="รูป"
        )
    assert message in error.value.message_dict["photo"][0]
    assert not Student.objects.get(pk=world.student_a.pk).photo


# --- Edit page ------------------------------------------------------------------------------


def edit_data(student: Student, **extra) -> dict:
    data = {
        "student_number": student.student_number,
        "identifier": student.national_id,
        "prefix": student.prefix,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "sex": student.sex,
        "birth_date": f"{student.birth_date.day:02d}/{student.birth_date.month:02d}/{student.birth_date.year + 543}",
        "reason": "ปรับปรุงข้อมูล",
        "profile_section": "1",
    }
    data.update(extra)
    return data


def test_the_edit_page_saves_identity_profile_photo_and_occupation_together(world):
    client = client_for(world, "registrar")
    page = client.get(f"/students/{world.student_a.code}/edit/").content.decode()
    for heading in ("ข้อมูลส่วนตัว", "ที่อยู่", "ครอบครัว/ผู้ปกครอง", "ความด้อยโอกาส", "รูปถ่าย"):
        assert heading in page
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        f"/students/{world.student_a.code}/edit/",
        edit_data(
            world.student_a,
            first_name="ธนกรณ์",
            province="ภูเก็ต",
            disadvantages=["poor", "disabled"],
            photo=image_upload(),
            **{f"occupation_{world.guardian_a.code}": "ประมง"},
        ),
    )
    assert response.status_code == 302
    student = Student.objects.get(pk=world.student_a.pk)
    assert (student.first_name, student.province, student.disadvantages) == ("ธนกรณ์", "ภูเก็ต", ["poor", "disabled"])
    assert student.photo
    assert Guardian.objects.get(pk=world.guardian_a.pk).occupation == "ประมง"


def test_a_post_without_the_profile_section_leaves_the_profile_alone(world):
    Student.objects.filter(pk=world.student_a.pk).update(house_no="12", nationality="ไทย")
    data = edit_data(world.student_a, first_name="ธนกฤต")
    del data["profile_section"]
    assert client_for(world, "registrar").post(f"/students/{world.student_a.code}/edit/", data).status_code == 302
    student = Student.objects.get(pk=world.student_a.pk)
    assert (student.first_name, student.house_no, student.nationality) == ("ธนกฤต", "12", "ไทย")


def test_a_bad_profile_field_keeps_the_identity_change_from_saving(world):
    client = client_for(world, "registrar")
    response = client.post(
        f"/students/{world.student_a.code}/edit/",
        edit_data(world.student_a, first_name="เปลี่ยนแล้ว", photo=image_upload("x.gif", "GIF")),
    )
    assert response.status_code == 200
    assert "รูปถ่ายต้องเป็นไฟล์ JPG หรือ PNG เท่านั้น" in response.content.decode()
    assert Student.objects.get(pk=world.student_a.pk).first_name == "ธนกร"


def test_the_history_page_shows_the_profile_change_and_its_reason(world):
    update(world, house_no="77", reason="ย้ายบ้าน")
    page = client_for(world, "registrar").get(f"/students/{world.student_a.code}/history/").content.decode()
    assert "ย้ายบ้าน" in page and "77" in page and "บ้านเลขที่" in page


# --- Detail page and privacy ----------------------------------------------------------------


@pytest.fixture
def profiled(world):
    """Student A with a full profile, a disadvantage, a photo and an occupation."""
    profile_services.student_profile_update(
        student=world.student_a,
        data={"house_no": "55", "province": "ภูเก็ต", "religion": "อิสลาม", "disadvantages": ["poor"]},
        photo=image_upload(),
        guardian_occupations={str(world.guardian_a.code): "ชาวสวน"},
        by=world.user("registrar"),
        reason="ข้อมูลแรกเข้า",
    )
    return Student.objects.get(pk=world.student_a.pk)


def test_the_detail_page_groups_the_record_in_thai_sections(world, profiled):
    page = client_for(world, "registrar").get(f"/students/{profiled.code}/").content.decode()
    for heading in ("ข้อมูลส่วนตัว", "ที่อยู่", "ครอบครัว/ผู้ปกครอง", "ความด้อยโอกาส", "ชั้นเรียน", "สถานภาพและการย้าย"):
        assert f">{heading}</h2>" in page, heading
    assert "อิสลาม" in page and "ชาวสวน" in page and "ยากจน" in page
    assert f'src="/students/{profiled.code}/photo/"' in page


@pytest.fixture
def more_personas(world):
    """A counsellor of school A, and teacher B teaching student A a subject (not homeroom)."""
    counsellor = f.UserFactory(username="counsellor_a")
    f.member(counsellor, Role.COUNSELLOR, school=world.school_a)
    subject = f.make_subject(world.school_a)
    f.make_section(subject, world.class_a, teachers=[world.user("teacher_b")])
    world.users["counsellor"] = counsellor
    return world


SENSITIVE_READERS = {"registrar", "principal", "teacher_a", "counsellor", "admin"}


@pytest.mark.parametrize("persona", [*PERSONAS, "counsellor"])
def test_disadvantages_are_shown_only_to_school_wide_staff_the_homeroom_teacher_and_admin(
    more_personas, profiled, persona, caplog
):
    world = more_personas
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        response = client_for(world, persona).get(f"/students/{profiled.code}/")
    if persona in ("teacher_c", "officer_2"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    page = response.content.decode()
    logged = [r.getMessage() for r in caplog.records if r.name == "qinfo.pdpa"]
    if persona in SENSITIVE_READERS:
        assert "ยากจน" in page and 'id="sensitive"' in page
        assert len(logged) == 1
        assert f"user={world.user(persona).username}" in logged[0] and f"student={profiled.code}" in logged[0]
        assert "disadvantages" in logged[0]
    else:  # the subject teacher (teacher B), officer 1 and the parent
        assert "ยากจน" not in page and 'id="sensitive"' not in page
        assert not any("disadvantages" in line for line in logged)


def test_the_edit_page_logs_its_view_of_the_sensitive_section(world, profiled, caplog):
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        client_for(world, "registrar").get(f"/students/{profiled.code}/edit/")
    assert any("page=edit" in r.getMessage() and str(profiled.code) in r.getMessage() for r in caplog.records)


PHOTO_READERS = {"teacher_a", "registrar", "principal", "officer_1", "parent", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_photo_is_served_only_to_those_who_see_the_student(world, profiled, persona):
    response = client_for(world, persona).get(f"/students/{profiled.code}/photo/")
    if persona in PHOTO_READERS:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"].startswith("private")
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    else:
        assert response.status_code == 404


def test_a_student_without_a_photo_has_no_photo_url(world):
    assert client_for(world, "registrar").get(f"/students/{world.student_a.code}/photo/").status_code == 404


def test_photos_are_not_reachable_under_the_media_url(world, profiled):
    response = client_for(world, "registrar").get(f"/media/{profiled.photo.name}")
    assert response.status_code == 404


EDITORS = {"registrar", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_record_is_edited_only_by_the_registrar_and_admin(world, persona, method):
    path = f"/students/{world.student_a.code}/edit/"
    data = edit_data(world.student_a, house_no="1") if method == "post" else None
    response = getattr(client_for(world, persona), method)(path, data=data or {})
    if persona in EDITORS:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 404
        assert Student.objects.get(pk=world.student_a.pk).house_no == ""


# --- Query count ----------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["registrar", "teacher_a", "parent"])
def test_the_detail_page_costs_the_same_queries_for_few_or_many_rows(world, profiled, persona):
    client = client_for(world, persona)
    url = f"/students/{profiled.code}/"
    client.get(url)
    few = count_queries(client, url)
    for year_be in (2565, 2566, 2567, 2568):
        classroom = f.ClassroomFactory(school=world.school_a, academic_year=f.make_year(world.school_a, year_be))
        classroom.homeroom_teachers.add(f.UserFactory())
        f.enrol(profiled, classroom)
        f.guardian_of(profiled, first_name=f"ผู้ปกครอง{year_be}", occupation="ค้าขาย")
        StatusChange.objects.create(
            school=world.school_a,
            student=profiled,
            kind=StatusChange.Kind.LEAVE,
            date=classroom.academic_year.start_date,
            recorded_by=world.user("registrar"),
        )
    assert count_queries(client, url) == few
