"""Readable change history from the database-trigger audit (django-pghistory).

Turns pghistory's aggregated events into rows a registrar can read: when, who, what
record, which field, old value -> new value, and why. Foreign keys and choices are shown by
their labels, resolved in one query per referenced model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from pghistory.models import Events

from qinfo import thaidate

ACTIONS = {"insert": "สร้าง", "update": "แก้ไข", "delete": "ลบ"}
HIDDEN_FIELDS = {"id", "code", "updated_at", "created_at", "activation_code_hash", "password"}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: datetime
    action: str
    record: str
    user: str
    reason: str
    url: str
    changes: list[Change] = field(default_factory=list)


def _tracked_model(label: str) -> type[models.Model]:
    event_model = apps.get_model(label)
    return event_model.pgh_tracked_model


def _display(model_field: models.Field | None, value: Any, labels: dict) -> str:
    if value is None or value == "":
        return "–"
    if model_field is None:
        return str(value)
    if model_field.is_relation and model_field.related_model is not None:
        return labels.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateTimeField):
        parsed = parse_datetime(str(value))
        return thaidate.format_datetime(parsed) if parsed else str(value)
    if isinstance(model_field, models.DateField):
        parsed = parse_date(str(value)[:10])
        return thaidate.format_short(parsed) if parsed else str(value)
    if isinstance(model_field, models.BooleanField):
        return "ใช่" if value else "ไม่ใช่"
    return str(value)


def _field(model: type[models.Model], name: str) -> models.Field | None:
    for candidate in (name, name.removesuffix("_id")):
        try:
            return model._meta.get_field(candidate)
        except Exception:  # noqa: S112 — unknown column names in old snapshots are shown raw
            continue
    return None


def history_for(obj: models.Model, *, include_related: bool = True, limit: int = 500) -> list[HistoryRow]:
    events_qs = Events.objects.references(obj) if include_related else Events.objects.tracks(obj)
    events = list(events_qs.order_by("-pgh_created_at", "-pgh_id")[:limit])

    # Collect what needs a label: users and foreign keys, one query per model.
    wanted: dict[type[models.Model], set[Any]] = {}
    user_model = get_user_model()
    parsed = []
    for event in events:
        model = _tracked_model(event.pgh_model)
        context = event.pgh_context or {}
        if context.get("user"):
            wanted.setdefault(user_model, set()).add(context["user"])
        if event.pgh_label == "update" and event.pgh_diff:
            items = {name: pair for name, pair in event.pgh_diff.items() if name not in HIDDEN_FIELDS}
        else:
            items = {name: [None, value] for name, value in (event.pgh_data or {}).items() if name not in HIDDEN_FIELDS}
        for name, pair in items.items():
            model_field = _field(model, name)
            if model_field is not None and model_field.is_relation and model_field.related_model is not None:
                wanted.setdefault(model_field.related_model, set()).update(v for v in pair if v is not None)
        parsed.append((event, model, context, items))

    labels: dict[tuple[type[models.Model], Any], str] = {}
    for model, ids in wanted.items():
        queryset = model._default_manager.filter(pk__in=ids)
        if hasattr(model, "grade_level"):
            queryset = queryset.select_related("grade_level")
        for instance in queryset:
            labels[(model, instance.pk)] = str(instance)

    rows = []
    for event, model, context, items in parsed:
        changes = []
        for name, (old, new) in items.items():
            model_field = _field(model, name)
            label = str(model_field.verbose_name) if model_field is not None else name
            if event.pgh_label == "update" or new not in (None, "", [], {}):
                changes.append(
                    Change(field=label, old=_display(model_field, old, labels), new=_display(model_field, new, labels))
                )
        user_id = context.get("user")
        rows.append(
            HistoryRow(
                at=event.pgh_created_at,
                action=ACTIONS.get(event.pgh_label, event.pgh_label),
                record=str(model._meta.verbose_name),
                user=labels.get((user_model, user_id), "ระบบ" if not user_id else f"#{user_id}"),
                reason=context.get("reason", ""),
                url=context.get("url", ""),
                changes=changes,
            )
        )
    return rows
