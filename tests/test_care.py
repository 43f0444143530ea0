"""Student care: home visits with photos, the poverty pre-screen, SDQ forms, who may read them
(PDPA: the child's homeroom teachers, counsellors, the principal, admin) and the access log of
every read. The suite's clock stands on 2 December 2569 (2026) in Bangkok."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import ExifTags, Image

from schools.models import StaffMembership
from students.models import HomeVisit, HomeVisitPhoto, PovertyScreening, SdqAssessment, SensitiveRead
from students.services import care as services

from . import factories as f

Role = StaffMembership.Role
TODAY = date(2026, 12, 2)
GPS = {1: "N", 2: (7.0, 53.0, 0.0), 3: "E", 4: (98.0, 23.0, 0.0)}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def counsellor(world):
    user = f.UserFactory(username="counsellor")
    f.member(user, Role.COUNSELLOR, school=world.school_a)
    world.users["counsellor"] = user
    return user


@pytest.fixture
def subject_teacher(world):
    """teacher_b teaches student_a's class a subject, without being its homeroom teacher."""
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    f.make_section(subject, world.class_a, teachers=[world.user("teacher_b")])
    return world.user("teacher_b")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def jpeg(size=(3000, 2000), *, gps: bool = True, name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone X"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def visit(world, student=None, *, by=None, **extra):
    data = {
        "visited_on": date(2026, 11, 20),
        "met_whom": HomeVisit.MetWhom.MOTHER,
        "housing": HomeVisit.Housing.RENT,
        "family": HomeVisit.Family.SEPARATED,
    }
    data.update(extra)
    return services.home_visit_create(student=student or world.student_a, by=by or world.user("teacher_a"), **data)


POOR_MEMBERS = [
    {"monthly_income": "4000", "age": 40},
    {"monthly_income": "0", "age": 12, "student": True},
    {"monthly_income": "0", "age": 70},
]
POOR_HOUSEHOLD = {"tenure": "rent", "dilapidated": True, "has_toilet": True, "farms": False, "water": "tap"}


def answers(value: int = 0) -> list[int]:
    return [value] * 25


# --- Home visits and photos ------------------------------------------------------------------------


def test_a_home_visit_is_recorded_in_the_students_school_year_by_the_visitor(world):
    record = visit(world, risks=["economy", "games"], help_needed="ทุนการศึกษา", latitude="7.884", longitude="98.39")
    assert record.academic_year == world.class_a.academic_year
    assert record.visitor == world.user("teacher_a")
    assert record.risk_labels == ["ด้านเศรษฐกิจ/ครอบครัว", "ด้านการติดเกม"]
    assert record.latitude == Decimal("7.884000")
    assert record.events.count() == 1  # history trigger


def test_the_visit_form_follows_the_headings_of_the_obec_home_visit_record(world):
    page = client_for(world.user("teacher_a")).get(f"/care/students/{world.student_a.code}/home-visits/new/")
    text = page.content.decode()
    headings = ["ความสัมพันธ์ในครอบครัว", "สถานะของครัวเรือนและที่อยู่อาศัย", "พฤติกรรมและความเสี่ยง"]
    positions = [text.index(f"<h2>{h}</h2>") for h in headings]
    assert positions == sorted(positions)


def test_a_home_visit_in_the_future_or_with_an_unknown_risk_is_refused_in_thai(world):
    with pytest.raises(ValidationError) as error:
        visit(world, visited_on=date(2026, 12, 3))
    assert "วันที่เยี่ยมบ้านต้องไม่เกินวันนี้" in str(error.value)
    with pytest.raises(ValidationError) as error:
        visit(world, risks=["aliens"])
    assert "พฤติกรรมเสี่ยง" in str(error.value)
    assert not HomeVisit.objects.exists()


def test_a_school_that_switches_location_off_keeps_no_coordinates(world):
    world.school_a.policy = {"home_visit_location": False}
    world.school_a.save()
    record = visit(world, latitude="7.884", longitude="98.39")
    assert record.latitude is None and record.longitude is None


def test_a_photo_is_resized_and_its_exif_and_gps_removed(world):
    record = visit(world, photos=[jpeg()])
    photo = record.photos.get()
    with photo.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
    assert max(image.size) == services.MAX_PHOTO_SIDE
    assert (photo.width, photo.height) == image.size == (1600, 1067)
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert 0x010F not in exif and 0x0110 not in exif
    assert "IMG_0001" not in photo.file.name


def test_a_school_policy_may_keep_the_gps_of_a_photo_but_nothing_else(world):
    world.school_a.policy = {"home_visit_photo_gps": True}
    world.school_a.save()
    photo = visit(world, photos=[jpeg()]).photos.get()
    with photo.file.open("rb") as handle:
        exif = Image.open(io.BytesIO(handle.read())).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[2] == GPS[2]
    assert 0x010F not in exif


def test_a_photo_over_10_mb_or_not_an_image_is_refused_and_nothing_is_saved(world):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as error:
        visit(world, photos=[big])
    assert "เกินกำหนด (ไม่เกิน 10 MB)" in str(error.value)
    with pytest.raises(ValidationError) as error:
        visit(world, photos=[SimpleUploadedFile("note.jpg", b"not an image")])
    assert "ไม่ใช่รูปภาพ" in str(error.value)
    assert not HomeVisit.objects.exists() and not HomeVisitPhoto.objects.exists()


def api_photo(record) -> str:
    return f"/api/v1/home-visits/{record.code}/photos/"


def test_the_homeroom_teacher_adds_a_photo_through_the_api_resized_and_without_exif(world):
    record = visit(world)
    client = client_for(world.user("teacher_a"))
    response = client.post(api_photo(record), {"photo": jpeg()})
    assert response.status_code == 201, response.content
    photo = record.photos.get()
    body = response.json()
    assert body == {
        "code": str(photo.code), "visit": str(record.code), "url": f"/care/photos/{photo.code}/",
        "width": 1600, "height": 1067, "size": photo.size,
    }  # fmt: skip
    with photo.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
    assert image.size == (1600, 1067)
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert 0x010F not in image.getexif()
    assert photo.uploaded_by == world.user("teacher_a")
    # The visit's answer lists it, and the photo is served through the checked view.
    detail = client.get(f"/api/v1/home-visits/{record.code}/").json()
    assert detail["photos"] == [f"/care/photos/{photo.code}/"]
    assert client.get(body["url"]).status_code == 200


def test_a_school_that_keeps_photo_locations_keeps_the_gps_through_the_api_too(world):
    world.school_a.policy = {"home_visit_photo_gps": True}
    world.school_a.save()
    record = visit(world)
    response = client_for(world.user("principal")).post(api_photo(record), {"photo": jpeg()})
    assert response.status_code == 201
    with record.photos.get().file.open("rb") as handle:
        exif = Image.open(io.BytesIO(handle.read())).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[2] == GPS[2]
    assert 0x010F not in exif


def test_a_bad_photo_through_the_api_is_refused_in_thai_and_nothing_is_stored(world, settings):
    record = visit(world)
    client = client_for(world.user("teacher_a"))
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1))
    refusals = {
        "big": client.post(api_photo(record), {"photo": big}),
        "text": client.post(api_photo(record), {"photo": SimpleUploadedFile("note.jpg", b"not an image")}),
        "missing": client.post(api_photo(record), {}),
        "json": client.post(api_photo(record), {"photo": "x"}, content_type="application/json"),
    }
    assert {k: r.status_code for k, r in refusals.items()} == {"big": 400, "text": 400, "missing": 400, "json": 415}
    assert "ไม่เกิน 10 MB" in refusals["big"].content.decode()
    assert "ไม่ใช่รูปภาพ" in refusals["text"].content.decode()
    assert "กรุณาแนบรูปถ่าย" in refusals["missing"].content.decode()
    assert not HomeVisitPhoto.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_visit_takes_at_most_ten_photos_through_the_api(world):
    record = visit(world, photos=[jpeg(size=(40, 30), gps=False) for _ in range(services.MAX_PHOTOS_PER_VISIT)])
    response = client_for(world.user("teacher_a")).post(api_photo(record), {"photo": jpeg(size=(40, 30))})
    assert response.status_code == 400
    assert "ไม่เกิน 10 รูป" in response.content.decode()
    assert record.photos.count() == services.MAX_PHOTOS_PER_VISIT


