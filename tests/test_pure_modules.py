"""The pure computations import without Django: a fresh interpreter loads each one alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", ["students.nutrition", "students.sdq", "students.poverty", "students.textfile"])
def test_module_imports_without_django(module):
    script = (
        f"import sys, {module}; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith(('django.', 'qinfo', 'celery'))); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "", f"{module} loaded {result.stdout.strip()}"


def test_import_errors_are_the_same_class():
    """A reference file's decoding error is the one the student import catches."""
    from students import importing, nutrition, textfile

    assert importing.ImportFileError is textfile.ImportFileError
    assert importing.decode_text is textfile.decode_text
    with pytest.raises(nutrition.ReferenceFileError, match="อ่านตัวอักษร"):
        nutrition.load_reference_csv(b"\x81\xff\xfe", name="x", version="1")
    with pytest.raises(importing.ImportFileError, match="อ่านตัวอักษร"):
        importing.read_table(b"\x81\xff\xfe", "x.csv")
