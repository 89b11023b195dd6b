"""Predictor on the shared pipeline run: verified loading, accuracy, receipts, capture, tamper."""

from __future__ import annotations

import json
import os

import pytest

from pipeline.registry import DigestMismatchError
from pipeline.serving import InstanceError, Predictor
from pipeline.serving.capture import read_lines
from pipeline.serving.receipts import outputs_digest

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def predictor(served_home):
    with Predictor.load("penguins@1", served_home) as loaded:
        yield loaded


def _features(row: dict, label: str) -> dict:
    return {k: v for k, v in row.items() if k != label}


@pytest.mark.parametrize("identifier", ["penguins@1", "penguins@production",
                                        "penguins@latest-approved"])
def test_loads_by_each_identifier_form(served_home, shared_registry, identifier):
    expected = shared_registry.resolve(identifier)
    with Predictor.load(identifier, served_home, capture_rate=0) as loaded:
        assert loaded.version.identifier == expected.identifier
        assert loaded.loaded.path == expected.pushed_destination
        assert loaded.loaded.files_checked >= 4
        [prediction] = loaded.predict([{"island": "Biscoe"}])
    assert prediction.receipt.version == expected.version


def test_predicts_the_species_of_over_90_percent_of_the_csv(predictor, penguin_rows, penguins,
                                                           shared_registry):
    instances = [_features(row, penguins.label) for row in penguin_rows]
    predictions = predictor.predict(instances)
    pairs = zip(predictions, penguin_rows, strict=True)
    right = sum(p.class_name == row[penguins.label] for p, row in pairs)
    assert len(predictions) == len(penguin_rows) == 344
    assert right / len(penguin_rows) > 0.9
    digest = shared_registry.version("penguins", 1).model_digest
    assert {(p.receipt.model, p.receipt.version, p.receipt.model_digest)
            for p in predictions} == {("penguins", 1, digest)}
    assert len({p.receipt.prediction_id for p in predictions}) == 344
    assert all(abs(sum(p.probabilities) - 1) < 1e-4 for p in predictions)


def test_the_raw_feature_spec_comes_from_the_saved_model(predictor, penguins):
    expected = dict.fromkeys(penguins.numeric_features, "float")
    expected.update(dict.fromkeys(penguins.categorical_features, "bytes"))
    assert predictor.feature_spec == expected


def test_batch_and_single_predictions_agree(predictor, penguin_rows, penguins):
    instances = [_features(row, penguins.label) for row in penguin_rows[::70]]
    batch = [x for p in predictor.predict(instances) for x in p.probabilities]
    single = [x for i in instances for x in predictor.predict([i])[0].probabilities]
    assert len(batch) == 15 and batch == pytest.approx(single, abs=1e-6)


def test_the_flat_signature_call_answers_as_the_structured_call(predictor, penguin_rows,
                                                                  penguins):
    import dataclasses

    signature = predictor._signatures["serving_default"]
    assert signature.call is not None  # the fast path is the one predict() takes
    structured = dataclasses.replace(signature, call=None)
    instances = [_features(row, penguins.label) for row in penguin_rows[::35]]
    serialized, _ = predictor._encode(instances, signature.encoder)
    flat, slow = (s.run(predictor._constant, serialized) for s in (signature, structured))
    assert sorted(flat) == sorted(slow) == ["class_ids", "classes", "probabilities"]
    for name in flat:
        assert flat[name].shape[0] == len(instances) and (flat[name] == slow[name]).all()


def test_missing_features_are_absent_and_captured_as_null(predictor):
    row = {"island": "Dream", "bill_length_mm": 49.0, "flipper_length_mm": 200}
    absent, null = predictor.predict([row, dict(row, sex=None, body_mass_g=None)])
    assert absent.probabilities == pytest.approx(null.probabilities)
    predictor.capture.flush()
    [line] = [x for x in read_lines(predictor.capture.files[-1])
              if x["prediction_id"] == null.receipt.prediction_id]
    assert line["features"]["sex"] is None and line["features"]["bill_length_mm"] == 49.0
    assert line["outputs"] == null.outputs
    assert line["receipt"] == null.receipt.to_dict()


