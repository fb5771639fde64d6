"""The pages' languages: which one a request gets, its gettext catalog, and local formatting.

Bangla (``bn``) and English (``en``) are the two languages. English is the source language of
every message (the msgid); ``api/translations/bn/LC_MESSAGES/messages.po`` holds the Bangla, and
is compiled in memory when first used, so a compiled catalog can never be staler than its .po.
"""

from api.i18n.locale import (
    COOKIE,
    DEFAULT,
    LANGUAGES,
    choose_language,
    requested_language,
    translations,
)

__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "choose_language", "requested_language",
           "translations"]
