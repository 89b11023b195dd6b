"""`python -m components.csv_ingest.check CONFIG`: the quick check before a run."""
from __future__ import annotations

import os

from components.csv_ingest import check
from pipeline.paths import PROJECT_ROOT


def test_bundled_and_package_configs_report_classes_and_covered_file(capsys):
    assert check.main([os.path.join(PROJECT_ROOT, "data", "chicago_taxi.yaml")]) == 0
    out = capsys.readouterr().out
    assert "15002 rows, 7 classes of 'payment_type'" in out and "  Prcard: 1" in out
    assert "below min_class_rows=5 (dropped): Dispute, Pcard, Prcard" in out
    assert "dataset id covers: data.csv sha256 " in out


def test_semicolon_file_is_refused_naming_the_delimiter(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("species;mass\nAdelie;3\n")
    (tmp_path / "c.yaml").write_text("name: s\npath: data.csv\nlabel: species\n"
                                     "numeric_features: [mass]\n")
    assert check.main([str(tmp_path / "c.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'data.csv'}:1: configured column(s) missing")
    assert 'set `delimiter: ";"`' in err
