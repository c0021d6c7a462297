"""The input files and maps (kpis/inputs.py): spend, plan, tracking numbers, currency rates.
Bad rows come back with file, line and reason; the good rows are used."""

import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from b24metrics import pipeline
from b24metrics.config import load_settings
from b24metrics.extract import STREAMS
from b24metrics.errors import ConfigError
from b24metrics.kpis.inputs import (
    InputFileError,
    InputState,
    decode,
    load_inputs,
    missing_input,
    normalize_number,
    parse_amount,
    parse_period,
    read_plan,
    read_spend,
    save_input_states,
)
from b24metrics.kpis.refresh import refresh_kpis

WEBHOOK = "https://portal.example/rest/1/secret/"


# -- helpers the oracle tests share ---------------------------------------------------------------

def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refresh_with_inputs(s, settings, now: datetime | None = None) -> list[str]:
    """The KPI refresh with these settings, `now` fixing the clock of the plan forecast
    (portal wall clock). Returns the input problems."""
    return refresh_kpis(s.warehouse, settings, now=now).problems


def delete_on_portal(s, **gone: list[int]) -> None:
    """After s.sync(): records removed on the portal (leads=[...], deals=[...]); a real ID sweep
    marks them deleted in the warehouse. Rebuild the KPI tables after it."""
    with s.state.lock:
        for table, ids in gone.items():
            for record_id in ids:
                getattr(s.state, table).pop(record_id)
    with pipeline.open_client(s.settings()) as client:
        pipeline.sweep(client, s.warehouse, list(STREAMS.values()))


# -- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("108000", 108000.0), ("108 000", 108000.0), ("108\u00a0000,50", 108000.5), ("1 234 567.25", 1234567.25),
    ("0,5", 0.5), (12500, 12500.0), (99.5, 99.5),
])
def test_amounts_with_comma_decimals_and_space_thousands(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["1,234.50", "1,234,567", "12k", "", "nan", True])
def test_amounts_that_are_not_numbers(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize("text, start, end, kind", [
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "month"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "quarter"),
    ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "quarter"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "year"),
    ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "week"),    # ISO week 1 of 2026 begins in 2025
    ("2026-W10", date(2026, 3, 2), date(2026, 3, 8), "week"),
    ("2026-W53", date(2026, 12, 28), date(2027, 1, 3), "week"),    # 2026 has 53 ISO weeks
])
def test_plan_periods(text, start, end, kind):
    assert parse_period(text) == (start, end, kind)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "2025-W53", "03.2026", "26"])
def test_bad_plan_periods(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_phone_numbers_one_number_many_spellings():
    spellings = ["+7 (495) 123-45-67", "84951234567", "7 495 123 45 67", "+74951234567"]
    assert {normalize_number(n) for n in spellings} == {"74951234567"}
    assert normalize_number("8 800 555-35-35") == "78005553535"
    assert normalize_number("reg133788") == "reg133788"      # a SIP line, not a phone
    assert normalize_number("  ") is None


# -- files ----------------------------------------------------------------------------------------

def test_spend_csv_bad_rows_reported_good_rows_used(tmp_path):
    path = write(tmp_path, "spend.csv", "\n".join([
        "month,channel,amount,currency",          # line 1
        '2026-03,WEB,"108 000",RUB',               # 2 good
        '2026-03,CALL,"12 500,50",rur',            # 3 good: RUR is RUB
        "2026-3x,WEB,100,RUB",                     # 4 bad month
        "2026-03,,100,RUB",                        # 5 no channel
        "2026-03,WEB,-5,RUB",                      # 6 negative
        '2026-03,WEB,"1,234.50",RUB',              # 7 mixes separators
        "2026-03,WEB,100,рубли",                   # 8 not a currency code
        "2026-03,WEB,1,234,RUB",                   # 9 an unquoted comma decimal: one cell too many
        "",
        "2026-04,WEB,100,",                        # 11 no currency, no base currency
    ]))
    rows, problems = read_spend(Path(path))
    assert [(r.month, r.channel, r.amount, r.currency, r.line) for r in rows] == [
        (date(2026, 3, 1), "WEB", 108000.0, "RUB", 2), (date(2026, 3, 1), "CALL", 12500.5, "RUB", 3)]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (4, 5, 6, 7, 8, 9, 11)]
    assert "is not YYYY-MM" in problems[0] and "no channel" in problems[1] and "negative" in problems[2]
    assert "mixes" in problems[3] and "three-letter" in problems[4] and "more cells" in problems[5]
    assert "no currency" in problems[6] and all(p.endswith("row skipped") for p in problems)


