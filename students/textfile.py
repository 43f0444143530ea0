"""Reading the text of an uploaded file: pure, no Django, so the pure modules can share it.

`students.importing` (student lists) and `students.nutrition` (reference tables) both decode
uploads here; the error is the one `students.importing` has always raised.
"""

from __future__ import annotations


class ImportFileError(ValueError):
    """A file that cannot be read at all (a student list, a reference table); the message is Thai
    and says why."""


def decode_text(data: bytes) -> tuple[str, str]:
    """BOM -> UTF-8; otherwise strict UTF-8; otherwise Windows Thai (cp874, a superset of TIS-620)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp874"), "cp874"
    except UnicodeDecodeError as error:
        raise ImportFileError("อ่านตัวอักษรในไฟล์ไม่ได้ (ไม่ใช่ UTF-8 หรือ TIS-620) ไฟล์นี้อาจไม่ใช่ไฟล์ CSV") from error
