"""Tests of modelcheck/cli/: the command line, its output, exit codes and errors."""
