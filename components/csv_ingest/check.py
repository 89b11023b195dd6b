"""Check a CSV against its dataset config in a second, before a pipeline run.

    python -m components.csv_ingest.check data/penguins.yaml

Parses every row as ingestion will (encoding, delimiter, header, types, labels) and prints
the rows per label class, the classes below min_class_rows, and the file(s) and SHA-256 the
dataset version id will cover. The per-split checks need TFX's hash partition and run at
ingestion, before Beam starts. Exit status 1 and one line naming file and line on bad input.
"""
from __future__ import annotations

import sys
from collections import Counter

from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows
from pipeline.config import DatasetConfig, DatasetConfigError, load_dataset_config
from pipeline.digest import sha256_file


def column_types(config: DatasetConfig) -> ColumnTypes:
    """The ColumnTypes ingestion reads this config's CSV with (pipeline/pipeline.py)."""
    return ColumnTypes(
        numeric=tuple(config.numeric_features),
        strings=(config.label, *config.categorical_features),
        missing_values=tuple(config.missing_values), label=config.label,
        delimiter=config.delimiter, column_names=tuple(config.column_names),
        has_header=config.has_header)


def check(config_path: str) -> list[str]:
    """Report lines for a config's CSV; raises DatasetConfigError or CsvInputError."""
    config = load_dataset_config(config_path)
    types = column_types(config)
    with open(config.path, "rb") as raw:
        classes = Counter(row[config.label] for row in read_rows(
            open_text(raw, config.path), types, config.path))
    rare = sorted(label for label, n in classes.items() if n < config.min_class_rows)
    lines = [f"{config.path}: {sum(classes.values())} rows, {len(classes)} classes of "
             f"'{config.label}'"]
    lines += [f"  {label}: {n}" for label, n in sorted(classes.items())]
    if rare:
        action = "dropped" if config.rare_classes == "drop" else "refused"
        lines.append(f"below min_class_rows={config.min_class_rows} ({action}): "
                     + ", ".join(rare))
    lines.append(f"dataset id covers: {config.file_pattern} sha256 {sha256_file(config.path)}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        print("\n".join(check(argv[0])))
    except (DatasetConfigError, CsvInputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
