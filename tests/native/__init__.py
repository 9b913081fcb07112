"""Tests of modelcheck/native/: the C backend gives exactly the Python backend's results (the suite's runs, small specs written here, random specs), and its fallbacks."""
