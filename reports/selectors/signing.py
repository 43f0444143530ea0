"""The school's signing certificate and printer offset, as pages and the worker read them."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from reports import signing
from reports.models import PrinterOffset, SigningCertificate
from schools.models import School


def school_certificate(school: School) -> SigningCertificate | None:
    return SigningCertificate.objects.filter(school=school).select_related("uploaded_by").first()


def school_printer_offset(school: School) -> PrinterOffset | None:
    return PrinterOffset.objects.filter(school=school).select_related("updated_by").first()


class SchoolSigner:
    """What the worker signs with: the pyHanko signer of the school's certificate, loaded
    once per job, and the certificate's fingerprint to record on each document."""

    def __init__(self, certificate: SigningCertificate):
        with certificate.bundle.open("rb") as handle:
            data = handle.read()
        password = signing.unseal(certificate.password_sealed, secret=settings.SECRET_KEY)
        self.signer = signing.signer_for(data, password)
        self.fingerprint = certificate.fingerprint
        self.location = certificate.school.province or certificate.school.name

    def sign(self, pdf: bytes, *, reason: str) -> bytes:
        return signing.sign_pdf(pdf, self.signer, reason=reason, location=self.location)


def school_signer(school: School) -> SchoolSigner | None:
    """The school's signer, or None when it has no certificate (documents go out unsigned).
    An expired or unreadable certificate raises CertificateError (Thai): a registrar must not
    believe documents are signed when they are not."""
    certificate = SigningCertificate.objects.filter(school=school).select_related("school").first()
    if certificate is None:
        return None
    now = timezone.now()
    if not certificate.not_before <= now <= certificate.not_after:
        raise signing.CertificateError(
            "ใบรับรองสำหรับลงนามเอกสารของโรงเรียนหมดอายุหรือยังไม่เริ่มใช้ โปรดให้ผู้ดูแลหรืองานทะเบียนอัปโหลดใบรับรองใหม่"
        )
    return SchoolSigner(certificate)
