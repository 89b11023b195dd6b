"""Runs one pipeline in this process and prints its in-runner time as JSON.

python -m benchmarks.pipelines ours HOME
python -m benchmarks.pipelines ours-force HOME   (never reuses an unchanged run: TFX's caching)
python -m benchmarks.pipelines reference HOME   (TFX's own penguin example, keras, no tuner)
python -m benchmarks.pipelines reference-as-shipped HOME   (the same, with its own Beam settings)
"""
from __future__ import annotations

import csv
import json
import os
import sys
import time

from pipeline.paths import PROJECT_ROOT

SPECIES = {"Adelie": 0, "Chinstrap": 1, "Gentoo": 2}
REFERENCE_COLUMNS = {"bill_length_mm": "culmen_length_mm", "bill_depth_mm": "culmen_depth_mm",
                     "flipper_length_mm": "flipper_length_mm", "body_mass_g": "body_mass_g"}


def write_reference_data(data_root: str) -> str:
    """The bundled penguins rows in the form TFX's example expects (its data is not in the
    wheel): numeric columns renamed to culmen_*, species as 0/1/2, rows with gaps dropped."""
    out_dir = os.path.join(data_root, "labelled")
    target = os.path.join(out_dir, "penguins.csv")
    if os.path.exists(target):  # rewriting it would change ExampleGen's size+mtime fingerprint
        return data_root
    os.makedirs(out_dir, exist_ok=True)
    source = os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv")
    with open(source) as handle, open(target, "w") as out:
        writer = csv.writer(out)
        writer.writerow(["species", *REFERENCE_COLUMNS.values()])
        for row in csv.DictReader(handle):
            values = [row[c] for c in REFERENCE_COLUMNS]
            if "NA" not in values:
                writer.writerow([SPECIES[row["species"]], *values])
    return data_root


# "same": the DirectRunner settings our pipeline uses, so the comparison is of the pipelines;
# "as-shipped": the example's own settings (penguin_pipeline_local.py's __main__).
REFERENCE_BEAM_ARGS = {
    "same": ["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    "as-shipped": ["--direct_running_mode=multi_processing", "--direct_num_workers=0"],
}


def run_ours(home: str, reuse_unchanged: bool = True) -> tuple[float, bool]:
    from pipeline.config import load_dataset_config
    from pipeline.local_runner import run_local
    from pipeline.paths import DEFAULT_DATASET_CONFIG, LedgerPaths

    summary = run_local(load_dataset_config(DEFAULT_DATASET_CONFIG), LedgerPaths(home),
                        reuse_unchanged=reuse_unchanged)
    return summary.seconds, bool(summary.reused_from)


def run_reference(home: str, beam: str = "same") -> float:
    from tfx import v1 as tfx
    from tfx.examples.penguin import penguin_pipeline_local as reference

    module_file = os.path.join(os.path.dirname(reference.__file__), "penguin_utils_keras.py")
    pipeline = reference.create_pipeline(
        pipeline_name="penguin-reference", pipeline_root=os.path.join(home, "pipelines"),
        data_root=write_reference_data(os.path.join(home, "data")), module_file=module_file,
        accuracy_threshold=0.6, serving_model_dir=os.path.join(home, "serving"),
        metadata_path=os.path.join(home, "metadata.sqlite"), user_provided_schema_path=None,
        enable_tuning=False, enable_bulk_inferrer=False, enable_example_diff=False,
        examplegen_input_config=None, examplegen_range_config_date=None,
        resolver_range_config=None,
        beam_pipeline_args=REFERENCE_BEAM_ARGS[beam],
        enable_transform_input_cache=False)
    started = time.monotonic()
    tfx.orchestration.LocalDagRunner().run(pipeline)
    return time.monotonic() - started, False


def main(argv: list[str]) -> int:
    which, home = argv[1], argv[2]
    if which == "reference-as-shipped":
        seconds, reused = run_reference(home, beam="as-shipped")
    elif which == "ours-force":
        seconds, reused = run_ours(home, reuse_unchanged=False)
    else:
        seconds, reused = {"ours": run_ours, "reference": run_reference}[which](home)
    print("BENCH " + json.dumps({"pipeline": which, "in_runner_s": round(seconds, 2),
                                 "reused_unchanged_run": reused}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
