"""`ledger` with test hooks that mark when a node runs and can hold it there to be killed.

Run as a script: `python tests/reliability/hooked_ledger.py --home ... run ...` (same arguments as
`ledger`). Environment:
  LEDGER_RELIABILITY_MARKERS  directory; `<node>.started` is written when a node's work begins
                              and `<node>.done` when its work is done but not yet published
  LEDGER_RELIABILITY_HOLD     node id: after its work is done, sleep instead of publishing, so
                              a kill lands where side effects exist but MLMD says RUNNING
Nothing is patched when neither is set, so the run is exactly `ledger run`.
"""
from __future__ import annotations

import os
import sys
import time

MARKERS_ENV = "LEDGER_RELIABILITY_MARKERS"
HOLD_ENV = "LEDGER_RELIABILITY_HOLD"
IMPORTER_ID = "RawDataImporter"


def _mark(node: str, event: str) -> None:
    directory = os.environ.get(MARKERS_ENV)
    if directory:
        with open(os.path.join(directory, f"{node}.{event}"), "w") as handle:
            handle.write(str(time.time()))


def _after_work(node: str) -> None:
    _mark(node, "done")
    if os.environ.get(HOLD_ENV) == node:
        time.sleep(3600)  # the test kills the process group long before this ends


def _install_hooks() -> None:
    """Wrap the launcher's executor call and the importer's artifact step (TFX 1.16 internals)."""
    from tfx.dsl.components.common import importer
    from tfx.orchestration.portable import launcher

    run_executor = launcher.Launcher._run_executor

    def hooked_run_executor(self, execution_info):
        node = self._pipeline_node.node_info.id
        _mark(node, "started")
        output = run_executor(self, execution_info)
        _after_work(node)
        return output

    generate = importer.generate_output_dict

    def hooked_generate(*args, **kwargs):
        _mark(IMPORTER_ID, "started")
        outputs = generate(*args, **kwargs)
        _after_work(IMPORTER_ID)
        return outputs

    launcher.Launcher._run_executor = hooked_run_executor
    importer.generate_output_dict = hooked_generate


def main(argv: list[str]) -> int:
    if os.environ.get(MARKERS_ENV) or os.environ.get(HOLD_ENV):
        _install_hooks()
    from pipeline.cli import main as ledger_main

    return ledger_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
