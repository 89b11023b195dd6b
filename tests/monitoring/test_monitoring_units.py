"""Units without a pipeline run: span configs, thresholds files, report rendering, lazy imports."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline.config import DatasetConfigError, load_dataset_config
from pipeline.monitoring.report import DriftResult, FeatureDrift, feature_table
from pipeline.monitoring.thresholds import Thresholds, ThresholdsError, load_thresholds
from pipeline.paths import PROJECT_ROOT

CONFIG = "name: p\npath: {path}\nlabel: y\nnumeric_features: [x]\n"


def _config(tmp_path, path: str, spans=("span-1",)):
    for span in spans:
        (tmp_path / "spans" / span).mkdir(parents=True)
        (tmp_path / "spans" / span / "d.csv").write_text("x,y\n1,a\n")
    (tmp_path / "c.yaml").write_text(CONFIG.format(path=path))
    return str(tmp_path / "c.yaml")


def test_a_span_config_reads_the_span_directories_under_its_root(tmp_path):
    dataset = load_dataset_config(_config(tmp_path, "spans/span-{SPAN}/d.csv"))
    assert dataset.has_spans
    assert dataset.data_dir == str(tmp_path / "spans")
    assert dataset.file_pattern == "span-{SPAN}/d.csv"


def test_a_plain_config_is_unchanged(tmp_path):
    dataset = load_dataset_config(_config(tmp_path, "spans/span-1/d.csv"))
    assert not dataset.has_spans
    assert (dataset.data_dir, dataset.file_pattern) == (str(tmp_path / "spans" / "span-1"), "d.csv")


@pytest.mark.parametrize("path, message", [
    ("spans/span-1/d-{SPAN}.csv", "must appear once, in a directory name"),
    ("spans/{SPAN}/{SPAN}/d.csv", "must appear once, in a directory name"),
    ("other-{SPAN}/d.csv", "no span matches"),
])
def test_bad_span_paths_are_refused(tmp_path, path, message):
    with pytest.raises(DatasetConfigError, match=message):
        load_dataset_config(_config(tmp_path, path))


def test_thresholds_file_overrides_defaults_per_kind_and_feature(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("numeric: 0.2\nfeatures:\n  island: 0.05\n")
    thresholds = load_thresholds(str(path))
    assert thresholds.for_feature("body_mass_g", "numeric") == 0.2
    assert thresholds.for_feature("island", "categorical") == 0.05
    assert thresholds.for_feature("sex", "categorical") == Thresholds().defaults["categorical"]


@pytest.mark.parametrize("text, message", [
    ("numeric: 2\n", "number in \\[0, 1\\]"),
    ("features:\n  island: high\n", "features.island"),
    ("numerc: 0.1\n", "unknown key"),
    ("[1, 2]\n", "expected a mapping"),
])
def test_bad_thresholds_files_are_refused(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ThresholdsError, match=message):
        load_thresholds(str(path))


def test_table_shows_score_threshold_and_why():
    features = [
        FeatureDrift("body_mass_g", "numeric", "jensen_shannon_divergence", 0.8, 0.15, True),
        FeatureDrift("island", "categorical", "l_infinity", 0.05, 0.15,
                     anomalies=["Unexpected string values"]),
        FeatureDrift("sex", "categorical", "l_infinity", None, 0.15, missing=True),
    ]
    result = DriftResult("m", 1, "t", 10, [], {}, "defaults", features)
    lines = feature_table(result).splitlines()
    assert lines[0].split() == ["FEATURE", "KIND", "METRIC", "SCORE", "THRESHOLD", "STATUS"]
    assert lines[1].split()[3:] == ["0.8000", "0.1500", "DRIFT"]
    assert lines[2].endswith("SKEW: Unexpected string values")
    assert lines[3].split()[3] == "-" and "MISSING" in lines[3]
    assert result.flagged == ["body_mass_g", "island", "sex"]
    assert result.max_scores() == {"jensen_shannon_divergence": 0.8, "l_infinity": 0.05}


def test_the_monitor_commands_import_neither_tensorflow_nor_tfdv():
    code = ("import sys, pipeline.commands.monitor\n"
            "heavy = [m for m in ('tensorflow', 'tfx', 'tensorflow_data_validation', 'pandas')"
            " if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    env = dict(os.environ, PYTHONPATH=PROJECT_ROOT)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
