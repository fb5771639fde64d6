"""Ministry audit rules (issue 14): plain functions over a registry snapshot returning findings
with their evidence rows and the rule's source; a risk score with its parts; a second opinion.

Entry points for the API and pages: ``audit_agencies``, ``audit_agency`` (``overview``); the
single rules live in ``licence``, ``demand``, ``fees``, ``contract``, ``red_flags``,
``fairness``; weights in ``score``.
"""
