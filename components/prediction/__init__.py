"""Batch prediction on raw rows with a pushed serving model (`batch.py`)."""
