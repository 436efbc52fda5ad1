"""The arXiv crawler: papers found by query and date range, fetched and submitted to the pipeline."""