def test_spend_semicolon_csv_from_excel_and_base_currency_default(tmp_path):
    path = write(tmp_path, "spend.csv", "\ufeffMonth;Channel;Amount\n2026-03;Веб-сайт;12 000,75\n")
    rows, problems = read_spend(Path(path), base_currency="RUB")
    assert problems == [] and [(r.channel, r.amount, r.currency) for r in rows] == [("Веб-сайт", 12000.75, "RUB")]


def test_spend_toml_rows_with_their_lines(tmp_path):
    path = write(tmp_path, "spend.toml", """
[[spend]]
month = "2026-03"
channel = "WEB"
amount = 50000
currency = "RUB"

[[spend]]
month = "2026-03"
channel = "ADVERTISING"
amount = "1 000,50"
currency = "USD"

[[spend]]
month = "March"
channel = "WEB"
amount = 1
currency = "RUB"
""")
    rows, problems = read_spend(Path(path))
    assert [(r.channel, r.amount, r.currency, r.line) for r in rows] == [
        ("WEB", 50000.0, "RUB", 2), ("ADVERTISING", 1000.5, "USD", 8)]
    assert problems == [f"{path}:14: month 'March' is not YYYY-MM; row skipped"]


# Excel on a Russian Windows saves "CSV" in Windows-1251, with `;` between cells.
CP1251_SPEND = "month;channel;amount;currency\r\n2026-03;Яндекс Директ;108 000,00;RUB\r\n2026-03;Реклама;5 000;руб\r\n"


def test_a_windows_1251_spend_file_is_read_with_its_cyrillic_channels(tmp_path):
    path = tmp_path / "spend.csv"
    path.write_bytes(CP1251_SPEND.encode("cp1251"))
    rows, problems = read_spend(path)
    assert [(r.channel, r.amount, r.currency, r.line) for r in rows] == [("Яндекс Директ", 108000.0, "RUB", 2)]
    # the bad row's reason quotes the cell as it was meant, not as UTF-8 mojibake
    assert problems == [f"{path}:3: currency 'руб' is not a three-letter code such as RUB; row skipped"]


@pytest.mark.parametrize("data, text", [
    ("канал".encode("utf-8"), "канал"),                  # UTF-8 first: its bytes are cp1251 too, as mojibake
    (b"\xef\xbb\xbf" + "канал".encode("utf-8"), "канал"),  # the BOM Excel's "CSV UTF-8" writes is dropped
    ("канал".encode("cp1251"), "канал"),
    ("plain ascii\tok\r\n".encode(), "plain ascii\tok\r\n"),
    (b"\xff\xfem\x00o\x00", None),                       # UTF-16: not text we read
    (b"\x98", None),                                     # the one byte cp1251 leaves undefined
    (bytes(range(256)), None),
])
def test_decode_utf8_with_or_without_bom_then_windows_1251(data, text):
    assert decode(data) == text


def test_a_bom_spend_toml_file_is_read(tmp_path):
    path = tmp_path / "spend.toml"
    path.write_bytes(b"\xef\xbb\xbf" + '[[spend]]\nmonth = "2026-03"\nchannel = "Радио"\namount = 7\n'
                     'currency = "RUB"\n'.encode())
    rows, problems = read_spend(path)
    assert problems == [] and [(r.channel, r.amount, r.line) for r in rows] == [("Радио", 7.0, 1)]


def test_garbage_bytes_are_an_unreadable_file_named(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFileError, match=rf"^plan file {re.escape(str(path))} cannot be read: "
                                             "it is neither UTF-8 nor Windows-1251 text"):
        read_plan(path)


