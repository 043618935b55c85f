"""Fewer round trips to the database where a request holds a row lock (PERFORMANCE.md: at most
four statements while a lock is held, tests/performance/test_statement_budget.py).

`insert_together(rows)` writes new rows of several tables in one statement on PostgreSQL (a
writable common table expression: every INSERT of the WITH clause runs, in the order given, in the
same statement), and with one bulk INSERT per table elsewhere; UPDATEs of other rows can join
the same statement. Only for rows whose primary keys the caller does not need back (history
rows, many-to-many links), since a WITH clause returns nothing of its sub-statements, or whose
keys were drawn from the sequence beforehand (childcare.selectors_lock.day_lock)."""

from collections.abc import Sequence
from itertools import groupby
from typing import cast

from django.db import connections, models, router
from django.db.models.sql import InsertQuery, UpdateQuery


def _insertable_fields(model: type[models.Model], group: list[models.Model]) -> list[models.Field]:
    # An automatic primary key is written only when every row has one already (drawn from the
    # sequence beforehand, so that other rows of the statement can refer to it).
    with_pk = all(obj.pk is not None for obj in group)
    return [
        field
        for field in model._meta.concrete_fields
        if with_pk
        or not field.primary_key
        or not isinstance(field, models.AutoField | models.BigAutoField)
    ]


def insert_together(
    rows: Sequence[models.Model],
    *,
    updates: Sequence[tuple[models.QuerySet, dict]] = (),
    using: str | None = None,
) -> None:
    """Insert `rows` (unsaved instances, of one or several models; consecutive rows of the same
    model go in one INSERT) and run `updates` (queryset.update(**values) each) as one statement
    on PostgreSQL. Field defaults and auto_now(_add) values are filled in as save() would; no
    signals are sent, as with bulk_create() and update()."""
    if not rows:
        for queryset, values in updates:
            queryset.update(**values)
        return
    alias = using or router.db_for_write(type(rows[0]))
    connection = connections[alias]
    groups: list[tuple[type[models.Model], list[models.Model]]] = [
        (model, list(group)) for model, group in groupby(rows, key=type)
    ]
    if connection.vendor != "postgresql" or (len(groups) == 1 and not updates):
        for model, group in groups:
            model._default_manager.using(alias).bulk_create(group)
        for queryset, values in updates:
            queryset.using(alias).update(**values)
        return
    statements: list[tuple[str, tuple]] = []
    for queryset, values in updates:
        update = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        update.add_update_values(values)
        sql, sql_params = update.get_compiler(using=alias).as_sql()
        statements.append((sql, tuple(sql_params)))
    for model, group in groups:
        fields = _insertable_fields(model, group)
        for obj in group:
            for field in fields:
                # What save() does for defaults and auto_now(_add): set the value on the instance.
                setattr(obj, field.attname, field.pre_save(obj, add=True))
        query = InsertQuery(model)
        query.insert_values(fields, group)
        [(sql, sql_params)] = query.get_compiler(using=alias).as_sql()
        statements.append((sql, tuple(sql_params)))
    *first, (last_sql, last_params) = statements
    ctes = ", ".join(f"w{index} AS ({sql})" for index, (sql, _params) in enumerate(first))
    params: tuple = tuple(p for _sql, ps in first for p in ps) + last_params
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {last_sql}", params)
    for _model, group in groups:
        for obj in group:
            obj._state.adding = False
            obj._state.db = alias