# --- Poverty screening --------------------------------------------------------------------------


def test_a_screening_stores_the_result_and_the_rules_and_a_second_save_replaces_it(world):
    first = services.poverty_screening_save(
        student=world.student_a, members=POOR_MEMBERS, household=POOR_HOUSEHOLD, by=world.user("teacher_a")
    )
    assert first.eligible
    assert first.income_per_person == Decimal("1333.33")
    assert first.hardship == ["dependants", "tenure", "housing_condition"]
    assert first.rules["income_threshold"] == "3000"
    assert "ไม่เกิน 3,000 บาท" in first.reason
    again = services.poverty_screening_save(
        student=world.student_a,
        members=[{"monthly_income": "20000", "age": 40}],
        household=POOR_HOUSEHOLD,
        by=world.user("teacher_a"),
    )
    assert again.pk == first.pk and not again.eligible
    assert PovertyScreening.objects.count() == 1


def test_a_household_without_hardship_and_with_nothing_answered_is_stored_as_such(world):
    screening = services.poverty_screening_save(
        student=world.student_a, members=[{"monthly_income": "1000"}], household={}, by=world.user("teacher_a")
    )
    assert screening.hardship == [] and len(screening.unanswered) == 7 and not screening.eligible


def test_the_schools_threshold_is_a_setting(world):
    world.school_a.policy = {"poverty_income_threshold": 1000}
    world.school_a.save()
    screening = services.poverty_screening_save(
        student=world.student_a, members=POOR_MEMBERS, household=POOR_HOUSEHOLD, by=world.user("teacher_a")
    )
    assert not screening.eligible and screening.rules["income_threshold"] == "1000"


