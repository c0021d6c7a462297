from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from b24metrics.portal.encoding import php_query


def test_nested_params_as_php_builds_them():
    q = php_query({"order": {"ID": "ASC"}, "filter": {">ID": 0, "@STATUS_ID": ["NEW", "JUNK"]}, "start": -1})
    assert parse_qsl(q) == [
        ("order[ID]", "ASC"), ("filter[>ID]", "0"),
        ("filter[@STATUS_ID][0]", "NEW"), ("filter[@STATUS_ID][1]", "JUNK"), ("start", "-1"),
    ]


TEXT = st.characters(blacklist_categories=("Cs",))


@given(st.dictionaries(st.text(TEXT, min_size=1), st.text(TEXT), max_size=5))
def test_any_text_survives_encoding(values):
    assert dict(parse_qsl(php_query({"fields": values}), keep_blank_values=True)) == {
        f"fields[{k}]": v for k, v in values.items()
    }
