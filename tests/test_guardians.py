"""Parents: one-time codes printed by the school, activation, linking further children."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from students.models import Guardian
from students.services import records as services

from . import factories as f


def activation_data(code: str, **overrides):
    data = {
        "code": code,
        "student_birth_date": "",
        "username": "mae_kritsada",
        "first_name": "สมศรี",
        "last_name": "บุญมา",
        "password1": "แม่ของกฤษดา-2569",
        "password2": "แม่ของกฤษดา-2569",
    }
    data.update(overrides)
    return data


def be(day) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def test_a_registrar_issues_a_code_that_is_shown_once_and_stored_only_as_a_hash(world):
    client = Client()
    client.force_login(world.user("registrar"))
    guardian = f.guardian_of(world.student_b)
    response = client.post(f"/guardians/{guardian.code}/activation-code/")
    code = response.context["activation_code"]
    guardian.refresh_from_db()
    assert len(code.replace("-", "")) == 10
    assert code.replace("-", "") not in guardian.activation_code_hash
    assert guardian.activation_code_hash
    assert "ใช้ได้ครั้งเดียว" in response.content.decode()


def test_a_parent_activates_an_account_with_the_code_and_the_childs_birth_date(world):
    code = services.guardian_issue_code(guardian=world.guardian_c, by=world.user("admin"))
    client = Client()
    response = client.post(
        "/parents/activate/", activation_data(code.lower(), student_birth_date=be(world.student_c.birth_date))
    )
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert world.student_c.first_name in home
    world.guardian_c.refresh_from_db()
    assert world.guardian_c.user.username == "mae_kritsada"
    # The code is spent.
    again = Client().post(
        "/parents/activate/", activation_data(code, username="other", student_birth_date=be(world.student_c.birth_date))
    )
    assert "ถูกใช้ไปแล้ว" in again.content.decode()


def test_a_wrong_birth_date_does_not_activate_and_does_not_create_an_account(world):
    from schools.models import User

    code = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    response = Client().post("/parents/activate/", activation_data(code, student_birth_date="01/01/2550"))
    assert "วันเกิดของนักเรียนไม่ตรง" in response.content.decode()
    assert not User.objects.filter(username="mae_kritsada").exists()
    world.guardian_c.refresh_from_db()
    assert world.guardian_c.user is None


def test_an_expired_code_is_refused(world):
    code = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    Guardian.objects.filter(pk=world.guardian_c.pk).update(
        activation_code_expires_at=timezone.now() - timedelta(days=1)
    )
    response = Client().post(
        "/parents/activate/", activation_data(code, student_birth_date=be(world.student_c.birth_date))
    )
    assert "หมดอายุ" in response.content.decode()


def test_a_reissued_code_replaces_the_old_one(world):
    first = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    services.guardian_issue_code(guardian=world.guardian_c, by=None)
    assert services.guardian_for_code(first) is None


def test_a_signed_in_parent_links_a_second_child(world):
    sibling = f.StudentFactory(school=world.school_a, last_name=world.student_a.last_name)
    guardian = f.guardian_of(sibling)
    code = services.guardian_issue_code(guardian=guardian, by=None)
    client = Client()
    client.force_login(world.user("parent"))
    response = client.post("/parents/link/", {"code": code, "student_birth_date": be(sibling.birth_date)})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert sibling.first_name in home
    assert world.student_a.first_name in home
    assert client.get(f"/students/{sibling.code}/").status_code == 200


def test_guessing_codes_is_rate_limited(world):
    client = Client()
    for _ in range(10):
        client.post("/parents/activate/", activation_data("AAAAA-BBBBB"))
    response = client.post("/parents/activate/", activation_data("AAAAA-BBBBB"))
    assert "ลองผิดหลายครั้งเกินไป" in response.content.decode()


@pytest.mark.parametrize("password", ["12345678", "short"])
def test_a_weak_password_is_refused_in_thai_and_nothing_is_linked(world, password):
    code = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    response = Client().post(
        "/parents/activate/",
        activation_data(
            code, password1=password, password2=password, student_birth_date=be(world.student_c.birth_date)
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    world.guardian_c.refresh_from_db()
    assert world.guardian_c.user is None


def test_expiring_codes_forgets_only_stale_unused_codes(world):
    code = services.guardian_issue_code(guardian=world.guardian_c, by=None)
    assert services.guardian_expire_codes() == 0
    assert services.guardian_for_code(code) is not None
    assert services.guardian_expire_codes(now=timezone.now() + timedelta(days=400)) == 1
    assert services.guardian_for_code(code) is None
