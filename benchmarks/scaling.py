"""One data-scaling run in this process: N synthetic penguin-shaped rows through
TypedCsvExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator -> DataLineage. Prints JSON
with time, the RSS before the run (imports) and the peak RSS, overall and per component.

python -m benchmarks.scaling ROWS WORKDIR
"""
from __future__ import annotations

import json
import os
import random
import sys
import time

from benchmarks import memory
from pipeline.config import DatasetConfig

ISLANDS = ("Biscoe", "Dream", "Torgersen")
SPECIES = (("Adelie", 38.8, 18.3, 190, 3700), ("Chinstrap", 48.8, 18.4, 196, 3733),
           ("Gentoo", 47.5, 15.0, 217, 5076))


def write_rows(path: str, rows: int, seed: int = 11) -> None:
    """Rows shaped like the bundled data: 4 measurements, 2 categories, a label, ~1% gaps."""
    rng = random.Random(seed)
    with open(path, "w") as out:
        out.write("species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,"
                  "sex,year\n")
        for _ in range(rows):
            name, *means = rng.choice(SPECIES)
            values = [f"{rng.gauss(m, m * 0.05):.1f}" for m in means]
            if rng.random() < 0.01:
                values[rng.randrange(4)] = "NA"
            sex = rng.choice(("male", "female", "NA"))
            out.write(f"{name},{rng.choice(ISLANDS)},{','.join(values)},{sex},2008\n")


def dataset(path: str) -> DatasetConfig:
    return DatasetConfig(
        name="synthetic", path=path, label="species",
        numeric_features=["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
        categorical_features=["island", "sex"], missing_values=["NA", ""])


def build(config: DatasetConfig, workdir: str):
    from tfx import v1 as tfx

    from components.data_lineage.lineage import recorded_properties
    from pipeline.pipeline import DEFAULT_BEAM_ARGS, data_components

    # Scaling measures ingestion and lineage; Transform's cost is the model's, not the data's.
    lineage_nodes = data_components(config, config.data_dir,
                                    recorded_properties(config.data_dir), with_transform=False)
    return tfx.dsl.Pipeline(
        pipeline_name="scaling", pipeline_root=os.path.join(workdir, "root"),
        components=lineage_nodes, enable_cache=False,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            os.path.join(workdir, "metadata.sqlite")),
        beam_pipeline_args=DEFAULT_BEAM_ARGS)


def main(argv: list[str]) -> int:
    rows, workdir = int(argv[1]), argv[2]
    os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
    path = os.path.join(workdir, "data", "rows.csv")
    write_rows(path, rows)
    from tfx import v1 as tfx

    pipeline = build(dataset(path), workdir)
    # TensorFlow and TFX are imported by now: what the process holds before any data moves.
    baseline_mb, import_peak_mb = memory.rss_mb(), memory.peak_rss_mb()
    components: dict = {}
    started = time.monotonic()
    with memory.component_peaks(components):
        tfx.orchestration.LocalDagRunner().run(pipeline)
    seconds = time.monotonic() - started
    # Not ru_maxrss: resetting VmHWM per component resets it too.
    peak_mb = max(import_peak_mb, *components.values())
    print("BENCH " + json.dumps({
        "rows": rows, "in_runner_s": round(seconds, 2), "rows_per_s": round(rows / seconds),
        "us_per_row": round(seconds / rows * 1e6, 2), "baseline_rss_mb": round(baseline_mb),
        "peak_rss_mb": round(peak_mb), "above_baseline_mb": round(peak_mb - baseline_mb),
        "component_peak_rss_mb": components,
        "csv_mb": round(os.path.getsize(path) / 2**20, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
