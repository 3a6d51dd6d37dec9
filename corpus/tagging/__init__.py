"""Metadata tagging: pure parsers for the fields of Chinese policy documents.

Everything here turns one string (or one LawRefBook record) into structured values. There is no
I/O and no module state besides precompiled regular expressions and constant tables, so the
loader can call these functions on tens of thousands of documents per second. Resolving an
issuer name to an administrative level, region or agency is *not* done here; that is the job of
``zhengce.corpus.gazetteer``. These functions only find the names, dates and numbers in the strings.

Contents
--------
- Dates: :func:`parse_date`, :func:`parse_date_iso`, :func:`parse_date_with_precision`,
  :func:`find_dates`, and :func:`cn_to_int` for Chinese numerals.
- Document numbers (发文字号): :func:`parse_doc_number` -> :class:`DocNumber`,
  :func:`doc_number_issuer_prefix`.
- Issuers: :func:`split_issuers`, :func:`parse_issuers` -> :class:`IssuerList`,
  :func:`issuers_from_title`.
- Document form and legal effect level: :func:`classify_doc_type` -> :class:`DocType`.
- Validity status: :func:`parse_validity`.
- LawRefBook/Laws markdown: :func:`parse_lawrefbook`, :func:`parse_lawrefbook_text`,
  :func:`parse_lawrefbook_path` -> :class:`LawRefBookMeta`.

Conventions: unparseable or placeholder input ('', '—', '无', '暂无', None) gives ``None`` (or an
empty list), never an exception, so the caller keeps the raw string and records the gap. A value
of the wrong *type* (e.g. an int where a string belongs) raises ``TypeError`` naming the function
and the type received, since that is a bug in the caller rather than a messy record.

The package, by meaning: :mod:`.chars` (shared character helpers), :mod:`.dates`,
:mod:`.doc_numbers`, :mod:`.issuers`, :mod:`.doc_types` (form, effect level, validity) and
:mod:`.lawrefbook`; every public name is importable from ``zhengce.corpus.tagging``.
"""

from __future__ import annotations

from .chars import cn_to_int
from .dates import parse_date, parse_date_iso, parse_date_with_precision, find_dates
from .doc_numbers import DocNumber, parse_doc_number, doc_number_issuer_prefix, is_placeholder
from .issuers import IssuerList, parse_issuers, split_issuers, issuers_from_title
from .doc_types import (DocType, ISSUER_KINDS, EFFECT_LEVELS, FORM_WORDS, classify_doc_type,
                        VALIDITY_VALUES, parse_validity)
from .lawrefbook import (HeaderEvent, LawRefBookMeta, LAWREFBOOK_MARKER, parse_lawrefbook,
                         parse_lawrefbook_text, parse_lawrefbook_path)

__all__ = [
    "cn_to_int",
    "parse_date",
    "parse_date_iso",
    "parse_date_with_precision",
    "find_dates",
    "DocNumber",
    "parse_doc_number",
    "doc_number_issuer_prefix",
    "IssuerList",
    "parse_issuers",
    "split_issuers",
    "issuers_from_title",
    "DocType",
    "ISSUER_KINDS",
    "EFFECT_LEVELS",
    "FORM_WORDS",
    "classify_doc_type",
    "VALIDITY_VALUES",
    "parse_validity",
    "is_placeholder",
    "HeaderEvent",
    "LawRefBookMeta",
    "LAWREFBOOK_MARKER",
    "parse_lawrefbook",
    "parse_lawrefbook_text",
    "parse_lawrefbook_path",
]
