"""Dataset configs: which CSV, which label, which numeric and categorical feature columns."""
from __future__ import annotations

import glob
import importlib.util
import json
import os
from dataclasses import asdict, dataclass, field

import yaml

REQUIRED_KEYS = ("name", "path", "label")
# A `path` with this in one directory name reads numbered spans (TFX's ExampleGen span spec):
# `spans/span-{SPAN}/data.csv` trains on the newest `spans/span-<N>/data.csv`.
SPAN_SPEC = "{SPAN}"
# `path: pkg:sklearn/datasets/data/iris.csv` names a file shipped inside an installed package.
PACKAGE_SCHEME = "pkg:"
RARE_CLASS_POLICIES = ("refuse", "drop")  # components/csv_ingest/sufficiency.py


class DatasetConfigError(ValueError):
    """A dataset config file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class DatasetConfig:
    """What the pipeline needs to know about a CSV; nothing in the code is tied to one dataset."""

    name: str
    path: str
    label: str
    numeric_features: list[str] = field(default_factory=list)
    categorical_features: list[str] = field(default_factory=list)
    missing_values: list[str] = field(default_factory=lambda: [""])
    slice_by: list[str] = field(default_factory=list)
    delimiter: str = ","
    column_names: list[str] = field(default_factory=list)  # replace the header's names
    has_header: bool = True
    min_split_rows: int = 10
    min_class_rows: int = 5
    rare_classes: str = "refuse"

    @property
    def has_spans(self) -> bool:
        return SPAN_SPEC in self.path

    @property
    def data_dir(self) -> str:
        """ExampleGen's input_base: the CSV's directory, or the directory holding the spans."""
        if self.has_spans:
            return os.path.dirname(self.path[:self.path.index(SPAN_SPEC)])
        return os.path.dirname(self.path)

    @property
    def file_pattern(self) -> str:
        """The CSV relative to data_dir; `span-{SPAN}/data.csv` for a span config."""
        return os.path.relpath(self.path, self.data_dir)

    @property
    def columns(self) -> list[str]:
        return [self.label, *self.numeric_features, *self.categorical_features]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DatasetConfig":
        return cls(**json.loads(text))


_SCALAR_OPTIONS = ("delimiter", "has_header", "min_split_rows", "min_class_rows", "rare_classes")


def _as_list(raw: dict, key: str, source: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetConfigError(f"{source}: '{key}' must be a list of column names")
    return value


def _check(config: DatasetConfig, source: str) -> None:
    features = config.numeric_features + config.categorical_features
    if not features:
        raise DatasetConfigError(f"{source}: no numeric_features or categorical_features given")
    seen = set()
    for column in config.columns:
        if column in seen:
            raise DatasetConfigError(f"{source}: column '{column}' is listed twice")
        seen.add(column)
    for column in config.slice_by:
        if column not in config.categorical_features:
            raise DatasetConfigError(
                f"{source}: slice_by column '{column}' is not a categorical feature")
    if not config.name.replace("-", "").replace("_", "").isalnum():
        raise DatasetConfigError(f"{source}: name '{config.name}' must be letters, digits, - or _")
    _check_dialect(config, source)
    _check_sufficiency(config, source)


def _check_dialect(config: DatasetConfig, source: str) -> None:
    if len(config.delimiter) != 1 or config.delimiter in ('"', "\r", "\n"):
        raise DatasetConfigError(
            f"{source}: delimiter must be one character other than a quote or newline, "
            f"not {config.delimiter!r} (a tab is written \"\\t\")")
    if not config.has_header and not config.column_names:
        raise DatasetConfigError(f"{source}: has_header: false needs column_names")
    unnamed = [c for c in config.columns if config.column_names and c not in config.column_names]
    if unnamed:
        raise DatasetConfigError(
            f"{source}: column(s) {', '.join(unnamed)} are not in column_names")


def _check_sufficiency(config: DatasetConfig, source: str) -> None:
    for key in ("min_split_rows", "min_class_rows"):
        value = getattr(config, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DatasetConfigError(f"{source}: {key} must be a whole number >= 1, not {value!r}")
    if config.rare_classes not in RARE_CLASS_POLICIES:
        raise DatasetConfigError(
            f"{source}: rare_classes must be one of {', '.join(RARE_CLASS_POLICIES)}, "
            f"not {config.rare_classes!r}")


def _resolve_path(path: str, config_path: str) -> str:
    """`path` relative to the config file, or `pkg:<package>/<file>` inside an installed package."""
    if path.startswith(PACKAGE_SCHEME):
        package, _, rest = path[len(PACKAGE_SCHEME):].partition("/")
        spec = importlib.util.find_spec(package) if package.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            raise DatasetConfigError(
                f"{config_path}: package '{package}' of {path} is not installed")
        return os.path.join(list(spec.submodule_search_locations)[0], rest)
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(config_path)), path))


def read_yaml_file(path: str, what: str, error: type[ValueError]):
    """The document in a YAML (or JSON) file; `error` saying "`what` not found" or naming the
    file when it is missing or not YAML."""
    if not os.path.isfile(path):
        raise error(f"{what} not found: {path}")
    with open(path, encoding="utf-8") as handle:
        try:
            return yaml.safe_load(handle)
        except yaml.YAMLError as err:
            raise error(f"{path}: not valid YAML/JSON: {err}") from err


def load_dataset_config(path: str) -> DatasetConfig:
    """Reads a YAML or JSON dataset config; `path` inside it is relative to the config file."""
    raw = read_yaml_file(path, "dataset config", DatasetConfigError)
    if not isinstance(raw, dict):
        raise DatasetConfigError(f"{path}: expected a mapping of keys to values")
    missing = [k for k in REQUIRED_KEYS if not raw.get(k)]
    if missing:
        raise DatasetConfigError(f"{path}: missing required key(s): {', '.join(missing)}")
    unknown = set(raw) - {f for f in DatasetConfig.__dataclass_fields__}
    if unknown:
        raise DatasetConfigError(f"{path}: unknown key(s): {', '.join(sorted(unknown))}")
    config = DatasetConfig(
        name=str(raw["name"]),
        path=_resolve_path(str(raw["path"]), path),
        label=str(raw["label"]),
        numeric_features=_as_list(raw, "numeric_features", path),
        categorical_features=_as_list(raw, "categorical_features", path),
        missing_values=[str(v) for v in raw.get("missing_values", [""])],
        slice_by=_as_list(raw, "slice_by", path),
        column_names=_as_list(raw, "column_names", path),
        **{key: raw[key] for key in _SCALAR_OPTIONS if key in raw},
    )
    _check(config, path)
    if config.has_spans:
        _check_spans(config, path)
    elif os.path.isdir(config.path):
        raise DatasetConfigError(
            f"{path}: path names a directory, not a CSV file: {config.path} "
            "(name the file in it, e.g. path: <dir>/data.csv)")
    elif not os.path.isfile(config.path):
        raise DatasetConfigError(f"{path}: data file not found: {config.path}")
    return config


def _check_spans(config: DatasetConfig, source: str) -> None:
    """`{SPAN}` once, in a directory name (a span is a directory), and at least one span."""
    directory, name = os.path.split(config.path)
    if config.path.count(SPAN_SPEC) != 1 or SPAN_SPEC in name:
        raise DatasetConfigError(
            f"{source}: {SPAN_SPEC} must appear once, in a directory name "
            f"(e.g. spans/span-{SPAN_SPEC}/data.csv)")
    if not glob.glob(os.path.join(directory.replace(SPAN_SPEC, "*"), name)):
        raise DatasetConfigError(f"{source}: no span matches {config.path}")
