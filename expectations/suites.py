"""The Great Expectations suites, each expectation tagged with the rule it enforces."""

import great_expectations.expectations as gxe
from great_expectations.core import ExpectationSuite

from reference import Catalog

VALUE_SUITE = "submission_values"
RULE_SUITE = "cross_indicator_rules"
PARSE_RULE = "parse_rule"  # the rule is named by the row's own parse_rule column


def value_suite(catalog: Catalog) -> ExpectationSuite:
    """Cell-level checks on the long table of a whole batch."""
    suite = ExpectationSuite(name=VALUE_SUITE)
    expectations = [
        (
            gxe.ExpectColumnValuesToBeInSet(
                column="indicator_code", value_set=sorted(catalog.indicators)
            ),
            "unknown_indicator",
        ),
        (gxe.ExpectColumnValuesToBeNull(column="parse_rule"), PARSE_RULE),
        (gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0), "negative_value"),
        (
            gxe.ExpectColumnValuesToBeBetween(column="count_fraction", max_value=1e-6),
            "not_whole_number",
        ),
        (gxe.ExpectColumnValuesToBeUnique(column="slot"), "duplicate_indicator"),
        (gxe.ExpectColumnValuesToBeInSet(column="total_state", value_set=["ok"]), "total_mismatch"),
    ]
    for expectation, rule in expectations:
        expectation.meta = {"rule": rule}
        suite.add_expectation(expectation)
    return suite


def rule_suite(catalog: Catalog) -> ExpectationSuite:
    """The catalogue's cross-indicator rules, per file × district (see frames.rule_frame)."""
    suite = ExpectationSuite(name=RULE_SUITE)
    for rule in catalog.rules:
        expectation = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=f"{rule.rule_id}_a",
            column_B=f"{rule.rule_id}_b",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
        expectation.meta = {"rule": "validation_rule", "rule_id": rule.rule_id}
        suite.add_expectation(expectation)
    return suite