def test_the_capture_keeps_what_the_model_said_whatever_the_caller_does_to_outputs(predictor):
    [prediction] = predictor.predict([{"island": "Biscoe", "bill_length_mm": 46.5}])
    said = json.loads(json.dumps(prediction.outputs))
    prediction.outputs["probabilities"].append(2.0)  # the capture line is written later
    prediction.outputs["classes"] = "Dodo"
    predictor.capture.flush()
    [line] = [x for x in read_lines(predictor.capture.files[-1])
              if x["prediction_id"] == prediction.receipt.prediction_id]
    assert line["outputs"] == said and said["classes"] != "Dodo"
    assert line["receipt"] == prediction.receipt.to_dict()


@pytest.mark.parametrize(
    "instance, reason",
    [
        ({"island": 3}, "instance 0: feature 'island' is a string feature"),
        ({"bill_length_mm": "long"}, "feature 'bill_length_mm' is numeric"),
        ({"bill_length_mm": True}, "feature 'bill_length_mm' is numeric"),
        ({"bill_length": 40.0}, "has none of the model's features"),
        (["Biscoe"], "instance 0 is list, not an object"),
    ],
)
def test_bad_instances_are_refused_by_name(predictor, instance, reason):
    with pytest.raises(InstanceError, match=reason):
        predictor.predict([instance])


def test_capture_rate_zero_still_returns_receipts_but_writes_no_line(copy_registry):
    _, home = copy_registry
    with Predictor.load("penguins@1", home, capture_rate=0) as loaded:
        [prediction] = loaded.predict([{"island": "Biscoe", "bill_length_mm": 47.0}])
    assert prediction.receipt.prediction_id.startswith("penguins@1:")
    assert not os.path.exists(home.captures_root)


def test_a_changed_byte_in_the_pushed_model_stops_the_load_naming_the_file(copy_registry):
    registry, home = copy_registry
    with Predictor.load("penguins@production", home, capture_rate=0) as loaded:
        assert loaded.predict([{"island": "Biscoe"}])[0].class_name
    pushed = registry.resolve("penguins@production").pushed_destination
    target = os.path.join(pushed, "variables", "variables.data-00000-of-00001")
    with open(target, "r+b") as handle:
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 0x01]))
    with pytest.raises(DigestMismatchError, match="variables.data-00000-of-00001 changed"):
        Predictor.load("penguins@production", home)


def test_the_signature_runs_on_the_single_threaded_executor_or_falls_back(predictor):
    from tensorflow.python.framework import errors

    from pipeline.serving.signatures import FlatCall

    signature = predictor._signatures["serving_default"]
    assert signature.call.executor == FlatCall.SINGLE_THREADED
    serialized, _ = predictor._encode([{"island": "Biscoe", "bill_length_mm": 46.5}],
                                      signature.encoder)
    expected = signature.run(predictor._constant, serialized)
    with pytest.raises(errors.InvalidArgumentError):  # a bad input fails on both executors
        signature.call(predictor._constant([b"not an example"]))
    assert signature.call.executor == FlatCall.SINGLE_THREADED
    refused = FlatCall(signature.function, executor="NO_SUCH_EXECUTOR")
    answer = refused(predictor._constant(serialized))
    assert refused.executor == "default"
    assert all((answer[name].numpy() == expected[name]).all() for name in expected)


def test_concurrent_callers_get_the_answers_they_would_get_alone(predictor, penguin_rows,
                                                                penguins):
    import threading

    instances = [_features(row, penguins.label) for row in penguin_rows[::9]]
    alone = [predictor.predict([i])[0] for i in instances]
    shared_before = predictor.batcher.calls
    answers: dict[int, list] = {}

    def caller(offset: int):
        answers[offset] = [predictor.predict([instances[(offset + k) % len(instances)]])[0]
                           for k in range(3 * len(instances))]

    threads = [threading.Thread(target=caller, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for offset, predictions in answers.items():
        for k, prediction in enumerate(predictions):
            expected = alone[(offset + k) % len(instances)]
            assert prediction.class_name == expected.class_name
            assert prediction.probabilities == pytest.approx(expected.probabilities, abs=1e-6)
            assert prediction.receipt.outputs_sha256 == outputs_digest(prediction.outputs)
    assert sum(len(p) for p in answers.values()) == 8 * 3 * len(instances)
    print(f"shared model calls: {predictor.batcher.calls - shared_before}")
