"""Trigger conditions in the CEL subset TFX compiles `tfx.dsl.Cond` predicates into."""
import pytest

from kubeflow.local_backend.cel import ConditionError, evaluate

INPUTS = {"artifacts": {"model_blessing": {"artifacts": [
    {"name": "7", "uri": "/root/blessing", "metadata": {"blessed": 1.0, "decision": "approved"}}]}}}
BLESSED = "inputs.artifacts['model_blessing'].artifacts[0].metadata['blessed']"
DECISION = "inputs.artifacts['model_blessing'].artifacts[0].metadata['decision']"


@pytest.mark.parametrize("condition, expected", [
    (f"({BLESSED} == 1.0)", True),
    (f"({BLESSED} == 0.0)", False),
    (f"!(({BLESSED} == 1.0))", False),
    (f"(({BLESSED} > 0.5) && ({DECISION} == 'approved'))", True),
    (f"(({BLESSED} < 0.5) || ({DECISION} == 'rejected'))", False),
    (f"(({DECISION} + '!') == 'approved!')", True),
    ("(inputs.artifacts['model_blessing'].artifacts[0].uri == '/root/blessing')", True),
])
def test_conditions_tfx_emits(condition, expected):
    assert evaluate(condition, INPUTS) is expected


def test_comparing_a_number_with_a_string_is_an_error_as_in_cel():
    with pytest.raises(ConditionError, match="no such overload"):
        evaluate(f"({BLESSED} == 'yes')", INPUTS)


def test_missing_metadata_and_syntax_outside_the_subset_are_named():
    with pytest.raises(ConditionError, match="no metadata\\['score'\\]"):
        evaluate("(inputs.artifacts['model_blessing'].artifacts[0].metadata['score'] > 1.0)",
                 INPUTS)
    with pytest.raises(ConditionError, match="outside the CEL subset"):
        evaluate("size(inputs.artifacts) > 0", INPUTS)
