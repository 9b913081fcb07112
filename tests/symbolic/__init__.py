"""The symbolic backend (z3): encoding, bmc, prove, and agreement with the explicit checker."""
