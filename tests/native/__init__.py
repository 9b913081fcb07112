"""The C backend (modelcheck.native) against the Python backend."""
