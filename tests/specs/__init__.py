"""Spec-level tests: each bundled spec under specs/ pinned against figures and independent transcriptions, and the generated traces."""
