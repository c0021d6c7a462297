"""The sandbox's PHP parse_str clone."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from b24metrics.sandbox.phpquery import parse_php_query


def test_brief_example():
    assert parse_php_query("filter[>ID]=5&select[]=ID&select[]=TITLE&order[ID]=ASC") == {
        "filter": {">ID": "5"},
        "select": ["ID", "TITLE"],
        "order": {"ID": "ASC"},
    }


def test_percent_decoding_and_plus_as_space():
    assert parse_php_query("TITLE=%D0%9B%D0%B8%D0%B4+%E2%84%961&x=a%2Bb%26c%3Dd") == {
        "TITLE": "Лид №1",
        "x": "a+b&c=d",
    }
    assert parse_php_query("filter%5B%3E%3DDATE_CREATE%5D=2025-01-01") == {
        "filter": {">=DATE_CREATE": "2025-01-01"}
    }


def test_php_quirks():
    # numeric keys, append after the highest int key, dots/spaces in the base name,
    # unmatched bracket, pair without "=", later value wins, junk after the brackets
    assert parse_php_query("a[5]=x&a[]=y&b.c=1&d e=2&f[g=3&z&k=1&k=2&m[n]x=4&=skip") == {
        "a": {"5": "x", "6": "y"},
        "b_c": "1",
        "d_e": "2",
        "f_g": "3",
        "z": "",
        "k": "2",
        "m": {"n": "4"},
    }


def test_nested_and_list_shapes():
    assert parse_php_query("cmd[0]=a&cmd[1]=b") == {"cmd": ["a", "b"]}
    assert parse_php_query("cmd[1]=a&cmd[0]=b") == {"cmd": {"1": "a", "0": "b"}}
    assert parse_php_query("f[@ID][]=1&f[@ID][]=2&f[x][y][]=z") == {
        "f": {"@ID": ["1", "2"], "x": {"y": ["z"]}}
    }
    assert parse_php_query("a=1&a[]=2") == {"a": ["2"]}
    assert parse_php_query("") == {}
    assert parse_php_query(b"a=%D1%8F") == {"a": "я"}


# --- property: anything a PHP-style encoder writes parses back


def _encode(value, prefix: str) -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            out += _encode(item, f"{prefix}[{quote(key, safe='')}]")
        return out
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            out += _encode(item, f"{prefix}[{index}]")
        return out
    return [f"{prefix}={quote(value, safe='')}"]


keys = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_><=!@%", min_size=1, max_size=8).filter(
    lambda k: not k.isdigit())
leaves = st.text(max_size=12)
values = st.recursive(
    leaves,
    lambda children: st.lists(children, min_size=1, max_size=4)
    | st.dictionaries(keys, children, min_size=1, max_size=4),
    max_leaves=12,
)
top = st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True), values, min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, database=None)
@given(top)
def test_roundtrip_of_php_style_encoding(data):
    query = "&".join(part for key, value in data.items() for part in _encode(value, quote(key)))
    assert parse_php_query(query) == data
