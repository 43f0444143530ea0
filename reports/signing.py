"""PAdES signatures of issued documents with pyHanko, and the school's signing certificate.

No database here: a PKCS#12 bundle (key, certificate, chain) and its password in, a signed PDF
out. The model `reports.models.SigningCertificate` keeps the bundle in private storage (no URL)
and the password encrypted with a key derived from SECRET_KEY (`seal`/`unseal`), so neither
a database dump nor the storage alone gives the key.

The demo certificate (`demo_pkcs12`) is made at seed time with `cryptography`: a demo root CA
and a school certificate issued by it (ECDSA P-256). Nothing of it is committed.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SIGNATURE_FIELD = "QInfoSignature"
MAX_BUNDLE_BYTES = 64 * 1024


class CertificateError(ValueError):
    """An unusable PKCS#12 upload; the message is Thai and says why."""


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint: str  # SHA-256 of the certificate, hex


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def read_pkcs12(data: bytes, password: str) -> CertificateInfo:
    """Check an uploaded bundle: it opens with the password, holds a private key and its
    certificate. Raises CertificateError (Thai) otherwise."""
    if not data:
        raise CertificateError("กรุณาเลือกไฟล์ใบรับรอง (.p12 หรือ .pfx)")
    if len(data) > MAX_BUNDLE_BYTES:
        raise CertificateError("ไฟล์ใบรับรองใหญ่เกินไป (ไม่เกิน 64 KB) โปรดตรวจว่าเป็นไฟล์ .p12 หรือ .pfx")
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError as error:
        raise CertificateError("เปิดไฟล์ใบรับรองไม่ได้: รหัสผ่านไม่ถูกต้อง หรือไฟล์ไม่ใช่ PKCS#12 (.p12/.pfx)") from error
    if key is None or certificate is None:
        raise CertificateError("ไฟล์ใบรับรองต้องมีทั้งกุญแจส่วนตัว (private key) และใบรับรองของโรงเรียน")
    return CertificateInfo(
        subject=_name(certificate.subject),
        issuer=_name(certificate.issuer),
        serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
    )


# --- The password at rest -----------------------------------------------------------------------


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(b"qinfo.signing-certificate-password:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(password: str, *, secret: str) -> str:
    return _fernet(secret).encrypt(password.encode()).decode()


def unseal(token: str, *, secret: str) -> str:
    try:
        return _fernet(secret).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise CertificateError("ถอดรหัสผ่านของใบรับรองไม่ได้ (ค่า SECRET_KEY ของระบบเปลี่ยนไป) โปรดอัปโหลดใบรับรองใหม่") from error


# --- Signing ------------------------------------------------------------------------------------


def signer_for(data: bytes, password: str):
    """A pyHanko signer from a PKCS#12 bundle. The signature carries the school's certificate
    and the intermediate ones of its chain, not the root: a validator trusts a root only from
    its own list, so a root copied into every document adds a kilobyte and proves nothing."""
    from pyhanko.sign import signers

    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password.encode() or None)
    except ValueError:
        loaded = None
    if loaded is None:
        raise CertificateError("เปิดไฟล์ใบรับรองไม่ได้ โปรดอัปโหลดใบรับรองใหม่")
    return _signer_class()(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        embed_roots=False,
    )


def _max_signature_length(certificate) -> int | None:
    """The longest DER ECDSA signature for the certificate's curve (r and s each one byte
    longer than the key when their top bit is set); None for a key whose signatures all have
    one length (RSA, EdDSA)."""
    key = certificate.public_key
    if key.algorithm != "ec":
        return None
    size = (key.bit_size + 7) // 8
    body = 2 * (2 + size + 1)
    return body + (2 if body < 128 else 3)


@lru_cache(maxsize=1)
def _signer_class():
    from pyhanko.sign import signers

    class LeanSigner(signers.SimpleSigner):
        """pyHanko estimates the space to reserve for the signature with a trial one, then adds
        half again in case a time-stamp server answers longer (there is none here). Only an
        ECDSA signature's length varies, by a byte or two: the trial one is padded to the
        longest, so the estimate is tight and always enough (`sign_pdf`)."""

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            signature = self.sign_raw(data, digest_algorithm)
            longest = _max_signature_length(self.signing_cert) if dry_run else None
            return signature.ljust(longest, b"\0") if longest else signature

    return LeanSigner


def _outside_event_loop(function, /, *args, **kwargs):
    """pyHanko's synchronous calls start their own asyncio loop, which Python refuses inside a
    thread whose loop is running (a caller under Playwright's sync API, an async view): run them
    in a thread of their own then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(pdf: bytes, signer, *, reason: str, location: str = "", name: str = "") -> bytes:
    """A PAdES baseline signature (an approval signature over the whole file, SHA-256)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        # No margin on the estimate: no time-stamp server, and `LeanSigner` makes it the longest.
        tight_size_estimates=True,
        reason=reason,
        location=location or None,
        name=name or None,
    )
    out = _outside_event_loop(signers.sign_pdf, writer, metadata, signer=signer)
    return out.getvalue()


def validate(pdf: bytes, *, trust_roots: list) -> dict:
    """pyHanko's own validation of the document's signatures against the given roots
    (asn1crypto or `cryptography` certificates): {"signed", "intact", "valid", "trusted",
    "coverage"} of the last signature; {"signed": False} for an unsigned file."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [
        asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
        if isinstance(root, x509.Certificate)
        else root
        for root in trust_roots
    ]
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if not reader.embedded_signatures:
        return {"signed": False}
    embedded = reader.embedded_signatures[-1]
    status = _outside_event_loop(
        validate_pdf_signature, embedded, ValidationContext(trust_roots=roots, allow_fetching=False)
    )
    return {
        "signed": True,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "coverage": status.coverage.name if status.coverage else "",
        "bottom_line": bool(status.bottom_line),
    }


# --- The demo certificate -----------------------------------------------------------------------


def _short(text: str, limit: int = 64) -> str:
    """X.509 name attributes hold at most 64 bytes (here UTF-8): cut at a character boundary."""
    data = text.encode()[:limit]
    return data.decode(errors="ignore")


def _key_usage(**on: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")  # fmt: skip
    return x509.KeyUsage(**{name: on.get(name, False) for name in names})


def _key():
    # ECDSA P-256: instant to make (a seed of hundreds of schools), supported by PAdES readers.
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class DemoRoot:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def demo_root(*, now: dt.datetime) -> DemoRoot:
    """A demo root CA (one per seed): the certificate to trust when validating demo documents."""
    key = _key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Q-Info Demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Q-Info Demo Root CA (not for real use)"),
        ]
    )
    start = now - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return DemoRoot(certificate, key)


def demo_pkcs12(
    school_name: str, *, password: str, now: dt.datetime, root: DemoRoot | None = None
) -> tuple[bytes, x509.Certificate]:
    """A signing certificate for `school_name` issued by a demo root CA, as a PKCS#12 bundle
    (school key, school certificate, root), and the root to trust when validating. For the
    demo and tests only: a real school uploads the certificate its authority issued."""
    root = root or demo_root(now=now)
    school_key = _key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _short(school_name)),
            x509.NameAttribute(NameOID.COMMON_NAME, _short(school_name, 57) + " (demo)"),
        ]
    )
    start = now - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.certificate.subject)
        .public_key(school_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(school_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
        .sign(root.key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        name=b"qinfo-demo",
        key=school_key,
        cert=certificate,
        cas=[root.certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return bundle, root.certificate
