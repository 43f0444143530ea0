"""The error pages people meet with DEBUG off, as the demo and production run: Thai, in the
layout, and never Django's technical page listing the URL patterns."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db

TECHNICAL_PAGE_MARKS = ("Using the URLconf", "Page not found", "Traceback", "DEBUG = True")


def assert_thai_error_page(html: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in html
    assert 'class="topbar"' in html
    assert "/static/css/app.css" in html
    for mark in TECHNICAL_PAGE_MARKS:
        assert mark not in html


def test_the_suite_runs_with_debug_off():
    assert settings.DEBUG is False


def test_a_parent_opening_another_childs_url_gets_the_thai_404_in_the_layout(world, client):
    client.force_login(world.user("parent"))
    response = client.get(f"/students/{world.student_b.code}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_thai_error_page(html, "ไม่พบข้อมูลที่ต้องการ")
    # Signed in: the full top bar with the menu and the sign-out button.
    assert "ออกจากระบบ" in html
    assert world.student_b.first_name not in html


def test_an_unknown_address_gets_the_thai_404_without_the_menu_when_signed_out(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_thai_error_page(html, "ไม่พบข้อมูลที่ต้องการ")
    assert "ออกจากระบบ" not in html


def test_a_request_for_an_unknown_host_gets_the_thai_400(client):
    response = client.get("/", HTTP_HOST="intruder.example")
    assert response.status_code == 400
    assert_thai_error_page(response.content.decode(), "คำขอไม่ถูกต้อง")


def test_a_forbidden_request_gets_the_thai_403(world):
    request = RequestFactory().get("/")
    request.user = world.user("teacher_a")
    request.session = SessionStore()
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert_thai_error_page(response.content.decode(), "ไม่มีสิทธิ์เข้าถึง")


def test_a_server_error_gets_the_thai_500_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert_thai_error_page(response.content.decode(), "ขออภัย ระบบขัดข้องชั่วคราว")


def test_the_api_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    assert "https://" not in html
