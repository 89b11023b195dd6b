"""LedgerTrainer: the stock Trainer plus a run manifest tying the model to its data and code."""
