"""Benchmarks of the therapist workspace (``python -m bench``) and their data generator."""
