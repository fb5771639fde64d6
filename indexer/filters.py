"""Validate filter clauses against a schema and evaluate them as numpy masks (embedded backend)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from indexer.protocol import FieldType, Filter, InvalidFilterError

OPS = {"eq", "in", "gte", "lte", "all"}
_EPOCH = dt.date(1970, 1, 1)


def date_to_days(value: Any) -> int:
    """Return days since 1970-01-01 for a date or ISO date string."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError as exc:
            raise InvalidFilterError(f"not an ISO date: {value!r}") from exc
    if not isinstance(value, dt.date):
        raise InvalidFilterError(f"not a date: {value!r}")
    return (value - _EPOCH).days


def coerce(ftype: FieldType, value: Any) -> Any:
    """Return ``value`` in the canonical form stored for a field of type ``ftype``."""
    if ftype == "date":
        return date_to_days(value)
    if ftype == "bool":
        if not isinstance(value, bool | int):
            raise InvalidFilterError(f"not a boolean: {value!r}")
        return int(bool(value))
    if ftype == "int":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidFilterError(f"not an integer: {value!r}")
        return int(value)
    if ftype == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidFilterError(f"not a number: {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise InvalidFilterError(f"not a keyword: {value!r}")
    return value


def validate(filters: Filter, fields: Mapping[str, FieldType]) -> list[tuple[str, str, Any]]:
    """Check every clause and return ``(field, op, coerced value)`` triples."""
    out = []
    for clause in filters:
        try:
            name, op, value = clause["field"], clause["op"], clause["value"]
        except (KeyError, TypeError) as exc:
            raise InvalidFilterError(f"a clause needs field, op and value: {clause!r}") from exc
        if name not in fields:
            raise InvalidFilterError(f"unknown filter field {name!r}")
        if op not in OPS:
            raise InvalidFilterError(f"unknown filter op {op!r} (one of {sorted(OPS)})")
        ftype = fields[name]
        if op in ("in", "all"):
            if not isinstance(value, list | tuple):
                raise InvalidFilterError(f"{op} needs a list for {name!r}")
            if op == "all" and ftype != "keywords":
                raise InvalidFilterError(f"'all' applies to multi-valued fields, not {name!r}")
            base = "keyword" if ftype == "keywords" else ftype
            out.append((name, op, [coerce(base, v) for v in value]))
        else:
            if op in ("gte", "lte") and ftype in ("keyword", "keywords", "bool"):
                raise InvalidFilterError(f"{op} needs a numeric or date field, not {name!r}")
            base = "keyword" if ftype == "keywords" else ftype
            out.append((name, op, coerce(base, value)))
    return out
