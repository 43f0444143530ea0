"""Every app shows its layers: when an app has several modules of one layer, they live in that
layer's package (`academics/services/assessment.py`), never side by side as prefixed siblings
(`assessment_services.py`, `views_grid.py`). CONTRIBUTING.md says where each kind of code goes."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("schools", "students", "academics", "earlywarning", "reports")
LAYERS = ("apis", "services", "selectors", "views", "urls", "forms", "demo")


@pytest.mark.parametrize("app", APPS)
def test_no_app_keeps_a_layer_in_prefixed_sibling_modules(app):
    siblings = sorted(
        path.name
        for path in (ROOT / app).glob("*.py")
        for layer in LAYERS
        if path.stem.startswith(f"{layer}_") or path.stem.endswith(f"_{layer}")
    )
    assert siblings == [], f"move them into {app}/<layer>/<feature>.py"


@pytest.mark.parametrize("app", APPS)
def test_a_layer_is_a_module_or_a_package_never_both(app):
    both = [layer for layer in LAYERS if (ROOT / app / f"{layer}.py").exists() and (ROOT / app / layer).is_dir()]
    assert both == []
