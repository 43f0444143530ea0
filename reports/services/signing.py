"""The school's document settings: its signing certificate (PKCS#12) and printer offset."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from qinfo.audit import audited
from reports import preprinted, signing
from reports.models import PrinterOffset, SigningCertificate
from schools.models import School, User


@transaction.atomic
def signing_certificate_upload(*, school: School, data: bytes, password: str, by: User) -> SigningCertificate:
    """Store (or replace) the school's certificate: the bundle in private storage, the
    password sealed. Refuses, in Thai, a file that does not open or has expired."""
    try:
        info = signing.read_pkcs12(data, password)
    except signing.CertificateError as error:
        raise ValidationError({"bundle": str(error)}) from error
    if info.not_after <= timezone.now():
        raise ValidationError({"bundle": "ใบรับรองนี้หมดอายุแล้ว โปรดใช้ใบรับรองที่ยังไม่หมดอายุ"})
    certificate = SigningCertificate.objects.select_for_update().filter(school=school).first()
    reason = "เปลี่ยนใบรับรองสำหรับลงนามเอกสาร" if certificate else "อัปโหลดใบรับรองสำหรับลงนามเอกสาร"
    certificate = certificate or SigningCertificate(school=school)
    with audited(by, reason):
        certificate.bundle.save(f"school-{school.code}.p12", ContentFile(data), save=False)
        certificate.password_sealed = signing.seal(password, secret=settings.SECRET_KEY)
        certificate.subject = info.subject[:200]
        certificate.issuer = info.issuer[:200]
        certificate.serial = info.serial[:80]
        certificate.fingerprint = info.fingerprint
        certificate.not_before = info.not_before
        certificate.not_after = info.not_after
        certificate.uploaded_by = by
        certificate.uploaded_at = timezone.now()
        certificate.full_clean()
        certificate.save()
    return certificate


@transaction.atomic
def printer_offset_set(*, school: School, x_mm, y_mm, by: User) -> PrinterOffset:
    errors = {}
    values = {}
    for field, value, label in (("x_mm", x_mm, "ค่าชดเชยแนวนอน"), ("y_mm", y_mm, "ค่าชดเชยแนวตั้ง")):
        try:
            values[field] = preprinted.parse_offset(value, field=field, label=label)
        except preprinted.SheetNumberError as error:
            errors[field] = str(error)
    if errors:
        raise ValidationError(errors)
    offset = PrinterOffset.objects.select_for_update().filter(school=school).first() or PrinterOffset(school=school)
    with audited(by, "ตั้งค่าชดเชยเครื่องพิมพ์ ปพ.1"):
        offset.x_mm, offset.y_mm, offset.updated_by = values["x_mm"], values["y_mm"], by
        offset.full_clean()
        offset.save()
    return offset
