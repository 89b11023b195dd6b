"""A model's output arrays as TF Serving's JSON rows, with the receipt of each prediction."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .receipts import Receipt


@dataclass(frozen=True)
class Prediction:
    """One instance's model outputs (TF Serving row format) and the receipt that proves them."""

    outputs: dict
    receipt: Receipt

    @property
    def class_name(self) -> str | None:
        return self.outputs.get("classes")

    @property
    def class_id(self) -> int | None:
        return self.outputs.get("class_ids")

    @property
    def probabilities(self) -> list[float] | None:
        return self.outputs.get("probabilities")


def output_rows(arrays: dict, count: int) -> list[dict]:
    """Batched output arrays -> one plain-JSON dict per instance; bytes become str."""
    rows = [{} for _ in range(count)]
    for name, array in arrays.items():
        values = array.tolist()
        if array.dtype == object:  # string outputs: bytes, also nested in lists
            binary = name.endswith("_bytes")  # TF Serving's convention: base64, as {"b64": ...}
            values = [_text(value, binary) for value in values]
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    return rows


def _text(value, binary: bool):
    """Bytes (also nested in lists) as JSON text: UTF-8, or {"b64": ...} for binary outputs."""
    if isinstance(value, list):
        return [_text(v, binary) for v in value]
    if not isinstance(value, bytes):
        return value
    if binary:
        return {"b64": base64.b64encode(value).decode("ascii")}
    return value.decode("utf-8", errors="replace")


class CapturedRows:
    """A batch's output arrays, made rows for capture on first use (on the capture thread).

    These rows are not the ones handed to the caller, whose rows are the caller's to change.
    """

    def __init__(self, arrays: dict, count: int):
        self.arrays, self.count, self._rows = arrays, count, None

    def record(self, receipt: Receipt, features: dict, index: int) -> dict:
        """The capture record (one JSON line) of prediction `index` of the batch."""
        if self._rows is None:
            self._rows = output_rows(self.arrays, self.count)
        return {"prediction_id": receipt.prediction_id, "issued_at": receipt.issued_at,
                "features": features, "outputs": self._rows[index],
                "receipt": receipt.to_dict()}
