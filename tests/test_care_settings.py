"""The school's care settings page: the EEF screening thresholds, whether a home visit keeps a
location, and the SDQ bands per informant and scale. The principal or the school's admin changes
them with a reason (audited); bad input gets a Thai message beside the field and changes nothing;
the new rules apply to what is saved from now on (stored screenings and forms keep theirs, so no
status moves and the early warning has nothing to recompute).

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

import pytest
from django.test import Client
from pghistory.models import Events

from schools.models import StaffMembership
from students import sdq
from students.services import care as services

from . import factories as f


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(school) -> str:
    return f"/care/settings/?school={school.code}"


SCREENING = {"form": "screening", "income_threshold": "2500", "min_hardship_items": "3", "keep_location": "on"}


def sdq_post(**changes) -> dict:
    """The grid as the page shows the defaults, with `changes` ({"teacher-total-first": "15"})."""
    from students.forms.care import sdq_band_fields

    data = {"form": "sdq", "reason": "ตามคู่มือฉบับใหม่"}
    for table in sdq_band_fields(sdq.DEFAULT_CUTOFFS):
        for row in table["rows"]:
            data[f"{row['name']}-first"], data[f"{row['name']}-second"] = str(row["first"]), str(row["second"])
    return data | changes


def test_a_school_admin_membership_may_change_them_too(world):
    admin = f.UserFactory(username="school_admin_a")
    f.member(admin, StaffMembership.Role.ADMIN, school=world.school_a)
    assert client_for(admin).post(url(world.school_a), SCREENING | {"reason": "ทดสอบ"}).status_code == 302


def test_new_thresholds_apply_from_now_on_with_the_reason_in_the_audit(world):
    teacher, principal = world.user("teacher_a"), world.user("principal")
    household = {"members": [{"monthly_income": "2800"}], "household": {}}
    earlier = services.poverty_screening_save(student=world.student_a, by=teacher, **household)
    assert earlier.rules["income_threshold"] == "3000"
    response = client_for(principal).post(url(world.school_a), SCREENING | {"reason": "มติคณะกรรมการ"})
    assert response.status_code == 302
    world.school_a.refresh_from_db()
    rules = services.poverty_rules(world.school_a)
    assert (rules.income_threshold, rules.min_hardship_items) == (2500, 3)
    assert services.keeps_location(world.school_a) and not services.keeps_photo_gps(world.school_a)
    event = Events.objects.tracks(world.school_a).order_by("-pgh_id").first()
    assert event.pgh_context["user"] == principal.pk
    assert event.pgh_context["reason"] == "ตั้งค่าการคัดกรองและการเยี่ยมบ้าน: มติคณะกรรมการ"
    earlier.refresh_from_db()
    assert earlier.rules["income_threshold"] == "3000"  # the stored screening keeps its rules
    later = services.poverty_screening_save(student=world.student_a2, by=teacher, **household)
    assert later.rules["income_threshold"] == "2500" and later.rules["min_hardship_items"] == 3
    assert "2,800" in later.reason or "2800" in later.reason
    page = client_for(principal).get(url(world.school_a)).content.decode()
    assert 'value="2500"' in page and "ใช้กับการคัดกรองที่บันทึกต่อจากนี้" in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"income_threshold": "สามพัน"}, "income_threshold", "ต้องเป็นจำนวนเงิน"),
        ({"income_threshold": "0"}, "income_threshold", "มากกว่า 0"),
        ({"income_threshold": "3000.555"}, "income_threshold", "ทศนิยม"),
        ({"income_threshold": "NaN"}, "income_threshold", "ต้องเป็นจำนวนเงิน"),
        ({"min_hardship_items": "9"}, "min_hardship_items", "0 ถึง 8"),
        ({"min_hardship_items": "2.5"}, "min_hardship_items", "จำนวนเต็ม"),
        ({"reason": ""}, "reason", "กรุณากรอกเหตุผล"),
        ({"reason": "   "}, "reason", "เหตุผล"),
    ],
)
def test_bad_thresholds_are_refused_beside_the_field_and_change_nothing(world, changes, field, words):
    before = dict(world.school_a.policy or {})
    count = Events.objects.tracks(world.school_a).count()
    response = client_for(world.user("principal")).post(url(world.school_a), SCREENING | {"reason": "x"} | changes)
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    world.school_a.refresh_from_db()
    assert (world.school_a.policy or {}) == before
    assert Events.objects.tracks(world.school_a).count() == count


def test_the_sdq_bands_are_changed_per_informant_and_scale_and_apply_from_now_on(world):
    teacher, principal = world.user("teacher_a"), world.user("principal")
    answers = [1] * 25  # teacher total difficulties 20 with the reversed items: problem by default
    earlier = services.sdq_assessment_create(student=world.student_a, informant="teacher", answers=answers, by=teacher)
    client = client_for(principal)
    response = client.post(url(world.school_a), sdq_post(**{"teacher-total-first": "20", "teacher-total-second": "22"}))
    assert response.status_code == 302
    world.school_a.refresh_from_db()
    table = services.sdq_cutoffs(world.school_a).for_informant("teacher").for_scale(sdq.Scale.TOTAL)
    assert (table.normal.high, table.risk.low, table.risk.high, table.problem.low) == (20, 21, 22, 23)
    # The other informants keep the defaults.
    assert services.sdq_cutoffs(world.school_a).parent == sdq.DEFAULT_CUTOFFS.parent
    event = Events.objects.tracks(world.school_a).order_by("-pgh_id").first()
    assert event.pgh_context["reason"] == "แก้ไขเกณฑ์การแปลผล SDQ ของโรงเรียน: ตามคู่มือฉบับใหม่"
    later = services.sdq_assessment_create(student=world.student_a, informant="teacher", answers=answers, by=teacher)
    earlier.refresh_from_db()
    assert earlier.bands["total"] != later.bands["total"]
    assert later.bands["total"] == str(table.band_of(later.total_difficulties))
    # The API reads what the page wrote.
    api = client.get(f"/api/v1/schools/{world.school_a.code}/sdq-cutoffs/").json()
    assert api["custom"] and api["cutoffs"]["teacher"]["total"]["risk"] == [21, 22]
    # Back to the defaults: typed back, or with the box.
    assert client.post(url(world.school_a), sdq_post(restore="1")).status_code == 302
    world.school_a.refresh_from_db()
    assert services.SDQ_POLICY_KEY not in world.school_a.policy


def test_the_prosocial_scale_is_typed_from_its_problem_end_and_a_band_may_be_left_out(world):
    client = client_for(world.user("principal"))
    post = sdq_post(**{"student-prosocial-first": "4", "student-prosocial-second": "4", "teacher-peer-second": "5"})
    assert client.post(url(world.school_a), post).status_code == 302
    world.school_a.refresh_from_db()
    cutoffs = services.sdq_cutoffs(world.school_a)
    prosocial = cutoffs.for_informant("student").for_scale(sdq.Scale.PROSOCIAL)
    assert (prosocial.problem.high, prosocial.risk, prosocial.normal.low) == (4, None, 5)
    peer = cutoffs.for_informant("teacher").for_scale(sdq.Scale.PEER)
    assert (peer.normal.high, peer.risk, peer.problem.low) == (5, None, 6)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"teacher-total-first": "สิบ"}, "teacher-total-first", "ฉบับครู คะแนนรวมด้านปัญหา: ช่วงแรกต้องเป็นคะแนนจำนวนเต็ม"),
        ({"parent-emotional-second": "10"}, "parent-emotional-second", "ต้องอยู่ระหว่าง 0 ถึง 9"),
        ({"student-peer-first": "-1"}, "student-peer-first", "ต้องอยู่ระหว่าง 0 ถึง 9"),
        ({"teacher-conduct-first": "5", "teacher-conduct-second": "4"}, "teacher-conduct-second", "ไม่น้อยกว่า"),
    ],
)
def test_bad_sdq_bands_are_refused_beside_the_field_and_change_nothing(world, changes, field, words):
    response = client_for(world.user("principal")).post(url(world.school_a), sdq_post(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    world.school_a.refresh_from_db()
    assert services.SDQ_POLICY_KEY not in (world.school_a.policy or {})


def test_sdq_bands_without_a_reason_are_refused(world):
    response = client_for(world.user("principal")).post(url(world.school_a), sdq_post(reason=""))
    assert response.status_code == 400
    assert "กรุณาระบุเหตุผล" in response.content.decode()
    world.school_a.refresh_from_db()
    assert services.SDQ_POLICY_KEY not in (world.school_a.policy or {})
