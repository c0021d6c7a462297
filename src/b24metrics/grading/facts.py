"""What a lead's own words say about who it is: the legal form in a company title, a normalised
title to match a company already in the CRM, and whether an e-mail domain is a free provider's.

The lists live here, in one place; define_macros() turns them into the SQL macros that
sql/lead_features.sql calls (legal_form(), norm_title(), free_mail()), and the Python functions
beside them say the same for tests and explanations.
"""

from __future__ import annotations

import re

import duckdb

#: the macros define_macros makes for sql/lead_features.sql
DEFINES = ("legal_form()", "norm_title()", "free_mail()", "won_at()")

# Mailboxes anyone can open: a lead writing from one says nothing about an organisation.
FREE_MAIL_DOMAINS = (
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "internet.ru", "yandex.ru", "ya.ru", "yandex.com",
    "yandex.by", "yandex.kz", "narod.ru", "rambler.ru", "lenta.ru", "autorambler.ru", "ro.ru",
    "gmail.com", "googlemail.com", "icloud.com", "me.com", "mac.com", "outlook.com", "hotmail.com",
    "live.com", "msn.com", "yahoo.com", "aol.com", "proton.me", "protonmail.com", "zoho.com",
    "gmx.com", "gmx.de", "ukr.net", "tut.by", "qip.ru", "pochta.ru", "e1.ru", "ngs.ru",
)

# A sole trader: "ИП Иванов И.И.", "Индивидуальный предприниматель Иванов".
SOLE_TRADER_FORMS = ("ИП", "ИНДИВИДУАЛЬНЫЙ ПРЕДПРИНИМАТЕЛЬ", "ИЧП")
# Legal forms of an organisation, abbreviated and written out; also a few foreign ones.
ORGANISATION_FORMS = (
    "ООО", "ОАО", "АО", "ПАО", "ЗАО", "НАО", "НКО", "АНО", "ОДО", "ТОО", "ПК", "СПК", "НП",
    "ФГУП", "ГУП", "МУП", "ФГБУ", "ФГАУ", "ФГКУ", "ГБУ", "ГАУ", "ГКУ", "МБУ", "МАУ", "МКУ",
    "ФГБОУ", "ФГАОУ", "ГБОУ", "МБОУ", "МАОУ", "ГБУЗ", "ГАУЗ", "ТСЖ", "СНТ",
    "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", "АКЦИОНЕРНОЕ ОБЩЕСТВО",
    "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "ЗАКРЫТОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО",
    "ОТКРЫТОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "НЕКОММЕРЧЕСКАЯ ОРГАНИЗАЦИЯ",
    "LLC", "LTD", "INC", "GMBH", "JSC", "PLC", "CORP",
)

# A form counts only as the first or the last word of the title, quotes and commas aside:
# "ООО «Ромашка»", "«Ромашка» ООО", "Ромашка, ООО"; not "Проект ООО-Сервис Плюс" in its middle.
# DuckDB's regular expressions (RE2) and Python's spell "not a letter or digit" differently.
_NOT_ALNUM = {"sql": r"[^\pL\d]", "python": r"[\W_]"}
_EDGE = r"[\s«»\"'„“”.,()\-]*"


def _alternatives(forms: tuple[str, ...]) -> str:
    # Longer first, so that "ПАО" is not read as "АО"; spaces in written-out forms match any run.
    return "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(forms, key=len, reverse=True))


def form_patterns(forms: tuple[str, ...], dialect: str = "sql") -> tuple[str, str]:
    """(at the front, at the back) of a title, case-insensitive."""
    other = _NOT_ALNUM[dialect]
    words = _alternatives(forms)
    return rf"(?i)^{_EDGE}({words})({other}|$)", rf"(?i)(^|{other})({words}){_EDGE}$"


def legal_form(title: str | None) -> str | None:
    """'sole_trader', 'organisation' or None (no form named): what the SQL macro legal_form() says."""
    if not title or not title.strip():
        return None
    sole, org = form_patterns(SOLE_TRADER_FORMS, "python"), form_patterns(ORGANISATION_FORMS, "python")
    for pattern, form in ((sole[0], "sole_trader"), (org[0], "organisation"),
                          (sole[1], "sole_trader"), (org[1], "organisation")):
        if re.search(pattern, title):
            return form
    return None


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The macros sql/lead_features.sql calls: legal_form(title), norm_title(title), free_mail(domain),
    won_at(moved_time, closedate, date_modify, date_create)."""
    sole, org = form_patterns(SOLE_TRADER_FORMS), form_patterns(ORGANISATION_FORMS)
    every = form_patterns(SOLE_TRADER_FORMS + ORGANISATION_FORMS)
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO legal_form(t) AS CASE
              WHEN t IS NULL OR trim(t) = '' THEN NULL
              WHEN regexp_matches(t, {_sql_text(sole[0])}) THEN 'sole_trader'
              WHEN regexp_matches(t, {_sql_text(org[0])}) THEN 'organisation'
              WHEN regexp_matches(t, {_sql_text(sole[1])}) THEN 'sole_trader'
              WHEN regexp_matches(t, {_sql_text(org[1])}) THEN 'organisation'
            END"""
    )
    # The title without its legal form, quotes and punctuation, lower case, ё as е: what two
    # spellings of one company have in common ("ООО «Ромашка»" and "Ромашка, ООО" -> "ромашка").
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO norm_title(t) AS nullif(trim(regexp_replace(replace(lower(
              regexp_replace(regexp_replace(coalesce(t, ''), {_sql_text(every[0])}, ' '), {_sql_text(every[1])}, ' ')),
              'ё', 'е'), {_sql_text(_NOT_ALNUM["sql"] + "+")}, ' ', 'g')), '')"""
    )
    domains = ", ".join(_sql_text(d) for d in FREE_MAIL_DOMAINS)
    # list_contains, not IN: a macro's argument is pasted into each comparison of an IN list,
    # and an argument that is itself an expression would be computed once per domain.
    con.execute(f"CREATE OR REPLACE TEMP MACRO free_mail(d) AS list_contains([{domains}], d)")
    # When a won deal was won, for returning_client (a win before the lead): its move to the won
    # stage, else its close date, else its last change or its creation. The incremental scope
    # (kpis/sql/scope.sql) dates a win that changed by the same rule.
    con.execute("CREATE OR REPLACE TEMP MACRO won_at(moved_time, closedate, date_modify, date_create) AS "
                "coalesce(moved_time, CAST(closedate AS TIMESTAMPTZ), date_modify, date_create)")
