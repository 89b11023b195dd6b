"""Whether the rows of a CSV are enough to train and evaluate: rows per split, rows per class.

Checked at ingestion, before Beam starts, on the split each row will be hashed into. A label
class below the minimum, or absent from a split, is refused by default: with no train rows its
eval rows reach the Trainer unmapped (the label vocabulary comes from train), with no eval rows
it trains as a class nobody evaluates. `rare_classes: drop` leaves such classes out instead,
and the dropped classes and their row counts are recorded in the DatasetVersion.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from components.csv_ingest.dialect import CsvInputError

REFUSE, DROP = "refuse", "drop"
RARE_CLASS_POLICIES = (REFUSE, DROP)
MAX_CLASSES_NAMED = 10


@dataclass(frozen=True)
class Sufficiency:
    """Minimums a dataset must meet, and what to do with label classes below them."""

    min_split_rows: int = 10
    min_class_rows: int = 5
    rare_classes: str = REFUSE

    @classmethod
    def from_dict(cls, raw: dict | None) -> "Sufficiency":
        return cls(**(raw or {}))

    def to_dict(self) -> dict:
        """Only what differs from the defaults (so existing compiled specs do not change)."""
        default = Sufficiency()
        return {k: v for k, v in vars(self).items() if v != getattr(default, k)}


@dataclass
class ClassCounts:
    """Rows per (split, label class), counted while scanning the files."""

    by_split: dict[str, Counter] = field(default_factory=dict)

    def add(self, split: str, label: str) -> None:
        self.by_split.setdefault(split, Counter())[label] += 1

    def total(self, label: str) -> int:
        return sum(counts[label] for counts in self.by_split.values())

    def classes(self) -> list[str]:
        return sorted({label for counts in self.by_split.values() for label in counts})


def _describe(counts: ClassCounts, label: str, splits: list[str]) -> str:
    per_split = ", ".join(f"{s} {counts.by_split.get(s, Counter())[label]}" for s in splits)
    return f"'{label}' ({counts.total(label)} row(s): {per_split})"


def rare_classes(counts: ClassCounts, splits: list[str], rules: Sufficiency) -> list[str]:
    """Classes with fewer than min_class_rows rows, or with no row in one of the splits."""
    return [label for label in counts.classes()
            if counts.total(label) < rules.min_class_rows
            or any(not counts.by_split.get(s, Counter())[label] for s in splits)]


def check(counts: ClassCounts, splits: list[str], rules: Sufficiency, source: str,
          label_column: str) -> dict[str, dict[str, int]]:
    """Raises CsvInputError naming the file, class or split and counts; returns what to drop.

    The result is {class: {split: rows}} of the classes `rare_classes: drop` leaves out.
    """
    rare = rare_classes(counts, splits, rules)
    dropped = {label: {s: counts.by_split.get(s, Counter())[label] for s in splits}
               for label in rare} if rules.rare_classes == DROP else {}
    _check_splits(counts, splits, rules, source, dropped)
    if rare and not dropped:
        named = "; ".join(_describe(counts, label, splits) for label in rare[:MAX_CLASSES_NAMED])
        more = f" and {len(rare) - MAX_CLASSES_NAMED} more" if len(rare) > MAX_CLASSES_NAMED else ""
        raise CsvInputError(
            f"{source}: label column '{label_column}': class(es) {named}{more} have fewer than "
            f"min_class_rows={rules.min_class_rows} rows or none in a split (each class needs "
            f"rows in every split of {', '.join(splits)}); add rows, or set "
            "`rare_classes: drop` in the dataset config to leave them out", source)
    return dropped


def _check_splits(counts: ClassCounts, splits: list[str], rules: Sufficiency, source: str,
                  dropped: dict) -> None:
    for split in splits:
        kept = sum(n for label, n in counts.by_split.get(split, Counter()).items()
                   if label not in dropped)
        if kept < rules.min_split_rows:
            after = f" after dropping {len(dropped)} rare class(es)" if dropped else ""
            raise CsvInputError(
                f"{source}: split '{split}' would get {kept} row(s){after}, fewer than "
                f"min_split_rows={rules.min_split_rows} (rows per split: "
                f"{_split_rows(counts, splits, dropped)}); add rows to the CSV", source)


def _split_rows(counts: ClassCounts, splits: list[str], dropped: dict) -> str:
    return ", ".join(
        f"{s} {sum(n for c, n in counts.by_split.get(s, Counter()).items() if c not in dropped)}"
        for s in splits)
