"""Model code: feature transforms (preprocessing_fn) and training (run_fn)."""
