"""Dataset config parsing: the bundled config, and every way a config can be wrong."""
from __future__ import annotations

import pytest

from pipeline.config import DatasetConfig, DatasetConfigError, load_dataset_config
from pipeline.paths import DEFAULT_DATASET_CONFIG


def test_bundled_config_describes_penguins():
    config = load_dataset_config(DEFAULT_DATASET_CONFIG)
    assert config.name == "penguins" and config.label == "species"
    assert config.numeric_features == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                       "body_mass_g"]
    assert config.categorical_features == ["island", "sex"]
    assert config.file_pattern == "penguins.csv" and config.data_dir.endswith("data/penguins")
    assert "NA" in config.missing_values


def test_round_trips_through_json():
    config = load_dataset_config(DEFAULT_DATASET_CONFIG)
    assert DatasetConfig.from_json(config.to_json()) == config


def _write(tmp_path, text, csv=True):
    if csv:
        (tmp_path / "d.csv").write_text("a,b,y\n1,x,p\n")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, message", [
    ("name: m\npath: d.csv\n", "missing required key(s): label"),
    ("name: m\npath: d.csv\nlabel: y\n", "no numeric_features or categorical_features"),
    ("name: m\npath: d.csv\nlabel: y\nnumeric_features: a\n", "'numeric_features' must be a list"),
    ("name: m\npath: d.csv\nlabel: y\nnumeric_features: [a, a]\n", "'a' is listed twice"),
    ("name: m\npath: d.csv\nlabel: y\nnumeric_features: [a]\nslice_by: [b]\n",
     "slice_by column 'b' is not a categorical feature"),
    ("name: m\npath: d.csv\nlabel: y\nnumeric_features: [a]\ncolour: red\n", "unknown key(s): colour"),
    ("name: 'a b'\npath: d.csv\nlabel: y\nnumeric_features: [a]\n", "must be letters, digits"),
    ("name: m\npath: nope.csv\nlabel: y\nnumeric_features: [a]\n", "data file not found"),
    ("- just\n- a list\n", "expected a mapping"),
    ("name: [unclosed\n", "not valid YAML/JSON"),
])
def test_bad_configs_are_named(tmp_path, text, message):
    with pytest.raises(DatasetConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset_config(_write(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(DatasetConfigError, match="dataset config not found"):
        load_dataset_config(str(tmp_path / "absent.yaml"))


def test_json_config_is_accepted(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,p\n")
    path = tmp_path / "c.json"
    path.write_text('{"name": "m", "path": "d.csv", "label": "y", "numeric_features": ["a"]}')
    assert load_dataset_config(str(path)).numeric_features == ["a"]
