"""The features a grading rule may name (config.FEATURES) are the columns lead_features.sql makes."""

from b24metrics.config import FEATURES, Condition, GradeRule, GradingSettings
from b24metrics.grading import compile_grading
from b24metrics.grading.features import prepare_features
from b24metrics.kpis.incremental import everything_in_scope


def test_features_are_the_columns_of_lead_features(warehouse):
    with warehouse.connect() as con:
        everything_in_scope(con)
        prepare_features(con, GradingSettings())
        columns = [row[0] for row in con.execute("DESCRIBE lead_features").fetchall()]
    # lead_id keys the grade; payload holds the custom fields a UF_CRM_ rule reads
    assert sorted(columns) == sorted([*FEATURES, "lead_id", "payload"])


def test_a_rule_on_each_feature_compiles_into_sql_that_runs(warehouse):
    rules = [GradeRule(label=f"has {name}", points=1, when=[Condition(field=name, op="not_null")])
             for name in FEATURES]
    with warehouse.connect() as con:
        con.execute("INSERT INTO leads (id, has_phone, opportunity) VALUES (1, true, 10)")
        everything_in_scope(con)
        prepare_features(con, GradingSettings(rules=rules))
        sql, params = compile_grading(GradingSettings(rules=rules))
        rows = con.execute(sql, params).fetchall()
    # never NULL: has_company, client_type, company_size_known, returning_client, has_phone,
    # has_email; and opportunity, given
    assert [row[:2] for row in rows] == [(1, 7)]
