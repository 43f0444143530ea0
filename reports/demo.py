"""Demo data of the documents: each demo school gets a signing certificate issued by a demo
root CA made now (nothing committed), so the documents the demo issues are signed."""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.utils import timezone

from reports import signing
from reports.services.signing import signing_certificate_upload
from reports.storage import private_storage

DEMO_ROOT_NAME = "reports/signing/demo-root-ca.pem"


def seed_signing_certificates(org) -> str:
    """A demo certificate per school, uploaded as its registrar would. Returns where the demo
    root certificate (the one to trust when validating demo documents) was stored."""
    from cryptography.hazmat.primitives import serialization

    now = timezone.now()
    root = signing.demo_root(now=now)
    for plan in org.schools:
        password = secrets.token_urlsafe(12)
        bundle, _root = signing.demo_pkcs12(plan.school.name, password=password, now=now, root=root)
        signing_certificate_upload(school=plan.school, data=bundle, password=password, by=plan.registrar)
    storage = private_storage()
    if storage.exists(DEMO_ROOT_NAME):
        storage.delete(DEMO_ROOT_NAME)
    return storage.save(DEMO_ROOT_NAME, ContentFile(root.certificate.public_bytes(serialization.Encoding.PEM)))
