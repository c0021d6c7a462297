"""raw_records.content_hash leaves out DATE_MODIFY and our own fields, and nothing else: a record
read again after our write-back is the same record, any other difference is a change."""

import json

from hypothesis import given, settings, strategies as st

from b24metrics.extract.content_hash import content_hash, volatile_keys

OWN = ("UF_CRM_B24M_GRADE", "UF_CRM_B24M_SCORE", "UF_CRM_B24M_FACTORS")
VOLATILE = volatile_keys(OWN)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
fields = st.dictionaries(st.from_regex(r"[A-Z][A-Z_]{0,12}", fullmatch=True), scalars, max_size=8)


def digest(record: dict) -> int:
    return content_hash(json.dumps(record, ensure_ascii=False), VOLATILE)


@settings(max_examples=300)
@given(fields, st.dictionaries(st.sampled_from(("DATE_MODIFY",) + OWN), scalars), st.data())
def test_only_date_modify_and_our_fields_are_left_out(rest, volatile, data):
    record = {"ID": "1", **{k: v for k, v in rest.items() if k not in ("ID", "DATE_MODIFY") + OWN}}
    # our fields and DATE_MODIFY anywhere after ID, with any value, or absent: the same record
    keys = list(record)
    mixed = dict(record)
    for key, value in volatile.items():
        at = data.draw(st.integers(1, len(keys)))
        items = list(mixed.items())
        mixed = dict(items[:at] + [(key, value)] + items[at:])
    assert digest(mixed) == digest(record)
    # any other field changed: another record
    if len(record) > 1:
        key = data.draw(st.sampled_from(keys[1:]))
        changed = {**record, key: f"{record[key]!r} changed"}
        assert digest(changed) != digest(record)
