"""ORM queries built and compiled once per process, then run again with other values (issue 16).

A rush sends the same few queries a thousand times with different ids. Building a queryset
(filter(), annotate(), Q and lookup objects) and compiling it to SQL costs far more CPU than
PostgreSQL spends running it: about 1 ms of Python for a five-aggregate count that the database
answers in a tenth of that, and that count runs while the event's row is locked, so every
millisecond of it is multiplied by the number of applicants. Django has no compiled-query cache,
so this is a small one:

    USER = PreparedQuery(lambda user_id: User.objects.filter(pk=user_id), "user_id")
    user = USER.first(user_id=42)

`build` is called once per database alias with a distinct placeholder integer for each named
value; the query is compiled by the ORM for that database (so SQLite and PostgreSQL each get
their own SQL, exactly what the queryset would send), and the placeholders are found among the
compiled parameters. Each run substitutes the values and executes the SQL through Django's
cursor (so it is logged and counted like any other statement), then converts the rows with the
compiler's converters, as the ORM does. Only integer values can be named (ids): an integer
parameter is not transformed by the ORM on its way into the SQL, which makes the substitution
exact; anything else the query needs stays a constant of `build`.
"""

from collections.abc import Callable
from typing import Any

from django.db import connections, models

# Integers no row has (far below any id), one per named value, to find the values' positions
# among the compiled parameters.
_PLACEHOLDER_BASE = -7_340_912_000_000_000_000


class _Compiled:
    def __init__(self, queryset: models.QuerySet, alias: str, placeholders: dict[int, str]):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.sql = sql
        # Each parameter is either the name of a value given at run time or a constant.
        self.params: list[tuple[str | None, Any]] = []
        found = set()
        for param in params:
            name = placeholders.get(param) if type(param) is int else None
            if name is not None:
                found.add(name)
            self.params.append((name, param))
        missing = set(placeholders.values()) - found
        if missing:
            raise ValueError(f"the compiled query does not use {sorted(missing)}")
        # What the ORM works out at each run of a queryset, worked out once.
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())
        self.klass_info = compiler.klass_info
        if self.klass_info is not None:
            if self.klass_info.get("related_klass_infos"):
                raise ValueError("select_related() is not supported here")
            select_fields = self.klass_info["select_fields"]
            self.model_slice = slice(select_fields[0], select_fields[-1] + 1)
            self.init_list = [
                column[0].target.attname for column in compiler.select[self.model_slice]
            ]
            self.annotations = list(compiler.annotation_col_map.items())
            # Django 6.1's fetch mode of the queryset (not in the type stubs yet).
            self.fetch_mode = getattr(queryset, "_fetch_mode", None)


class PreparedQuery:
    """A queryset (`build(**values)`, integers only) compiled once per database alias."""

    def __init__(self, build: Callable[..., models.QuerySet], *names: str):
        self.build = build
        self.names = names
        self._compiled: dict[str, _Compiled] = {}

    def _compiled_for(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            placeholders = {_PLACEHOLDER_BASE - i: name for i, name in enumerate(self.names)}
            queryset = self.build(**{name: value for value, name in placeholders.items()})
            compiled = self._compiled[alias] = _Compiled(queryset.using(alias), alias, placeholders)
        return compiled

    def _rows(self, alias: str, values: dict[str, int]) -> tuple[_Compiled, list[list]]:
        if set(values) != set(self.names):
            raise TypeError(f"expected the values {sorted(self.names)}, got {sorted(values)}")
        compiled = self._compiled_for(alias)
        params = [param if name is None else int(values[name]) for name, param in compiled.params]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for position, (converters, expression) in compiled.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        return compiled, rows

    def rows(self, *, using: str = "default", **values: int) -> list[tuple]:
        """The rows as tuples (for a values_list() queryset)."""
        _compiled, rows = self._rows(using, values)
        return [tuple(row) for row in rows]

    def objects(self, *, using: str = "default", **values: int) -> list[models.Model]:
        """The rows as model instances, with their annotations (as the queryset would give)."""
        compiled, rows = self._rows(using, values)
        if compiled.klass_info is None:
            raise TypeError("objects() needs a queryset of model instances")
        model = compiled.klass_info["model"]
        result = []
        for row in rows:
            obj = model.from_db(
                using, compiled.init_list, row[compiled.model_slice], fetch_mode=compiled.fetch_mode
            )
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            result.append(obj)
        return result

    def first(self, *, using: str = "default", **values: int) -> models.Model | None:
        found = self.objects(using=using, **values)
        return found[0] if found else None

    def bound(self, **values: int) -> "BoundQuery":
        """This query with its values, to run later (core.capacity.capacity_locked takes one)."""
        return BoundQuery(self, values)

    def model(self, using: str = "default") -> type[models.Model]:
        compiled = self._compiled_for(using)
        if compiled.klass_info is None:
            raise TypeError("not a queryset of model instances")
        return compiled.klass_info["model"]


class BoundQuery:
    def __init__(self, prepared: PreparedQuery, values: dict[str, int]):
        self.prepared = prepared
        self.values = values

    def objects(self, using: str = "default") -> list[models.Model]:
        return self.prepared.objects(using=using, **self.values)