def test_a_screening_with_a_negative_income_names_the_member(world):
    with pytest.raises(ValidationError) as error:
        services.poverty_screening_save(
            student=world.student_a,
            members=[{"monthly_income": "-5"}],
            household={},
            by=world.user("teacher_a"),
        )
    assert "สมาชิกคนที่ 1" in str(error.value)


# --- SDQ -----------------------------------------------------------------------------------------------


def test_an_sdq_form_is_scored_and_stored_with_its_bands(world):
    values = answers(2)
    assessment = services.sdq_assessment_create(
        student=world.student_a, informant="teacher", answers=values, by=world.user("teacher_a")
    )
    # Every item "จริง": the reversed items (7, 11, 14, 21, 25) score 0, so emotional 10, conduct 8,
    # hyperactivity 6, peer 6 and prosocial 10.
    assert assessment.scores == {
        "emotional": 10,
        "conduct": 8,
        "hyperactivity": 6,
        "peer": 6,
        "prosocial": 10,
        "total": 30,
    }
    assert assessment.total_difficulties == 30 and assessment.prosocial == 10
    assert assessment.status == "problem"
    assert assessment.bands["total"] == "problem" and assessment.bands["prosocial"] == "normal"


def test_a_school_scores_sdq_with_its_own_bands_and_earlier_forms_keep_theirs(world):
    # Total 16 on the teacher form: เสี่ยง by the defaults (15–16), ปกติ by a school's older table.
    values = [0] * 25
    for item in (7, 11, 14, 21, 25):  # the reversed items answered จริง score 0
        values[item - 1] = 2
    for item in (3, 8, 13, 16, 24, 5, 12, 18):  # emotional 10 + conduct 6
        values[item - 1] = 2
    teacher = world.user("teacher_a")
    before = services.sdq_assessment_create(student=world.student_a, informant="teacher", answers=values, by=teacher)
    assert (before.total_difficulties, before.bands["total"]) == (16, "risk")
    older = {"teacher": {"total": {"normal": [0, 16], "risk": [17, 18], "problem": [19, 40]}}}
    services.sdq_cutoffs_update(school=world.school_a, data=older, by=world.user("principal"))
    world.student_a.school.refresh_from_db()
    after = services.sdq_assessment_create(student=world.student_a, informant="teacher", answers=values, by=teacher)
    assert after.bands["total"] == "normal"
    before.refresh_from_db()
    assert before.bands["total"] == "risk"
    with pytest.raises(ValidationError) as error:
        services.sdq_cutoffs_update(
            school=world.school_a, data={"teacher": {"total": {"normal": [0, 10], "problem": [12, 40]}}}, by=teacher
        )
    assert "ช่วงคะแนนต้องต่อกัน" in str(error.value)
    services.sdq_cutoffs_update(school=world.school_a, data=None, by=world.user("principal"))
    world.school_a.refresh_from_db()
    assert "sdq_cutoffs" not in world.school_a.policy