def test_relative_input_paths_in_the_config_file_are_read_beside_it(tmp_path, monkeypatch):
    """Not from the working directory: a daemon or cron job started elsewhere reads the same
    files. An absolute path, or a path from the environment, stays as given."""
    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "b24metrics.toml"
    config.write_text(f'[portal]\nwebhook_url = "{WEBHOOK}"\n[kpis]\nspend_file = "inputs/spend.csv"\n'
                      f'plan_file = "{tmp_path / "plan.csv"}"\n', encoding="utf-8")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for key in ("B24M_CONFIG", "B24M_KPIS__SPEND_FILE", "B24M_KPIS__PLAN_FILE"):
        monkeypatch.delenv(key, raising=False)
    kpis = load_settings(config).kpis
    assert (kpis.spend_file, kpis.plan_file) == (folder / "inputs" / "spend.csv", tmp_path / "plan.csv")
    # a relative config path: still beside the file, not beside the working directory
    assert load_settings(Path("..") / "etc" / "b24metrics.toml").kpis.spend_file.resolve() == \
        (folder / "inputs" / "spend.csv").resolve()
    monkeypatch.setenv("B24M_KPIS__SPEND_FILE", "mine.csv")
    assert load_settings(config).kpis.spend_file == Path("mine.csv")


def test_a_missing_or_headless_file_is_one_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="not found") as missing:
        read_spend(tmp_path / "nope.csv")
    assert isinstance(missing.value, ConfigError)
    with pytest.raises(InputFileError, match="lacks amount"):
        read_spend(Path(write(tmp_path, "s.csv", "month,channel,sum\n2026-03,WEB,1\n")))
    with pytest.raises(InputFileError, match="not valid TOML"):
        read_plan(Path(write(tmp_path, "p.toml", "[[plan]\n")))
    with pytest.raises(InputFileError, match=".csv or a .toml"):
        read_plan(Path(write(tmp_path, "p.xlsx", "")))


def test_plan_rows(tmp_path):
    path = write(tmp_path, "plan.csv", "\n".join([
        "period,metric,target,channel,manager,currency",
        "2026-03,leads,20,,,",                     # 2
        "2026-Q1,revenue,\"1 500 000\",WEB,5,",     # 3: revenue in the base currency
        "2026-W10,calls,40,,Ольга Кузнецова,",      # 4
        "2026-03,visits,10,,,",                    # 5 unknown metric
        "2026-03,leads,0,,,",                      # 6 target must be above zero
        "2026-14,leads,5,,,",                      # 7 bad period
        "2026,revenue,100,,,EURO",                 # 8 bad currency
    ]))
    plans, problems = read_plan(Path(path), base_currency="RUB")
    assert [(p.period_kind, p.metric, p.target, p.channel, p.manager, p.currency) for p in plans] == [
        ("month", "leads", 20.0, None, None, None), ("quarter", "revenue", 1500000.0, "WEB", "5", "RUB"),
        ("week", "calls", 40.0, None, "Ольга Кузнецова", None)]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (5, 6, 7, 8)]
    assert "unknown metric 'visits'; one of leads, deals" in problems[0]
    _, problems = read_plan(Path(path))
    assert f"{path}:3: no currency (and no kpis.base_currency to assume); row skipped" in problems


# -- into the refresh connection ------------------------------------------------------------------

@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE statuses (entity_id VARCHAR, status_id VARCHAR, name VARCHAR, deleted BOOLEAN)")
    con.execute("INSERT INTO statuses VALUES ('SOURCE', 'WEB', 'Веб-сайт', false), "
                "('SOURCE', 'ADVERTISING', 'Реклама', false), ('SOURCE', 'OLD', 'Старый', true), "
                "('STATUS', 'NEW', 'Новый', false)")
    con.execute("CREATE TABLE users (id BIGINT, name VARCHAR, last_name VARCHAR, deleted BOOLEAN)")
    con.execute("INSERT INTO users VALUES (5, 'Ольга', 'Кузнецова', false), (6, 'Иван', 'Петров', false), "
                "(7, 'Иван', 'Петров', false)")
    yield con
    con.close()


def settings(**kpis):
    return load_settings(read_file=False, portal={"webhook_url": WEBHOOK}, kpis=kpis)


