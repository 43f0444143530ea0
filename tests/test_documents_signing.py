"""Signed official documents (PAdES, pyHanko): the school's certificate uploaded on its
settings page, every document the job issues signed with it, validated by pyHanko's own
validator trusting the demo root; one changed byte breaks the signature. Without a
certificate the documents go out unsigned and the pages say so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reports import signing
from reports.models import IssuedDocument, SigningCertificate
from reports.services import documents as services
from reports.services.signing import signing_certificate_upload

from .test_documents import client_for, give_results, run_now

PASSWORD = "รหัส-ทดสอบ-1234"


@pytest.fixture
def records(world):
    give_results(world, {world.student_a: None, world.student_a2: None})
    return world


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo_certificate(records):
    bundle, root = signing.demo_pkcs12(records.school_a.name, password=PASSWORD, now=timezone.now())
    return bundle, root


def issue_one(world):
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar"))
    )
    assert job.status == "done", job.error
    document = IssuedDocument.objects.get(job=job)
    with document.file.open("rb") as handle:
        return document, handle.read()


def test_the_registrar_uploads_the_certificate_and_the_password_is_not_kept_in_clear(records, media, demo_certificate):
    world = records
    bundle, _root = demo_certificate
    client = client_for(world, "registrar")
    page = client.get(f"/documents/schools/{world.school_a.code}/settings/").content.decode()
    assert "ยังไม่มีใบรับรอง" in page and "ไม่มีลายมือชื่ออิเล็กทรอนิกส์" in page
    response = client.post(
        f"/documents/schools/{world.school_a.code}/certificate/",
        {"bundle": SimpleUploadedFile("school.p12", bundle), "password": PASSWORD},
    )
    assert response.status_code == 302
    certificate = SigningCertificate.objects.get(school=world.school_a)
    assert certificate.subject.startswith(world.school_a.name[:10])
    assert certificate.uploaded_by == world.user("registrar")
    assert PASSWORD not in certificate.password_sealed
    assert signing.unseal(certificate.password_sealed, secret=settings.SECRET_KEY) == PASSWORD
    # Private storage: the bundle has no URL, and nothing is under a public media path.
    with pytest.raises(ValueError):
        certificate.bundle.url  # noqa: B018
    assert (media / "private" / certificate.bundle.name).exists()
    page = client.get(f"/documents/schools/{world.school_a.code}/settings/").content.decode()
    assert "มีใบรับรอง" in page and certificate.fingerprint in page
    student_page = client.get(f"/documents/students/{world.student_a.code}/").content.decode()
    assert "เอกสารจะลงนามอิเล็กทรอนิกส์ด้วยใบรับรองของโรงเรียน" in student_page


@pytest.mark.parametrize(
    ("upload", "password", "message"),
    [
        (b"not a certificate", PASSWORD, "ไม่ใช่ PKCS#12"),
        (None, "ผิด", "รหัสผ่านไม่ถูกต้อง"),
    ],
)
def test_a_bad_upload_is_refused_in_thai_at_the_file_field(records, media, demo_certificate, upload, password, message):
    world = records
    bundle, _root = demo_certificate
    client = client_for(world, "registrar")
    response = client.post(
        f"/documents/schools/{world.school_a.code}/certificate/",
        {"bundle": SimpleUploadedFile("school.p12", upload or bundle), "password": password},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SigningCertificate.objects.exists()


def test_an_expired_certificate_is_refused(records, media):
    world = records
    bundle, _root = signing.demo_pkcs12(
        world.school_a.name, password=PASSWORD, now=timezone.now() - dt.timedelta(days=4 * 365)
    )
    with pytest.raises(Exception, match="หมดอายุ"):
        signing_certificate_upload(school=world.school_a, data=bundle, password=PASSWORD, by=world.user("registrar"))


def test_the_issued_pp1_is_signed_and_validates_and_one_changed_byte_breaks_it(records, media, demo_certificate):
    world = records
    bundle, root = demo_certificate
    certificate = signing_certificate_upload(
        school=world.school_a, data=bundle, password=PASSWORD, by=world.user("registrar")
    )
    document, pdf = issue_one(world)
    assert document.signer_fingerprint == certificate.fingerprint
    status = signing.validate(pdf, trust_roots=[root])
    assert status == {
        "signed": True, "intact": True, "valid": True, "trusted": True, "coverage": "ENTIRE_FILE", "bottom_line": True,
    }  # fmt: skip
    # Not trusted against another root: the validator really checks the chain.
    _other, other_root = signing.demo_pkcs12("อื่น", password="x", now=timezone.now())
    assert signing.validate(pdf, trust_roots=[other_root])["bottom_line"] is False

    # One byte of the signed content changed (the producer's version in the info dictionary):
    # the file still parses, the digest no longer matches.
    position = pdf.index(b"WeasyPrint") + len(b"WeasyPrint ")
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    assert len(tampered) == len(pdf) and tampered != pdf
    broken = signing.validate(tampered, trust_roots=[root])
    assert (broken["intact"], broken["bottom_line"]) == (False, False)

    # Any single byte of the signed range, flipped: validation fails or the file does not parse.
    signed_start = 100
    for position in (signed_start, len(pdf) // 3, len(pdf) // 2):
        flipped = pdf[:position] + bytes([pdf[position] ^ 0x20]) + pdf[position + 1 :]
        try:
            result = signing.validate(flipped, trust_roots=[root])
        except Exception:  # noqa: S112 - a file that no longer parses is invalid too
            continue
        assert result.get("bottom_line") is not True, position

    # The page shows it signed; the download is the signed file.
    client = client_for(world, "registrar")
    page = client.get(f"/documents/students/{world.student_a.code}/").content.decode()
    assert "ลงนามแล้ว" in page
    download = b"".join(client.get(f"/documents/{document.code}/download/").streaming_content)
    assert signing.validate(download, trust_roots=[root])["bottom_line"] is True


def test_without_a_certificate_the_document_goes_out_unsigned_and_the_page_says_so(records, media):
    world = records
    document, pdf = issue_one(world)
    assert document.signer_fingerprint == ""
    assert signing.validate(pdf, trust_roots=[]) == {"signed": False}
    client = client_for(world, "registrar")
    page = client.get(f"/documents/classrooms/{world.class_a.code}/").content.decode()
    assert "โรงเรียนยังไม่มีใบรับรองสำหรับลงนาม เอกสารจะออกโดยไม่มีลายมือชื่ออิเล็กทรอนิกส์" in page
    assert "ไม่ได้ลงนาม" in client.get(f"/documents/students/{world.student_a.code}/").content.decode()


def test_a_certificate_that_expired_after_upload_fails_the_job_in_thai_issuing_nothing(
    records, media, demo_certificate, clock
):
    world = records
    bundle, _root = demo_certificate
    signing_certificate_upload(school=world.school_a, data=bundle, password=PASSWORD, by=world.user("registrar"))
    clock.move_to(timezone.now() + dt.timedelta(days=4 * 365))
    job = run_now(
        services.report_job_request(school=world.school_a, students=[world.student_a], by=world.user("registrar"))
    )
    assert job.status == "failed"
    assert "หมดอายุ" in job.error
    assert not IssuedDocument.objects.filter(issued_at__isnull=False).exists()


def test_seed_signing_certificates_gives_each_school_a_validating_certificate(records, media):
    from types import SimpleNamespace

    from cryptography import x509

    from reports.demo import seed_signing_certificates
    from reports.storage import private_storage

    world = records
    org = SimpleNamespace(schools=[SimpleNamespace(school=world.school_a, registrar=world.user("registrar"))])
    name = seed_signing_certificates(org)
    with private_storage().open(name, "rb") as handle:
        root = x509.load_pem_x509_certificate(handle.read())
    _document, pdf = issue_one(world)
    assert signing.validate(pdf, trust_roots=[root])["bottom_line"] is True


@pytest.mark.parametrize(
    "persona", ["teacher_a", "teacher_b", "teacher_c", "officer_1", "officer_2", "parent", "admin", "principal"]
)
def test_only_the_school_admin_and_registrar_reach_the_document_settings(records, media, demo_certificate, persona):
    world = records
    bundle, _root = demo_certificate
    client = client_for(world, persona)
    code = world.school_a.code
    for method, url, data in [
        ("get", f"/documents/schools/{code}/settings/", None),
        ("post", f"/documents/schools/{code}/certificate/", {"bundle": SimpleUploadedFile("a.p12", bundle),
                                                            "password": PASSWORD}),
        ("post", f"/documents/schools/{code}/printer-offset/", {"x_mm": "1", "y_mm": "1"}),
        ("get", f"/documents/schools/{code}/calibration.pdf", None),
    ]:  # fmt: skip
        response = getattr(client, method)(url, data=data or {})
        assert response.status_code == 404, (persona, method, url)
    assert not SigningCertificate.objects.exists()


def test_a_school_admin_may_upload_the_certificate(records, media, demo_certificate):
    from schools.models import StaffMembership

    world = records
    bundle, _root = demo_certificate
    school_admin = world.user("teacher_b")
    StaffMembership.objects.create(user=school_admin, school=world.school_a, role=StaffMembership.Role.ADMIN)
    client = client_for(world, "teacher_b")
    response = client.post(
        f"/documents/schools/{world.school_a.code}/certificate/",
        {"bundle": SimpleUploadedFile("school.p12", bundle), "password": PASSWORD},
    )
    assert response.status_code == 302
    assert SigningCertificate.objects.get(school=world.school_a).uploaded_by == school_admin


def test_the_settings_page_has_a_fixed_number_of_queries(records, media, demo_certificate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.services.signing import printer_offset_set

    world = records
    client = client_for(world, "registrar")
    url = f"/documents/schools/{world.school_a.code}/settings/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    bundle, _root = demo_certificate
    signing_certificate_upload(school=world.school_a, data=bundle, password=PASSWORD, by=world.user("registrar"))
    printer_offset_set(school=world.school_a, x_mm="1", y_mm="-1", by=world.user("registrar"))
    signing_certificate_upload(school=world.school_a, data=bundle, password=PASSWORD, by=world.user("registrar"))
    assert count() == before


def test_signing_and_validating_work_where_an_event_loop_runs_in_the_thread(records, media, demo_certificate):
    """pyHanko's synchronous calls start a loop of their own; under a running loop (Playwright's
    sync API in the same process, an async caller) they are run in a thread of their own."""
    import asyncio

    world = records
    bundle, root = demo_certificate
    signer = signing.signer_for(bundle, PASSWORD)
    pdf = services.render_student_pdf(world.student_a, document=None, issued_on=timezone.localdate())

    async def inside_a_loop():
        signed = signing.sign_pdf(pdf, signer, reason="ปพ.1 ทดสอบ")
        return signing.validate(signed, trust_roots=[root])

    assert asyncio.run(inside_a_loop())["bottom_line"] is True


def test_the_signature_carries_the_school_certificate_not_the_root_and_always_fits():
    # The root is the validator's to trust, never the document's to bring; the space reserved
    # for the signature is the longest ECDSA signature, so no signing of many overflows it.
    import re

    from asn1crypto import cms

    from reports import pdf as renderer

    bundle, root = signing.demo_pkcs12("โรงเรียนทดสอบ", password="pw", now=timezone.now())
    signer = signing.signer_for(bundle, "pw")
    pdf = renderer.html_to_pdf("<p>ทดสอบ</p>")
    lengths = set()
    for _ in range(40):
        signed = signing.sign_pdf(pdf, signer, reason="ทดสอบ")
        contents = re.search(rb"/Contents <([0-9A-Fa-f]+)>", signed).group(1)
        lengths.add(len(contents))
        assert signing.validate(signed, trust_roots=[root])["bottom_line"] is True
    assert len(lengths) == 1  # the same reserve every time, never a retry or an overflow
    info = cms.ContentInfo.load(bytes.fromhex(contents.decode()), strict=False)  # then zeros to the end
    subjects = [c.chosen.subject.native["common_name"] for c in info["content"]["certificates"]]
    assert subjects == ["โรงเรียนทดสอบ (demo)"]
    # Tight: no more than a few bytes of padding beyond the signature itself.
    assert len(contents) - len(info.dump()) * 2 <= 8
