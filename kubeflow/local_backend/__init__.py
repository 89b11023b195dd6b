"""Runs a compiled PipelineSpec on this machine by the KFP v2 backend's protocol (no cluster)."""
