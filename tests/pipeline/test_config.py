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
    ("name: m\npath: d.csv\nlabel: y\nnumeric_features: [a]\ncolour: red\n",
     "unknown key(s): colour"),
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


@pytest.mark.parametrize("extra, message", [
    ("delimiter: ';;'\n", "delimiter must be one character"),
    ("has_header: false\n", "has_header: false needs column_names"),
    ("column_names: [a, b]\n", "column(s) y are not in column_names"),
    ("min_split_rows: 0\n", "min_split_rows must be a whole number >= 1, not 0"),
    ("min_class_rows: many\n", "min_class_rows must be a whole number >= 1, not 'many'"),
    ("rare_classes: keep\n", "rare_classes must be one of refuse, drop, not 'keep'"),
])
def test_bad_dialect_and_sufficiency_options_are_named(tmp_path, extra, message):
    text = "name: m\npath: d.csv\nlabel: y\nnumeric_features: [a]\n" + extra
    with pytest.raises(DatasetConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset_config(_write(tmp_path, text))


def test_dialect_and_sufficiency_options_are_read(tmp_path):
    text = ("name: m\npath: d.csv\nlabel: y\nnumeric_features: [a]\ndelimiter: \"\\t\"\n"
            "min_split_rows: 3\nmin_class_rows: 2\nrare_classes: drop\n")
    config = load_dataset_config(_write(tmp_path, text))
    assert (config.delimiter, config.min_split_rows, config.min_class_rows,
            config.rare_classes) == ("\t", 3, 2, "drop")
    assert DatasetConfig.from_json(config.to_json()) == config


def test_path_naming_a_directory_says_so(tmp_path):
    (tmp_path / "csvdir").mkdir()
    text = "name: m\npath: csvdir\nlabel: y\nnumeric_features: [a]\n"
    with pytest.raises(DatasetConfigError, match="path names a directory, not a CSV file: .*dir"):
        load_dataset_config(_write(tmp_path, text))


def test_path_inside_an_installed_package(tmp_path):
    text = ("name: iris\npath: pkg:sklearn/datasets/data/iris.csv\nlabel: y\n"
            "numeric_features: [a]\ncolumn_names: [a, b, c, d, y]\n")
    config = load_dataset_config(_write(tmp_path, text, csv=False))
    assert config.path.endswith("sklearn/datasets/data/iris.csv")
    assert config.file_pattern == "iris.csv"
    with pytest.raises(DatasetConfigError, match="package 'no_such_pkg' of .* is not installed"):
        load_dataset_config(_write(tmp_path, text.replace("sklearn", "no_such_pkg"), csv=False))
