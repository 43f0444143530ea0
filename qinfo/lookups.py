"""`field__any_of=values`: `field = ANY(%s)` with the values sent as one array parameter.

`__in` sends one placeholder per value, and a list of 10,000 (an import's IDs, its student
numbers) costs more to build into the statement and to parse than to look up; one array costs
the same at any length. Same rows as `__in`; an empty list matches nothing."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet  # as `__in=[]`: no query at all when nothing else is asked
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # `student__any_of` / `student_id__any_of`: ids