def test_load_inputs_names_channels_as_the_kpi_tables_do(con, tmp_path):
    spend = write(tmp_path, "spend.csv", "month,channel,amount,currency\n"
                  "2026-03,WEB,100,RUB\n2026-03,реклама,200,USD\n2026-03,Яндекс Директ,300,RUB\n"
                  "2026-03,Телевизор,400,RUB\n2026-03,OLD,1,RUB\n")
    problems = load_inputs(con, settings(
        spend_file=spend, base_currency="rub", currency_rates={"USD": 90, "EUR": 0, "XX": 1},
        tracking_numbers={"+7 (495) 111-22-33": "Яндекс Директ", "84951112233": "Реклама",
                          "8 (495) 222-33-44": "ADVERTISING", "phone": "WEB"}))
    assert con.execute("SELECT * FROM input_spend ORDER BY amount").fetchall() == [
        (date(2026, 3, 1), "OLD", 1.0, "RUB"),                  # a deleted source is no source
        (date(2026, 3, 1), "Веб-сайт", 100.0, "RUB"), (date(2026, 3, 1), "Реклама", 200.0, "USD"),
        (date(2026, 3, 1), "Яндекс Директ", 300.0, "RUB"),     # a tracking channel
        (date(2026, 3, 1), "Телевизор", 400.0, "RUB")]
    assert sorted(con.execute("SELECT * FROM input_tracking").fetchall()) == [
        ("74951112233", "Яндекс Директ"), ("74952223344", "Реклама"), ("phone", "Веб-сайт")]
    assert sorted(con.execute("SELECT * FROM input_rates").fetchall()) == [
        ("RUB", 1.0, "RUB"), ("USD", 90.0, "RUB")]
    assert problems == [
        "kpis.tracking_numbers: '84951112233' is the number '+7 (495) 111-22-33' again with another channel; "
        "'Яндекс Директ' kept",
        "kpis.currency_rates.EUR: rate 0.0 must be a number above zero; that currency stays apart",
        "kpis.currency_rates.XX: currency 'XX' is not a three-letter code such as RUB; that currency stays apart",
        f"{spend}:5: channel 'Телевизор' is neither a source of the portal nor a tracking channel: "
        "its spend counts with no leads",
        f"{spend}:6: channel 'OLD' is neither a source of the portal nor a tracking channel: "
        "its spend counts with no leads",
    ]
    assert con.execute("SELECT count(*) FROM input_plan").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM input_clock").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM input_rejection_field").fetchall() == [(0,)]


def test_load_inputs_plan_managers_channels_duplicates_and_clock(con, tmp_path):
    plan = write(tmp_path, "plan.toml", "\n".join(
        f'[[plan]]\nperiod = "{p}"\nmetric = "{m}"\ntarget = {t}\n{extra}\n' for p, m, t, extra in [
            ("2026-03", "leads", 10, 'channel = "web"'),                   # line 1
            ("2026-03", "leads", 12, 'channel = "Веб-сайт"'),              # 7: the same plan again
            ("2026-03", "won_deals", 3, 'manager = "кузнецова ольга"'),    # 13
            ("2026-03", "won_deals", 3, 'manager = "#6"'),                 # 19
            ("2026-03", "won_deals", 3, 'manager = "Иван Петров"'),        # 25: two users of that name
            ("2026-03", "won_deals", 3, 'manager = "42"'),                 # 31: no such user
            ("2026-03", "leads", 3, 'channel = "Радио"'),                  # 37: no such channel
            ("2026-03", "revenue", 1000, ''),                              # 43: no currency at all
        ]))
    problems = load_inputs(con, settings(plan_file=plan), now=datetime(2026, 3, 11))
    assert con.execute("SELECT period_start, period_end, period_kind, metric, target, channel, manager, "
                       "manager_id, currency FROM input_plan").fetchall() == [
        (date(2026, 3, 1), date(2026, 3, 31), "month", "leads", 10.0, "Веб-сайт", None, None, None),
        (date(2026, 3, 1), date(2026, 3, 31), "month", "won_deals", 3.0, None, "Ольга Кузнецова #5", 5, None),
        (date(2026, 3, 1), date(2026, 3, 31), "month", "won_deals", 3.0, None, "Иван Петров #6", 6, None),
    ]
    assert problems == [
        f"{plan}:43: no currency (and no kpis.base_currency to assume); row skipped",
        f"{plan}:7: the same target as line 1 (period, metric, channel, manager); row skipped",
        f"{plan}:25: manager 'Иван Петров' names 2 users; write the user ID (#6); row skipped",
        f"{plan}:31: manager '42': the portal has no user #42; row skipped",
        f"{plan}:37: channel 'Радио' is neither a source of the portal nor a tracking channel; row skipped",
    ]
    assert con.execute("SELECT * FROM input_clock").fetchall() == [(datetime(2026, 3, 11),)]


