"""This process's resident memory, overall and per pipeline component (Linux /proc)."""
from __future__ import annotations

import contextlib
import re

_STATUS = "/proc/self/status"


def _status_mb(field: str) -> float:
    with open(_STATUS) as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def rss_mb() -> float:
    """Resident set size now."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Highest resident set size since the process started or the last reset_peak()."""
    return _status_mb("VmHWM")


def reset_peak() -> bool:
    """Restarts VmHWM from the current RSS, so the next peak is one stage's; False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


@contextlib.contextmanager
def component_peaks(into: dict):
    """While active, fills `into` with {node id: peak RSS in MB while that component ran}.

    Wraps LocalDagRunner's per-node Launcher.launch. Resetting VmHWM also resets ru_maxrss
    (both read the kernel's high-water mark), so take the overall peak as the max of these.
    Where the kernel refuses the reset, each figure is the process peak so far.
    """
    from tfx.orchestration.portable import launcher

    original = launcher.Launcher.launch

    def measured_launch(self, *args, **kwargs):
        reset_peak()
        try:
            return original(self, *args, **kwargs)
        finally:
            into[self._pipeline_node.node_info.id] = round(peak_rss_mb())

    launcher.Launcher.launch = measured_launch
    try:
        yield into
    finally:
        launcher.Launcher.launch = original
