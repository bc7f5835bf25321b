"""Misuse detection (layer 4): explanations, detectors and alerts over access events."""
