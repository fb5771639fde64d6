"""What is wrong with a worker's form, in the page's language.

The API answers a bad value with an English sentence naming the field (``amount_bdt: Input should
be greater than 0``); a worker reading Bangla needs the form's own label and a plain instruction in
Bangla. :func:`problem_of` keeps what a page needs of the first validation error (the field, the
kind of failure, its limit, the English sentence as a fallback); the template global ``problem``
(``api.i18n.render``) writes it as ``label: instruction`` in the page's language. A failure this
table does not know (a rule's own sentence, such as a date in the future) keeps its English
sentence, marked ``lang="en"``, after the label in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from api.errors import validation_detail
from api.i18n.names import N_

# The worker forms' fields and their labels (the same msgids as the templates' <label>s).
LABELS: dict[str, str] = {
    "agency_id": N_("Agency"), "job_order_id": N_("Job (if you know it)"),
    "amount_bdt": N_("Amount paid, in taka"), "purpose": N_("What it was for"),
    "paid_on": N_("Date paid"), "note": N_("Anything else (who took it, receipt or not)"),
    "category": N_("What happened"), "text": N_("Tell us in your own words"),
    "self_description": N_(
        "About you (in Bangla or English): your work, your trade, where you worked"),
    "phone": N_("Phone"), "district": N_("District"),
}

# pydantic's error types → an instruction; %(limit)s is the rule's number, in the page's digits.
INSTRUCTIONS: dict[str, str] = {
    "missing": N_("fill this in"),
    "greater_than": N_("write a number more than %(limit)s"),
    "greater_than_equal": N_("write a number of at least %(limit)s"),
    "less_than": N_("write a number less than %(limit)s"),
    "less_than_equal": N_("write a number of at most %(limit)s"),
    "string_too_long": N_("write at most %(limit)s characters"),
    "string_too_short": N_("write at least %(limit)s characters"),
    **dict.fromkeys(("int_parsing", "float_parsing", "decimal_parsing", "int_type", "float_type",
                     "finite_number"), N_("write a number, in digits")),
    **dict.fromkeys(("date_parsing", "date_from_datetime_parsing", "date_type"),
                    N_("choose a date")),
    "literal_error": N_("choose one from the list"), "enum": N_("choose one from the list"),
}
_LIMIT_KEYS = ("gt", "ge", "lt", "le", "max_length", "min_length")


@dataclass(frozen=True)
class FormProblem:
    """The first thing wrong with a form: which field, what kind, the limit, the rule's own
    message and the API's sentence (``str()``)."""

    field: str
    kind: str
    limit: int | float | None
    message: str
    english: str

    def __str__(self) -> str:
        return self.english

    @property
    def label(self) -> str | None:
        """The msgid of the field's label, or None for a field the worker forms do not show."""
        return LABELS.get(self.field)

    @property
    def instruction(self) -> str | None:
        """The msgid that says what to do, or None where only the rule's English will do."""
        return INSTRUCTIONS.get(self.kind)


def problem_of(exc: ValidationError) -> FormProblem:
    """The first error of ``exc`` as a :class:`FormProblem` (the English sentence as the API's)."""
    first = exc.errors()[0]
    ctx = first.get("ctx") or {}
    limit = next((ctx[k] for k in _LIMIT_KEYS if isinstance(ctx.get(k), int | float)), None)
    field = next((str(p) for p in first.get("loc", ()) if p != "body"), "")
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    english = validation_detail([dict(first)])[0]
    return FormProblem(field, str(first.get("type", "")), limit, message, english)
