"""Tests of modelcheck/conform/: trace validation, replay, generation, explanation, the twophase harness."""
