"""Access ends when the role ends.

A teacher's links (homeroom teacher of a classroom, teacher of a section, head of a learning
area) give access only through a role the teacher still holds at that school, and only for the
academic year running today. Taking a role away, closing an account or changing a password
signs the person out everywhere; API tokens expire and can be revoked.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from academics.models import AssessmentItem, LearningAreaHead, Score
from academics.results import plan_for
from schools.models import StaffMembership
from schools.services.organisation import membership_revoke, user_deactivate

from . import factories as f
from .factories import PASSWORD

Role = StaffMembership.Role


@pytest.fixture
def section(world):
    subject = f.make_subject(world.school_a, "ค21101", "คณิตศาสตร์ 1")
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    return section


@pytest.fixture
def item(world, section):
    return AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)


def signed_in(user) -> Client:
    """A client signed in through the sign-in page, as a person would."""
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return client


def revoke_all_roles(world, persona: str) -> None:
    for membership in StaffMembership.objects.filter(user=world.user(persona)):
        membership_revoke(membership=membership, by=world.user("principal"), reason="ย้ายไปโรงเรียนอื่น")


def token_for(username: str) -> str:
    response = Client().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def teacher_urls(world, section, item) -> list[str]:
    return [
        f"/academics/sections/{section.code}/grid/",
        f"/api/v1/sections/{section.code}/grid/",
        f"/api/v1/sections/{section.code}/results/",
        f"/academics/sections/{section.code}/attendance/",
        f"/api/v1/sections/{section.code}/scores/{item.code}/{world.student_a.code}/history/",
        f"/classrooms/{world.class_a.code}/",
        f"/api/v1/classrooms/{world.class_a.code}/",
        f"/api/v1/classrooms/{world.class_a.code}/roster/",
        f"/academics/classrooms/{world.class_a.code}/evaluations/",
        f"/students/{world.student_a.code}/",
        f"/api/v1/students/{world.student_a.code}/",
    ]


# --- Links count only through a role held today -------------------------------------------------


def test_the_teacher_reaches_their_section_and_class_while_the_role_lasts(world, section, item):
    client = Client()
    client.force_login(world.user("teacher_a"))
    for url in teacher_urls(world, section, item):
        assert client.get(url).status_code == 200, url


def test_a_revoked_teacher_reads_nothing_through_the_old_links(world, section, item):
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(is_active=False)
    client = Client()
    client.force_login(world.user("teacher_a"))
    for url in teacher_urls(world, section, item):
        assert client.get(url).status_code == 404, url


def test_a_revoked_teachers_score_write_is_refused_and_nothing_is_written(world, section, item):
    token = token_for("teacher_a")
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(is_active=False)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.put(
        f"/api/v1/sections/{section.code}/scores/{item.code}/{world.student_a.code}/",
        {"value": "50", "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Score.objects.filter(item=item).exists()


def test_a_role_past_its_end_date_grants_nothing(world, section, item):
    yesterday = timezone.localdate() - timedelta(days=1)
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(ends_on=yesterday)
    client = Client()
    client.force_login(world.user("teacher_a"))
    for url in teacher_urls(world, section, item):
        assert client.get(url).status_code == 404, url


def test_a_role_ending_today_still_counts_today(world, section, item):
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(ends_on=timezone.localdate())
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert client.get(f"/academics/sections/{section.code}/grid/").status_code == 200


def test_a_role_at_another_school_does_not_revive_the_links(world, section, item):
    """A teacher who moved to school C keeps no access to school A's class they still appear on."""
    StaffMembership.objects.filter(user=world.user("teacher_a")).update(is_active=False)
    f.member(world.user("teacher_a"), Role.TEACHER, school=world.school_c)
    client = Client()
    client.force_login(world.user("teacher_a"))
    for url in teacher_urls(world, section, item):
        assert client.get(url).status_code == 404, url


def test_a_revoked_head_of_learning_area_no_longer_reviews_its_sections(world, section):
    head = f.UserFactory(username="area_head")
    membership = f.member(head, Role.AREA_HEAD, school=world.school_a)
    LearningAreaHead.objects.create(school=world.school_a, learning_area=section.subject.learning_area, user=head)
    client = Client()
    client.force_login(head)
    assert client.get(f"/api/v1/sections/{section.code}/").status_code == 200
    membership_revoke(membership=membership, by=world.user("principal"))
    client.force_login(head)
    assert client.get(f"/api/v1/sections/{section.code}/").status_code == 404


# --- Links count only for the academic year running today ---------------------------------------


@pytest.fixture
def last_year(world):
    """School A's previous year: teacher B was homeroom teacher of its ม.1/1, where student A
    studied, and taught its mathematics. This year student A is in class A (teacher A's)."""
    year = f.make_year(world.school_a, 2568)
    room = f.ClassroomFactory(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), room=1)
    room.homeroom_teachers.add(world.user("teacher_b"))
    f.enrol(world.student_a, room, 1)
    subject = f.make_subject(world.school_a, "ค21102", "คณิตศาสตร์ 2")
    old_section = f.make_section(subject, room, teachers=[world.user("teacher_b")])
    return room, old_section


def test_last_years_homeroom_teacher_has_no_access_to_that_class_today(world, last_year):
    room, old_section = last_year
    client = Client()
    client.force_login(world.user("teacher_b"))
    for url in (
        f"/classrooms/{room.code}/",
        f"/api/v1/classrooms/{room.code}/",
        f"/api/v1/classrooms/{room.code}/roster/",
        f"/academics/classrooms/{room.code}/evaluations/",
        f"/academics/sections/{old_section.code}/grid/",
        f"/api/v1/sections/{old_section.code}/results/",
        f"/students/{world.student_a.code}/",
        f"/api/v1/students/{world.student_a.code}/",
    ):
        assert client.get(url).status_code == 404, url


