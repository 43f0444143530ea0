"""Hardening: a Content-Security-Policy with no third-party origin and no inline script, the
API schema and docs behind sign-in in production, and no English message in the Thai pages."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from django.test import Client, override_settings

from qinfo.tests.test_settings import run_manage

from .factories import PASSWORD

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ALLOWED_SOURCES = {"'self'", "'none'", "data:"}


def client_for(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.user(persona))
    return client


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.mark.parametrize("url", ["/", "/login/", "/api/v1/me/", "/api/docs/"])
def test_every_response_has_a_policy_with_only_this_sites_origins(world, url):
    response = client_for(world, "registrar").get(url)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for name, sources in policy.items():
        allowed = ALLOWED_SOURCES | ({"'unsafe-inline'"} if name == "style-src-attr" else set())
        extra = [s for s in sources if s not in allowed and not s.startswith("'nonce-")]
        assert extra == [], (name, extra)


def test_no_template_carries_an_inline_script_or_handler_or_an_unnonced_style():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if "pdf" in path.parts:  # rendered by WeasyPrint, never by a browser
            continue
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.S)
        for match in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in match.group(1):
                found.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            found.append(f"{path.name}: inline event handler")
        if "javascript:" in text:
            found.append(f"{path.name}: javascript: URL")
        for match in re.finditer(r"<style\b([^>]*)>", text):
            if "nonce=" not in match.group(1):
                found.append(f"{path.name}: <style> without the nonce")
    assert found == []


def test_the_docs_page_starts_swagger_from_a_script_file_and_nonces_its_style(world):
    response = client_for(world, "registrar").get("/api/docs/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert '<script src="/api/docs/?script="></script>' in html
    script = client_for(world, "registrar").get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


# --- The schema and docs behind sign-in ----------------------------------------------------------


@override_settings(API_DOCS_REQUIRE_LOGIN=True)
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_with_sign_in_required_the_schema_and_docs_refuse_anonymous_visitors(world, url):
    assert Client().get(url).status_code in (401, 403)
    assert client_for(world, "teacher_a").get(url).status_code == 200


@override_settings(API_DOCS_REQUIRE_LOGIN=True)
def test_with_sign_in_required_a_token_reads_the_schema(world):
    token = Client().post("/api/v1/auth/token/", {"username": "registrar", "password": PASSWORD}).json()["token"]
    response = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/students/" in response.content


def test_production_settings_require_sign_in_for_the_schema_and_docs():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.API_DOCS_REQUIRE_LOGIN, settings.LANGUAGES)",
        DJANGO_SETTINGS_MODULE="qinfo.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="q-info.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True [('th', 'ไทย')]"


# --- Thai only ----------------------------------------------------------------------------------

ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ ’'][a-z]+){3,}")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["th", "en", "en-US,en;q=0.9"])
def test_the_password_change_rules_and_errors_are_thai_whatever_the_browser_language(world, language):
    client = client_for(world, "registrar")
    page = client.get("/password/change/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร" in page
    assert "รหัสผ่านต้องไม่เป็นตัวเลขล้วน" in page
    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "passwords"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    text = visible_text(response.content.decode())
    assert "รหัสผ่านทั้งสองช่องไม่ตรงกัน" in text
    assert ENGLISH.findall(text) == []
    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    text = visible_text(response.content.decode())
    assert "รหัสผ่านนี้เดาง่าย" in text and "รหัสผ่านนี้เป็นตัวเลขล้วน" in text
    assert ENGLISH.findall(text) == []


@pytest.mark.parametrize("language", ["th", "en"])
def test_api_field_errors_are_thai_whatever_the_browser_language(world, language):
    client = client_for(world, "registrar")
    response = client.get("/api/v1/students/?school=not-a-uuid", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json()["errors"]["school"] == ["ต้องเป็นรหัส UUID ที่ถูกต้อง"]
    response = client.post(
        "/api/v1/subjects/",
        {"subject_code": "ท11101", "name": "ภาษาไทย 1", "is_activity": "maybe"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.json()["errors"]["is_activity"] == ["ต้องเป็นค่าจริงหรือเท็จ (true/false)"]
    response = client.get("/api/v1/students/?page=999", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json() == {"detail": "หน้าไม่ถูกต้อง"}
