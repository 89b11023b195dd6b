"""The lineage library and commands stay free of TensorFlow and TFX (a fast `ledger trace`)."""

from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import sys; import pipeline.lineage, pipeline.commands.lineage\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tfx'))\n"
    "print(','.join(heavy))"
)


def test_importing_lineage_loads_no_tensorflow_or_tfx():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == ""