def test_the_principal_reads_and_changes_the_schools_sdq_bands_through_the_api(world, counsellor):
    url = f"/api/v1/schools/{world.school_a.code}/sdq-cutoffs/"
    principal = client_for(world.user("principal"))
    body = principal.get(url).json()
    assert body["custom"] is False
    assert body["cutoffs"]["teacher"]["total"] == {"normal": [0, 14], "risk": [15, 16], "problem": [17, 40]}
    assert body["cutoffs"]["parent"]["total"]["problem"] == [19, 40]
    assert body["cutoffs"]["student"]["prosocial"] == {"normal": [4, 10], "risk": None, "problem": [0, 3]}
    change = {"cutoffs": {"teacher": {"total": {"normal": [0, 16], "risk": [17, 18], "problem": [19, 40]}}}}
    response = principal.put(url, json.dumps(change), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["custom"] is True
    assert response.json()["cutoffs"]["teacher"]["total"]["problem"] == [19, 40]
    bad = {"cutoffs": {"teacher": {"total": {"normal": [0, 10], "problem": [12, 40]}}}}
    response = principal.put(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert "ฉบับครู" in response.content.decode() and "ช่วงคะแนนต้องต่อกัน" in response.content.decode()
    # The counsellor reads them; only the principal (or a system admin) changes them.
    assert client_for(counsellor).get(url).status_code == 200
    assert client_for(counsellor).put(url, json.dumps(change), content_type="application/json").status_code == 404
    for persona in ("teacher_a", "registrar", "teacher_c", "officer_1", "parent"):
        client = client_for(world.user(persona))
        assert client.get(url).status_code == 404, persona
        assert client.put(url, json.dumps(change), content_type="application/json").status_code == 404, persona
    response = principal.put(url, json.dumps({"cutoffs": None}), content_type="application/json")
    assert response.json()["custom"] is False
    world.school_a.refresh_from_db()
    assert "sdq_cutoffs" not in world.school_a.policy


def _p1_child(world):
    p1 = f.ClassroomFactory(school=world.school_a, academic_year=world.class_a.academic_year, grade_level=f.grade("P1"))
    child = f.StudentFactory(school=world.school_a)
    f.enrol(child, p1, 1)
    return child


def test_a_parent_of_a_p1_child_fills_the_parent_form_from_the_portal_by_default(world):
    child = _p1_child(world)
    f.guardian_of(child, world.user("parent"))
    client = client_for(world.user("parent"))
    home = client.get("/care/parent/sdq/").content.decode()
    assert f"/care/parent/students/{child.code}/sdq/" in home
    response = client.post(f"/care/parent/students/{child.code}/sdq/", {f"q{n}": "1" for n in range(1, 26)})
    assert response.status_code == 302
    assessment = SdqAssessment.objects.get(student=child)
    assert assessment.informant == "parent" and assessment.filled_by == world.user("parent")
    # The self-report stays from ป.4.
    with pytest.raises(ValidationError) as error:
        services.sdq_assessment_create(student=child, informant="student", answers=answers(), by=world.user("admin"))
    assert "ไม่ใช้กับชั้นนี้" in str(error.value)


def test_a_school_may_keep_the_parent_form_from_p4_and_then_p1_parents_cannot_fill_it(world):
    child = _p1_child(world)
    f.guardian_of(child, world.user("parent"))
    principal = client_for(world.user("principal"))
    url = f"/api/v1/schools/{world.school_a.code}/sdq-cutoffs/"
    assert principal.get(url).json()["parent_form_from_p4"] is False
    response = principal.put(url, {"parent_form_from_p4": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["parent_form_from_p4"] is True
    world.school_a.refresh_from_db()
    assert world.school_a.policy["sdq_parent_from_p4"] is True
    assert "sdq_cutoffs" not in world.school_a.policy  # the bands were left alone
    with pytest.raises(ValidationError) as error:
        services.sdq_assessment_create(student=child, informant="parent", answers=answers(), by=world.user("admin"))
    assert "ไม่ใช้กับชั้นนี้" in str(error.value)
    client = client_for(world.user("parent"))
    home = client.get("/care/parent/sdq/").content.decode()
    assert f"/care/parent/students/{child.code}/sdq/" not in home
    assert "ยังไม่ใช้แบบประเมินฉบับผู้ปกครอง" in home
    response = client.post(f"/care/parent/students/{child.code}/sdq/", {f"q{n}": "1" for n in range(1, 26)})
    assert response.status_code == 400 and "ไม่ใช้กับชั้นนี้" in response.content.decode()
    assert not SdqAssessment.objects.filter(student=child).exists()
    # A child from ป.4 keeps the parent form (world's class A is ม.1).
    assert f"/care/parent/students/{world.student_a.code}/sdq/" in home
    # Only the principal changes it.
    registrar = client_for(world.user("registrar"))
    assert registrar.put(url, {"parent_form_from_p4": False}, content_type="application/json").status_code == 404


def test_an_sdq_form_with_too_few_answers_says_which_items(world):
    values: list = answers(1)
    values[2] = values[7] = values[12] = None
    with pytest.raises(ValidationError) as error:
        services.sdq_assessment_create(
            student=world.student_a, informant="teacher", answers=values, by=world.user("teacher_a")
        )
    assert "ด้านอารมณ์" in str(error.value) and "3, 8, 13" in str(error.value)


# --- Who may read (PDPA) ----------------------------------------------------------------------------


@pytest.fixture
def records(world):
    home = visit(world, photos=[jpeg(size=(400, 300))])
    screening = services.poverty_screening_save(
        student=world.student_a, members=POOR_MEMBERS, household=POOR_HOUSEHOLD, by=world.user("teacher_a")
    )
    assessment = services.sdq_assessment_create(
        student=world.student_a, informant="teacher", answers=answers(1), by=world.user("teacher_a")
    )
    return {"visit": home, "photo": home.photos.get(), "screening": screening, "sdq": assessment}


def student_urls(world, records) -> list[str]:
    s = world.student_a.code
    return [
        f"/care/students/{s}/",
        f"/care/students/{s}/home-visits/new/",
        f"/care/students/{s}/screening/",
        f"/care/students/{s}/sdq/new/?informant=teacher",
        f"/care/home-visits/{records['visit'].code}/",
        f"/care/photos/{records['photo'].code}/",
        f"/care/sdq/{records['sdq'].code}/",
        f"/care/classrooms/{world.class_a.code}/",
        f"/care/classrooms/{world.class_a.code}/coverage/",
        f"/api/v1/students/{s}/home-visits/",
        f"/api/v1/home-visits/{records['visit'].code}/",
        f"/api/v1/students/{s}/poverty-screenings/2569/",
        f"/api/v1/students/{s}/sdq-assessments/",
    ]


ALLOWED = ("teacher_a", "principal", "counsellor", "admin")
REFUSED = ("teacher_b", "teacher_c", "registrar", "officer_1", "officer_2", "parent")


@pytest.mark.parametrize("persona", ALLOWED + REFUSED)
def test_care_records_are_read_only_by_the_homeroom_teacher_counsellor_principal_and_admin(
    world, records, counsellor, subject_teacher, persona
):
    client = client_for(world.user(persona))
    answers_ = {url: client.get(url).status_code for url in student_urls(world, records)}
    expected = 200 if persona in ALLOWED else 404
    assert answers_ == dict.fromkeys(answers_, expected)


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_cannot_write_care_records_through_the_pages_or_the_api(world, records, subject_teacher, persona):
    client = client_for(world.user(persona))
    s = world.student_a.code
    before = (HomeVisit.objects.count(), SdqAssessment.objects.count())
    assert client.post(f"/care/students/{s}/home-visits/new/", {"visited_on": "20/11/2569"}).status_code == 404
    assert client.post(f"/care/students/{s}/sdq/new/?informant=teacher", {}).status_code == 404
    body = json.dumps({"informant": "teacher", "answers": answers()})
    assert (
        client.post(f"/api/v1/students/{s}/sdq-assessments/", body, content_type="application/json").status_code == 404
    )
    put = json.dumps({"members": POOR_MEMBERS, "household": {}})
    url = f"/api/v1/students/{s}/poverty-screenings/2569/"
    assert client.put(url, put, content_type="application/json").status_code == 404
    photos = HomeVisitPhoto.objects.count()
    assert client.post(f"/api/v1/home-visits/{records['visit'].code}/photos/", {"photo": jpeg()}).status_code == 404
    assert HomeVisitPhoto.objects.count() == photos
    assert (HomeVisit.objects.count(), SdqAssessment.objects.count()) == before


def test_last_years_homeroom_teacher_reads_nothing(world, records):
    world.class_a.homeroom_teachers.remove(world.user("teacher_a"))
    assert client_for(world.user("teacher_a")).get(f"/care/students/{world.student_a.code}/").status_code == 404


# --- The parent SDQ form -----------------------------------------------------------------------------


def test_a_parent_fills_the_parent_form_for_their_own_child_and_sees_only_the_confirmation(world):
    client = client_for(world.user("parent"))
    form = {f"q{n}": "1" for n in range(1, 26)}
    response = client.post(f"/care/parent/students/{world.student_a.code}/sdq/", form)
    assessment = SdqAssessment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/care/parent/sdq/{assessment.code}/"
    assert assessment.informant == "parent" and assessment.filled_by == world.user("parent")
    done = client.get(response["Location"])
    assert done.status_code == 200 and "ได้รับแบบประเมินแล้ว" in done.content.decode()
    assert "คะแนน" not in done.content.decode()
    # The result itself is the care team's.
    assert client.get(f"/care/sdq/{assessment.code}/").status_code == 404
    assert client.get(f"/api/v1/students/{world.student_a.code}/sdq-assessments/").status_code == 404


def test_a_parent_gets_404_for_another_child(world):
    client = client_for(world.user("parent"))
    for child in (world.student_a2, world.student_c):
        assert client.get(f"/care/parent/students/{child.code}/sdq/").status_code == 404
        assert client.post(f"/care/parent/students/{child.code}/sdq/", {"q1": "1"}).status_code == 404
    assert not SdqAssessment.objects.exists()


def test_only_a_parent_reaches_the_parent_form(world):
    response = client_for(world.user("teacher_b")).get(f"/care/parent/students/{world.student_a.code}/sdq/")
    assert response.status_code == 404


# --- The access log ---------------------------------------------------------------------------------


def test_every_sensitive_read_appears_in_the_principals_log(world, records, caplog):
    teacher = client_for(world.user("teacher_a"))
    urls = student_urls(world, records)
    with caplog.at_level(logging.INFO, logger="qinfo.pdpa"):
        for url in urls:
            assert teacher.get(url).status_code == 200
    reads = SensitiveRead.objects.filter(user=world.user("teacher_a"))
    kinds = set(reads.values_list("kind", flat=True))
    assert kinds == {"home_visit", "photo", "poverty", "sdq", "summary"}
    assert set(reads.values_list("student_id", flat=True)) >= {world.student_a.pk}
    read_pages = set(reads.values_list("via", flat=True))
    # Every page or API that showed a record is in the log (the blank forms and coverage show none).
    showing = [u for u in urls if "/new/" not in u and "/coverage/" not in u]
    assert {u.split("?")[0] for u in showing} <= read_pages
    assert any("read kind=photo" in message for message in caplog.messages)

    principal = client_for(world.user("principal"))
    page = principal.get(f"/care/access-log/?school={world.school_a.code}&student={world.student_a.code}")
    assert page.status_code == 200
    assert f"/care/photos/{records['photo'].code}/" in page.content.decode()
    api = principal.get(f"/api/v1/care/access-log/?school={world.school_a.code}").json()
    assert api["count"] == SensitiveRead.objects.count()


def test_the_access_log_is_the_principals_alone(world, counsellor):
    for persona in ("teacher_a", "counsellor", "registrar", "officer_1", "parent", "teacher_c"):
        client = client_for(world.user(persona))
        assert client.get(f"/care/access-log/?school={world.school_a.code}").status_code == 404, persona
        assert client.get(f"/api/v1/care/access-log/?school={world.school_a.code}").status_code == 404, persona


def test_the_log_filters_by_date(world, records):
    client_for(world.user("teacher_a")).get(f"/care/students/{world.student_a.code}/")
    principal = client_for(world.user("principal"))
    url = f"/care/access-log/?school={world.school_a.code}"
    assert "ไม่มีรายการ" in principal.get(url + "&date_from=01/11/2569&date_to=30/11/2569").content.decode()
    assert "ไม่มีรายการ" not in principal.get(url + "&date_from=02/12/2569").content.decode()


# --- Coverage and exports ---------------------------------------------------------------------------


def test_coverage_counts_visited_and_screened_students_per_classroom(world, records):
    rows, total = __import__("students.selectors.care", fromlist=["x"]).school_coverage(
        world.school_a, world.class_a.academic_year
    )
    by_room = {row.label: row for row in rows}
    assert (by_room["ม.1/1"].students, by_room["ม.1/1"].visited, by_room["ม.1/1"].eligible) == (2, 1, 1)
    assert (by_room["ม.1/2"].visited, total.students, total.visited) == (0, 3, 1)


def test_the_principal_downloads_coverage_and_only_the_columns_asked_for(world, records, counsellor):
    principal = client_for(world.user("principal"))
    school = world.school_a.code
    assert principal.get(f"/care/school/?school={school}&format=xlsx").status_code == 200
    response = principal.post(
        f"/care/school/export/?school={school}", {"columns": ["classroom", "name", "eligible"], "reason": "ทุน กสศ."}
    )
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("ห้อง", "ชื่อ-นามสกุล", "ผลคัดกรองนักเรียนยากจน")
    assert ("ม.1/1", world.student_a.full_name, "ผ่านเกณฑ์") in rows
    assert SensitiveRead.objects.filter(kind="export", user=world.user("principal")).count() == 3
    # The counsellor sees the coverage page, but exports are the principal's.
    assert client_for(counsellor).get(f"/care/school/?school={school}").status_code == 200
    assert client_for(counsellor).get(f"/care/school/?school={school}&format=xlsx").status_code == 404
    assert client_for(counsellor).post(f"/care/school/export/?school={school}", {}).status_code == 404
    assert client_for(world.user("registrar")).get(f"/care/school/?school={school}").status_code == 404


def test_an_export_without_columns_is_refused_in_thai(world):
    response = client_for(world.user("principal")).post(
        f"/care/school/export/?school={world.school_a.code}", {"reason": "x"}
    )
    assert response.status_code == 400 and "กรุณาเลือกคอลัมน์" in response.content.decode()


# --- Pages and API, end to end --------------------------------------------------------------------


def test_the_homeroom_teacher_records_a_visit_with_a_photo_on_the_page(world):
    client = client_for(world.user("teacher_a"))
    data = {
        "visited_on": "25/11/2569",
        "met_whom": "mother",
        "housing": "own",
        "family": "together",
        "risks": ["learning"],
        "photos": [jpeg(size=(800, 600))],
    }
    response = client.post(f"/care/students/{world.student_a.code}/home-visits/new/", data)
    assert response.status_code == 302
    record = HomeVisit.objects.get()
    assert record.visited_on == date(2026, 11, 25) and record.photos.count() == 1
    coverage = client.get(f"/care/classrooms/{world.class_a.code}/coverage/").content.decode()
    assert "เยี่ยมแล้ว 1 จาก 2 คน" in coverage


def test_a_ce_year_on_the_visit_form_is_refused_with_a_thai_message(world):
    client = client_for(world.user("teacher_a"))
    data = {"visited_on": "25/11/2026", "met_whom": "mother", "housing": "own", "family": "together"}
    response = client.post(f"/care/students/{world.student_a.code}/home-visits/new/", data)
    assert response.status_code == 400 and "พ.ศ." in response.content.decode()


def test_the_screening_page_computes_the_result(world):
    client = client_for(world.user("teacher_a"))
    data = {
        "member-1-income": "4000",
        "member-1-age": "40",
        "member-2-income": "0",
        "member-2-age": "70",
        "tenure": "rent",
        "dilapidated": "1",
    }
    assert client.post(f"/care/students/{world.student_a.code}/screening/", data).status_code == 302
    assert PovertyScreening.objects.get().eligible


def test_the_homeroom_teacher_fills_the_sdq_form_on_the_page_and_reads_the_result(world):
    client = client_for(world.user("teacher_a"))
    form = {f"q{n}": "2" for n in range(1, 26)}
    response = client.post(f"/care/students/{world.student_a.code}/sdq/new/?informant=teacher", form)
    assessment = SdqAssessment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/care/sdq/{assessment.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "มีปัญหา" in page and "30/40" in page
    overview = client.get(f"/care/classrooms/{world.class_a.code}/").content.decode()
    assert "SDQ ครู: มีปัญหา" in overview


def test_an_sdq_page_with_too_few_answers_shows_the_items_in_thai(world):
    client = client_for(world.user("teacher_a"))
    response = client.post(f"/care/students/{world.student_a.code}/sdq/new/?informant=teacher", {"q1": "1"})
    assert response.status_code == 400 and "ต้องตอบอย่างน้อย 3 จาก 5 ข้อ" in response.content.decode()
    assert not SdqAssessment.objects.exists()


def test_the_api_creates_and_lists_visits_and_sdq_forms_with_thai_400s(world):
    client = client_for(world.user("teacher_a"))
    s = world.student_a.code
    body = {"visited_on": "2026-11-20", "met_whom": "mother", "housing": "rent", "family": "together"}
    created = client.post(f"/api/v1/students/{s}/home-visits/", json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["visited_on"] == "2026-11-20"
    bad = client.post(
        f"/api/v1/students/{s}/home-visits/", json.dumps({**body, "met_whom": "x"}), content_type="application/json"
    )
    assert bad.status_code == 400 and "ผู้ที่พบ" in bad.json()["errors"]["met_whom"][0]
    sdq_bad = client.post(
        f"/api/v1/students/{s}/sdq-assessments/",
        json.dumps({"informant": "teacher", "answers": [1] * 24}),
        content_type="application/json",
    )
    assert sdq_bad.status_code == 400 and "25 ข้อ" in json.dumps(sdq_bad.json(), ensure_ascii=False)
    sdq_ok = client.post(
        f"/api/v1/students/{s}/sdq-assessments/",
        json.dumps({"informant": "student", "answers": [1] * 25}),
        content_type="application/json",
    )
    assert sdq_ok.status_code == 201 and sdq_ok.json()["status_label"]
    put = client.put(
        f"/api/v1/students/{s}/poverty-screenings/2569/",
        json.dumps({"members": POOR_MEMBERS, "household": POOR_HOUSEHOLD}),
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["eligible"] is True
    assert client.get(f"/api/v1/students/{s}/home-visits/").json()["count"] == 1


# --- Query counts ---------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def _more_records(world, count: int) -> None:
    teacher = world.user("teacher_a")
    for n in range(count):
        child = f.StudentFactory(school=world.school_a)
        f.enrol(child, world.class_a, 10 + len(HomeVisit.objects.all()) + n)
        visit(world, child, photos=[jpeg(size=(64, 48))])
        services.poverty_screening_save(student=child, members=POOR_MEMBERS, household=POOR_HOUSEHOLD, by=teacher)
        services.sdq_assessment_create(student=child, informant="teacher", answers=answers(1), by=teacher)
        client_for(teacher).get(f"/care/students/{child.code}/")


def test_list_pages_and_apis_do_not_grow_with_rows(world, records):
    _more_records(world, 1)
    principal, teacher = client_for(world.user("principal")), client_for(world.user("teacher_a"))
    s, school = world.student_a.code, world.school_a.code
    urls = [
        (teacher, f"/care/classrooms/{world.class_a.code}/"),
        (teacher, f"/care/classrooms/{world.class_a.code}/coverage/"),
        (teacher, "/care/"),
        (teacher, f"/care/students/{s}/"),
        (teacher, f"/api/v1/students/{s}/home-visits/"),
        (teacher, f"/api/v1/students/{s}/sdq-assessments/"),
        (principal, f"/care/school/?school={school}"),
        (principal, f"/care/access-log/?school={school}"),
        (principal, f"/api/v1/care/access-log/?school={school}"),
        (client_for(world.user("parent")), "/care/parent/sdq/"),
    ]
    before = [_queries(client, url) for client, url in urls]
    _more_records(world, 4)
    for _ in range(3):
        visit(world, photos=[jpeg(size=(64, 48))])
        services.sdq_assessment_create(
            student=world.student_a, informant="teacher", answers=answers(0), by=world.user("teacher_a")
        )
    after = [_queries(client, url) for client, url in urls]
    assert after == before


def test_the_visit_location_is_checked_in_thai_and_shown_with_map_links_to_those_who_read_the_visit(world):
    client = client_for(world.user("teacher_a"))
    url = f"/care/students/{world.student_a.code}/home-visits/new/"
    form = client.get(url).content.decode()
    assert "data-location-here" in form and "ใช้ตำแหน่งปัจจุบัน" in form
    data = {"visited_on": "25/11/2569", "met_whom": "mother", "housing": "own", "family": "together"}
    for lat, lng, message in (
        ("95", "98.4", "ละติจูดต้องอยู่ระหว่าง -90 ถึง 90"),
        ("7.9", "-181", "ลองจิจูดต้องอยู่ระหว่าง -180 ถึง 180"),
        ("เจ็ด", "98.4", "ละติจูดต้องเป็นตัวเลข"),
        ("7.1234567", "98.4", "ไม่เกิน 6 ตำแหน่ง"),
    ):
        response = client.post(url, data | {"latitude": lat, "longitude": lng})
        assert response.status_code == 400 and message in response.content.decode(), (lat, lng)
    assert not HomeVisit.objects.exists()
    response = client.post(url, data | {"latitude": "7.8804", "longitude": "98.3923"})
    assert response.status_code == 302
    visit = HomeVisit.objects.get()
    page = client.get(f"/care/home-visits/{visit.code}/").content.decode()
    assert 'href="https://www.openstreetmap.org/?mlat=7.880400&amp;mlon=98.392300#map=17/7.880400/98.392300"' in page
    assert 'href="geo:7.880400,98.392300"' in page
    for persona in ("teacher_b", "registrar", "officer_1", "parent"):
        assert client_for(world.user(persona)).get(f"/care/home-visits/{visit.code}/").status_code == 404
    # A school that keeps no locations shows neither the fields nor the button.
    world.school_a.policy = {**(world.school_a.policy or {}), "home_visit_location": False}
    world.school_a.save(update_fields=["policy"])
    form = client.get(url).content.decode()
    assert "data-location-here" not in form and 'name="latitude"' not in form
