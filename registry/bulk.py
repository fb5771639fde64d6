"""Bulk INSERT for large imports: one DBAPI ``executemany`` per table and batch.

SQLAlchemy's Core ``insert(table)`` with a list of rows already issues one ``executemany``, but
it builds and type-processes the parameters row by row (``construct_params`` and a bind
processor call per value): at a million workers that bookkeeping costs more than SQLite's own
insert. :func:`insert_many` applies the *same* bind processors and column defaults, column by
column, and hands the driver plain tuples — the stored rows are identical (tested against Core
in ``tests/registry/test_bulk.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (all with the same keys) into ``table``; return how many were inserted.

    Columns missing from the rows get their Python-side default (scalar or callable), as Core
    would give them; a column with neither a value nor a default is left to the database.
    Raises ValueError naming the first row whose keys differ from the first row's, or an
    unknown column, before anything is written.
    """
    if not rows:
        return 0
    keys = set(rows[0])
    unknown = keys - set(table.columns.keys())  # column keys (the attribute names)
    if unknown:
        raise ValueError(f"{table.name}: unknown column(s) {sorted(unknown)}")
    for i, r in enumerate(rows):
        if len(r) != len(keys) or not keys.issuperset(r):
            raise ValueError(f"{table.name} row {i}: columns {sorted(r)} differ from row 0's "
                             f"{sorted(keys)}")
    dialect = conn.dialect
    names: list[str] = []
    columns: list[list[Any]] = []
    for col in table.columns:
        default = col.default
        if col.key in keys:
            values = [r[col.key] for r in rows]
        elif default is None:
            continue  # the database's: NULL, a server default or the autoincrement key
        elif getattr(default, "is_scalar", False):
            values = [default.arg] * len(rows)  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            fn = default.arg  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take a context
            values = [fn(None) for _ in rows]
        else:  # a SQL expression or a sequence: Core renders it into the statement
            raise NotImplementedError(f"{table.name}.{col.name}: default {default!r} is not "
                                      "supported; give the column a value")
        proc = col.type._cached_bind_processor(dialect)
        if proc is not None:
            first = values[0]
            # One value for the whole batch (e.g. its timestamp) is processed once: bind
            # processors are pure functions of the value.
            if all(v is first for v in values):
                values = [proc(first)] * len(values)
            else:
                values = [proc(v) for v in values]
        names.append(col.name)
        columns.append(values)
    if not names:
        raise ValueError(f"{table.name}: no column to insert")
    prep = dialect.identifier_preparer
    if dialect.paramstyle == "qmark":  # sqlite3
        marks = "?"
    elif dialect.paramstyle in ("format", "pyformat"):  # psycopg
        marks = "%s"
    else:
        raise NotImplementedError(f"paramstyle {dialect.paramstyle} is not supported")
    sql = (f"INSERT INTO {prep.format_table(table)} "
           f"({', '.join(prep.quote(n) for n in names)}) "
           f"VALUES ({', '.join([marks] * len(names))})")
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    return len(rows)
