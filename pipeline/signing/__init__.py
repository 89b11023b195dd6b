"""Signing keys, allowed signers and signatures over governance records and checkpoints."""
