"""Sufficiency at ingestion: rows per split and per label class, and the rare-class policy."""
from __future__ import annotations

import pytest

from components.csv_ingest.parsing import CsvInputError
from components.csv_ingest.sufficiency import ClassCounts, Sufficiency, check

SPLITS = ["train", "eval"]


def _counts(**per_class) -> ClassCounts:
    counts = ClassCounts()
    for label, (train, evaluation) in per_class.items():
        for split, n in (("train", train), ("eval", evaluation)):
            for _ in range(n):
                counts.add(split, label)
    return counts


def test_enough_rows_pass_and_drop_nothing():
    assert check(_counts(a=(20, 10), b=(8, 4)), SPLITS, Sufficiency(), "d.csv", "y") == {}


def test_one_row_names_the_empty_split_and_counts():
    with pytest.raises(CsvInputError, match=r"d.csv: split 'train' would get 1 row\(s\), fewer "
                                            r"than min_split_rows=10 \(rows per split: train 1, "
                                            r"eval 0\)"):
        check(_counts(a=(1, 0)), SPLITS, Sufficiency(), "d.csv", "y")


def test_rare_class_is_refused_by_default_naming_class_and_counts():
    with pytest.raises(CsvInputError) as err:
        check(_counts(a=(20, 10), b=(20, 10), rare=(0, 1)), SPLITS, Sufficiency(), "d.csv", "y")
    message = str(err.value)
    assert "d.csv: label column 'y': class(es) 'rare' (1 row(s): train 0, eval 1)" in message
    assert "min_class_rows=5" in message and "rare_classes: drop" in message


def test_class_missing_from_eval_is_rare_even_when_frequent():
    with pytest.raises(CsvInputError, match=r"'b' \(9 row\(s\): train 9, eval 0\)"):
        check(_counts(a=(20, 10), b=(9, 0)), SPLITS, Sufficiency(), "d.csv", "y")


def test_drop_policy_returns_the_dropped_classes_with_counts():
    rules = Sufficiency(rare_classes="drop")
    dropped = check(_counts(a=(20, 10), b=(20, 10), rare=(0, 1), few=(2, 1)), SPLITS, rules,
                    "d.csv", "y")
    assert dropped == {"few": {"train": 2, "eval": 1}, "rare": {"train": 0, "eval": 1}}


def test_drop_policy_still_needs_enough_rows_left():
    rules = Sufficiency(min_split_rows=5, rare_classes="drop")
    with pytest.raises(CsvInputError, match=r"split 'eval' would get 3 row\(s\) after dropping "
                                            r"1 rare class\(es\)"):
        check(_counts(a=(10, 3), rare=(0, 4)), SPLITS, rules, "d.csv", "y")


def test_minimums_are_configurable():
    small = Sufficiency(min_split_rows=1, min_class_rows=2)
    assert check(_counts(a=(1, 1), b=(1, 1)), SPLITS, small, "d.csv", "y") == {}
    assert small.to_dict() == {"min_split_rows": 1, "min_class_rows": 2}
    assert Sufficiency().to_dict() == {}