def test_load_inputs_a_missing_or_unreadable_file_is_reported_once_not_raised(con, tmp_path, caplog):
    """The sync, grades and write-back around the refresh go on: the file is one problem (its
    name, the reason, the config key) and its input table stays empty; the other file is read."""
    spend = tmp_path / "spend.csv"
    spend.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xa4\xc3")   # an .xlsx renamed
    plan = write(tmp_path, "plan.csv", "period,metric,target\n2026-03,leads,10\n")
    with caplog.at_level("WARNING", logger="b24metrics.kpis.inputs"):
        problems = load_inputs(con, settings(spend_file=str(spend), plan_file=plan))
    assert problems == [f"spend file {spend} cannot be read: it is neither UTF-8 nor Windows-1251 text "
                        "(save it as CSV); input missing: the KPIs that need it are left without it"]
    assert [r.getMessage() for r in caplog.records] == [f"input: {problems[0]}"]
    assert con.execute("SELECT count(*) FROM input_spend").fetchall() == [(0,)]
    assert con.execute("SELECT metric, target FROM input_plan").fetchall() == [("leads", 10.0)]

    problems = load_inputs(con, settings(plan_file=str(tmp_path / "nope.csv")))
    assert len(problems) == 1 and re.match(r"plan file .*nope\.csv not found \(kpis\.plan_file\); input missing",
                                           problems[0])
    assert con.execute("SELECT count(*) FROM input_plan").fetchall() == [(0,)]


def test_an_unclosed_quote_is_an_unreadable_file_with_its_line(tmp_path):
    path = write(tmp_path, "spend.csv", 'month,channel,amount\n2026-03,"WEB,' + "x" * 200_000 + "\n")
    with pytest.raises(InputFileError, match=rf"spend file {re.escape(path)}:\d+: field larger than field limit"):
        read_spend(Path(path))


def test_rates_without_a_base_currency_are_reported_not_guessed(con):
    problems = load_inputs(con, settings(currency_rates={"USD": 90}, rejection_field="UF_CRM_REASON"))
    assert problems == ["kpis.currency_rates ignored: no kpis.base_currency to convert into"]
    assert con.execute("SELECT count(*) FROM input_rates").fetchall() == [(0,)]
    assert con.execute("SELECT * FROM input_rejection_field").fetchall() == [("UF_CRM_REASON",)]


def test_bad_rows_are_one_warning_per_file_naming_each_line_and_the_file_state_is_kept(con, tmp_path, caplog):
    """A refresh (once per daemon cycle) warns once per file however many rows are bad; the
    rows stay one problem each for the command's own summary. A file with no usable row is
    missing for the KPIs that need it."""
    rows = "".join(f"2026-0{m};WEB;много;RUB\n" for m in range(1, 8))
    spend = write(tmp_path, "spend.csv", "month;channel;amount;currency\n2026-03;WEB;100;RUB\n" + rows)
    plan = write(tmp_path, "plan.csv", "period,metric,target\n2026-03,leeds,10\n2026-13,leads,5\n")
    states: list[InputState] = []
    with caplog.at_level("WARNING", logger="b24metrics.kpis.inputs"):
        problems = load_inputs(con, settings(spend_file=spend, plan_file=plan), states=states)
    assert len(problems) == 9
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert logged[0].startswith(f"input: {spend}: 7 problems: line 3: 'много' is not a number; row skipped; line 4:")
    assert logged[0].endswith("; and 2 more")
    assert logged[1].startswith(f"input: {plan}: 2 problems: line 2: unknown metric 'leeds'")
    assert [(s.input, s.state, s.rows, s.skipped) for s in states] == [("spend", "read", 1, 7),
                                                                        ("plan", "missing", 0, 2)]
    assert "none of its 2 row(s) could be used" in states[1].detail

    save_input_states(con, states)
    assert missing_input(con, "kpi_plan") == f"input missing: plan file {plan}: none of its 2 row(s) could be used"
    assert missing_input(con, "kpi_spend_return") is None and missing_input(con, "kpi_leads") is None
