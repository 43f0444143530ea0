"""Signing in, roles, lockout, password change and reset — all in Thai."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from schools.models import StaffMembership

from . import factories as f
from .factories import PASSWORD


def login(client: Client, username: str, password: str = PASSWORD, role: str = ""):
    return client.post("/login/", {"username": username, "password": password, "role": role})


def test_the_login_page_is_thai(db):
    body = Client().get("/login/").content.decode()
    assert "เข้าสู่ระบบ" in body
    assert 'lang="th"' in body


def test_a_teacher_signs_in_and_lands_on_the_teacher_home(world):
    client = Client()
    response = login(client, "teacher_a")
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "ห้องเรียนที่ดูแล" in home
    assert world.class_a.name in home


def test_a_wrong_password_gets_a_thai_error_and_no_session(world):
    client = Client()
    response = login(client, "teacher_a", "wrong-password")
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.content.decode()
    assert client.get("/").status_code == 302


def test_signing_in_for_a_role_the_user_does_not_hold_is_refused_by_name(world):
    client = Client()
    response = login(client, "teacher_a", role="principal")
    body = response.content.decode()
    assert response.status_code == 200
    assert "ไม่มีบทบาท “ผู้อำนวยการ”" in body
    assert client.get("/").status_code == 302  # not signed in


def test_signing_in_for_a_held_role_starts_in_that_role(world):
    client = Client()
    f.member(world.user("principal"), StaffMembership.Role.TEACHER, school=world.school_a)
    login(client, "principal", role="teacher")
    assert "ห้องเรียนที่ดูแล" in client.get("/").content.decode()


def test_an_account_without_any_role_cannot_sign_in(db):
    f.UserFactory(username="nobody")
    response = login(Client(), "nobody")
    assert "ยังไม่ได้รับบทบาทใด" in response.content.decode()


def test_switching_to_a_role_not_held_changes_nothing(world):
    client = Client()
    login(client, "teacher_a")
    response = client.post("/role/", {"role": "admin::"}, follow=True)
    assert "ไม่สามารถเปลี่ยนบทบาทได้" in response.content.decode()
    assert "ห้องเรียนที่ดูแล" in response.content.decode()


def test_a_principal_who_also_teaches_switches_between_homes(world):
    f.member(world.user("principal"), StaffMembership.Role.TEACHER, school=world.school_a)
    client = Client()
    login(client, "principal")
    assert "จำนวนนักเรียนแยกตามชั้น" in client.get("/").content.decode()
    response = client.post("/role/", {"role": f"teacher:{world.school_a.pk}:"}, follow=True)
    assert "ห้องเรียนที่ดูแล" in response.content.decode()


def test_repeated_failures_lock_out_that_username_from_that_address(world):
    client = Client()
    for _ in range(5):
        login(client, "registrar", "nope")
    response = login(client, "registrar")  # even the right password is refused now
    assert response.status_code == 429
    assert "ระงับการเข้าสู่ระบบชั่วคราว" in response.content.decode()
    assert login(Client(REMOTE_ADDR="10.0.0.9"), "registrar").status_code == 302  # another address is fine


def test_logout_needs_a_post_and_ends_the_session(world):
    client = Client()
    login(client, "teacher_a")
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_password_change_page_is_thai_and_works(world):
    client = Client()
    login(client, "teacher_a")
    assert "เปลี่ยนรหัสผ่าน" in client.get("/password/change/").content.decode()
    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "ครูใหม่-2569!", "new_password2": "ครูใหม่-2569!"},
    )
    assert response.status_code == 302
    assert login(Client(), "teacher_a", "ครูใหม่-2569!").status_code == 302


def test_password_reset_sends_a_thai_email_with_a_working_link(world):
    user = world.user("teacher_a")
    user.email = "teacher@example.org"
    user.save()
    Client().post("/password/reset/", {"email": "teacher@example.org"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "ตั้งรหัสผ่านใหม่" in message.subject
    link = next(line for line in message.body.splitlines() if "/password/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    client = Client()
    response = client.get(path, follow=True)
    assert "ตั้งรหัสผ่านใหม่" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "ตั้งใหม่-2569!", "new_password2": "ตั้งใหม่-2569!"})
    assert login(Client(), "teacher_a", "ตั้งใหม่-2569!").status_code == 302


def test_session_cookie_is_http_only(world):
    client = Client()
    login(client, "teacher_a")
    assert client.cookies["sessionid"]["httponly"]