def test_this_years_homeroom_teacher_of_the_same_room_has_access(world, last_year):
    client = Client()
    client.force_login(world.user("teacher_a"))
    assert client.get(f"/classrooms/{world.class_a.code}/").status_code == 200
    assert client.get(f"/students/{world.student_a.code}/").status_code == 200


def test_the_registrar_still_reads_last_years_class(world, last_year):
    room, _ = last_year
    client = Client()
    client.force_login(world.user("registrar"))
    assert client.get(f"/classrooms/{room.code}/").status_code == 200


# --- Sessions and tokens end with the role -----------------------------------------------------


def test_revoking_a_membership_ends_the_persons_sessions_and_tokens(world):
    browser = signed_in(world.user("teacher_b"))
    token = token_for("teacher_b")
    assert browser.get("/").status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200

    membership = StaffMembership.objects.get(user=world.user("teacher_b"), role=Role.HOMEROOM_TEACHER)
    membership_revoke(membership=membership, by=world.user("principal"), reason="ย้ายไปโรงเรียนอื่น")

    assert browser.get("/").url.startswith("/login/")
    assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=world.user("teacher_b")).exists()


def test_revoking_on_the_staff_page_ends_the_sessions(world):
    browser = signed_in(world.user("teacher_b"))
    principal = Client()
    principal.force_login(world.user("principal"))
    membership = StaffMembership.objects.get(user=world.user("teacher_b"), role=Role.TEACHER)
    principal.post(f"/schools/{world.school_a.code}/staff/{membership.pk}/revoke/", {"reason": "ลาออก"})
    membership.refresh_from_db()
    assert not membership.is_active
    assert browser.get("/").url.startswith("/login/")
    assert principal.get("/").status_code == 200


def test_other_people_stay_signed_in(world):
    other = signed_in(world.user("teacher_a"))
    revoke_all_roles(world, "teacher_b")
    assert other.get("/").status_code == 200


def test_closing_an_account_ends_its_sessions_and_tokens(world):
    browser = signed_in(world.user("teacher_b"))
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for('teacher_b')}")
    user_deactivate(user=world.user("teacher_b"), by=world.user("admin"), reason="ลาออก")
    assert browser.get("/").url.startswith("/login/")
    assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=world.user("teacher_b")).exists()


def test_closing_an_account_in_the_admin_ends_its_sessions(world):
    browser = signed_in(world.user("teacher_b"))
    token_for("teacher_b")
    admin = Client()
    admin.force_login(world.user("admin"))
    user = world.user("teacher_b")
    page = admin.get(f"/system/schools/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "username": user.username,
            "is_active": "",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    data.pop("is_active")
    data.pop("last_login", None)
    response = admin.post(f"/system/schools/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user.refresh_from_db()
    assert not user.is_active
    assert browser.get("/").url.startswith("/login/")
    assert not AuthToken.objects.filter(user=user).exists()


def test_changing_the_password_ends_the_other_sessions_and_every_token(world):
    phone = signed_in(world.user("teacher_b"))
    laptop = signed_in(world.user("teacher_b"))
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for('teacher_b')}")
    response = laptop.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "ใหม่-horse-77-xyz", "new_password2": "ใหม่-horse-77-xyz"},
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").url.startswith("/login/")
    assert api.get("/api/v1/me/").status_code == 401


# --- The token endpoint ---------------------------------------------------------------------------


def test_the_token_endpoint_refuses_an_account_with_no_role(world):
    f.UserFactory(username="nobody")
    response = Client().post("/api/v1/auth/token/", {"username": "nobody", "password": PASSWORD})
    assert response.status_code == 403
    assert "ไม่มีบทบาท" in response.json()["detail"]
    assert not AuthToken.objects.exists()


def test_the_token_endpoint_refuses_a_revoked_teacher(world):
    revoke_all_roles(world, "teacher_b")
    response = Client().post("/api/v1/auth/token/", {"username": "teacher_b", "password": PASSWORD})
    assert response.status_code == 403


def test_the_token_endpoint_serves_an_activated_parent(world):
    assert token_for("parent")


def test_the_token_endpoint_answers_a_wrong_password_in_thai(world):
    response = Client().post("/api/v1/auth/token/", {"username": "teacher_b", "password": "wrong"})
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == ["ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"]


def test_a_token_expires(world):
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for('teacher_b')}")
    assert api.get("/api/v1/me/").status_code == 200
    AuthToken.objects.filter(user=world.user("teacher_b")).update(expiry=timezone.now() - timedelta(seconds=1))
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "หมดอายุ" in response.json()["detail"]


def test_a_token_carries_its_expiry(world):
    response = Client().post("/api/v1/auth/token/", {"username": "teacher_b", "password": PASSWORD})
    expiry = AuthToken.objects.get(user=world.user("teacher_b")).expiry
    assert timezone.now() < expiry <= timezone.now() + timedelta(days=7)
    assert response.json()["expiry"]


def test_a_token_can_be_revoked_by_its_holder(world):
    first = Client(HTTP_AUTHORIZATION=f"Token {token_for('teacher_b')}")
    second = Client(HTTP_AUTHORIZATION=f"Token {token_for('teacher_b')}")
    assert first.delete("/api/v1/auth/token/").status_code == 204
    assert first.get("/api/v1/me/").status_code == 401
    assert second.get("/api/v1/me/").status_code == 200
    assert second.delete("/api/v1/auth/tokens/").status_code == 204
    assert second.get("/api/v1/me/").status_code == 401


def test_tokens_are_stored_hashed(world):
    token = token_for("teacher_b")
    stored = AuthToken.objects.get(user=world.user("teacher_b"))
    assert token not in (stored.digest, stored.token_key)
