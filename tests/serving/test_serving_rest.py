"""TF Serving's REST shapes, checked against its documentation (g3doc/api_rest.md).

The quoted blocks are the documented shapes; each test feeds or expects that shape.
"""

from __future__ import annotations

import pytest

from pipeline.serving import rest
from pipeline.serving.rest import RestError


def test_paths_of_the_documented_urls_route():
    # GET http://host:port/v1/models/${MODEL_NAME}[/versions/${VERSION}|/labels/${LABEL}]
    # GET http://host:port/v1/models/${MODEL_NAME}[/versions/${VERSION}|/labels/${LABEL}]/metadata
    # POST http://host:port/v1/models/${MODEL_NAME}[/versions/${VERSION}]:(classify|regress)
    cases = {
        "/v1/models/penguins": ("penguins", None, None, None, None),
        "/v1/models/penguins/versions/2": ("penguins", "2", None, None, None),
        "/v1/models/penguins/labels/production": ("penguins", None, "production", None, None),
        "/v1/models/penguins/labels/production/metadata":
            ("penguins", None, "production", "/metadata", None),
        "/v1/models/penguins/versions/2:classify": ("penguins", "2", None, None, "classify"),
        "/v1/models/penguins:predict": ("penguins", None, None, None, "predict"),
    }
    for path, expected in cases.items():
        match = rest.ROUTE.match(path)
        assert match.group("name", "version", "label", "metadata", "verb") == expected, path
    assert rest.ROUTE.match("/v1/models/penguins/versions/two") is None


def test_row_format_is_a_list_of_objects():
    # {"instances": [{"tag": "foo", "signal": [1, 2, 3, 4, 5], "sensor": [[1, 2], [3, 4]]}, ...]}
    rows, columnar = rest.predict_rows({"instances": [{"island": "Biscoe"}, {"sex": "male"}]})
    assert rows == [{"island": "Biscoe"}, {"sex": "male"}] and columnar is False


def test_columnar_format_is_an_object_of_lists_unrolled_into_rows():
    # {"inputs": {"tag": ["foo", "bar"], "signal": [[1, 2, 3, 4, 5], [3, 4, 1, 2, 5]], ...}}
    rows, columnar = rest.predict_rows(
        {"inputs": {"island": ["Biscoe", "Dream"], "body_mass_g": [5100.0, None]}})
    assert columnar is True
    assert rows == [{"island": "Biscoe", "body_mass_g": 5100.0},
                    {"island": "Dream", "body_mass_g": None}]


@pytest.mark.parametrize("request_body, message", [
    ({"instances": [], "inputs": {}}, "not both"),
    ({"rows": []}, 'either "instances"'),
    ({"instances": {"island": "Biscoe"}}, '"instances" must be a list'),
    ({"inputs": {"island": "Biscoe"}}, "feature 'island' must be a list"),
    ({"inputs": {"island": ["Biscoe"], "sex": ["male", "female"]}}, "island: 1, sex: 2"),
])
def test_a_malformed_predict_body_is_a_400_naming_the_problem(request_body, message):
    with pytest.raises(RestError, match=message) as raised:
        rest.predict_rows(request_body)
    assert raised.value.status == 400


def test_responses_are_predictions_for_rows_and_outputs_for_columns():
    # Row request:      {"predictions": <value>|<(nested)list>|<list-of-objects>}
    # Columnar request: {"outputs": <value>|<(nested)list>|<object>}
    # One named output: its name is omitted.
    outputs = [{"classes": "Adelie", "class_ids": 0}, {"classes": "Gentoo", "class_ids": 1}]
    assert rest.predict_body(outputs, columnar=False) == {"predictions": outputs}
    assert rest.predict_body(outputs, columnar=True) == {
        "outputs": {"classes": ["Adelie", "Gentoo"], "class_ids": [0, 1]}}
    single = [{"y": 3.5}, {"y": 4.0}]
    assert rest.predict_body(single, columnar=False) == {"predictions": [3.5, 4.0]}
    assert rest.predict_body(single, columnar=True) == {"outputs": [3.5, 4.0]}


def test_classify_and_regress_bodies_merge_the_context_into_each_example():
    # {"signature_name": <string>, "context": {"<feature_name3>": <value>|<list>},
    #  "examples": [{"<feature_name1>": <value>|<list>, ...}, ...]}
    rows = rest.example_rows({"context": {"island": "Biscoe"},
                              "examples": [{"sex": "male"}, {"sex": "female"}]})
    assert rows == [{"island": "Biscoe", "sex": "male"}, {"island": "Biscoe", "sex": "female"}]
    # "Features that appear here MUST NOT appear in examples"
    with pytest.raises(RestError, match="example 1 repeats context feature"):
        rest.example_rows({"context": {"island": "Biscoe"},
                           "examples": [{"sex": "male"}, {"island": "Dream"}]})


def test_classify_results_are_label_score_pairs_and_regress_results_values():
    # classify: {"result": [[[<label1>, <score1>], [<label2>, <score2>], ...], ...]}
    # regress:  {"results": [3.5, 4.0]}  (the half_plus_three example's answer)
    assert rest.classify_results([{"classes": ["low", "high"], "scores": [0.2, 0.8]}]) == [
        [["low", 0.2], ["high", 0.8]]]
    # "<label> ... can be an empty string "" if the model does not have a label"
    assert rest.classify_results([{"scores": [0.3, 0.7]}]) == [[["", 0.3], ["", 0.7]]]
    assert rest.regress_results([{"outputs": [3.5]}, {"outputs": 4.0}]) == [3.5, 4.0]


def test_status_and_metadata_follow_the_documented_json():
    # {"model_version_status": [{"version": "123", "state": "AVAILABLE",
    #                            "status": {"error_code": "OK", "error_message": ""}}]}
    assert rest.model_status([(123, "AVAILABLE", "")]) == {"model_version_status": [
        {"version": "123", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]}
    # {"model_spec": {"name": ..., "signature_name": "", "version": "123"},
    #  "metadata": {"signature_def": {"signature_def": {...}}}}
    metadata = {"signature_def": {"signature_def": {}}}
    assert rest.model_metadata("penguins", 2, metadata) == {
        "model_spec": {"name": "penguins", "signature_name": "", "version": "2"},
        "metadata": metadata}
