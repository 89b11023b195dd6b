"""DataLineage: a custom TFX component that records a content-addressed DatasetVersion."""
