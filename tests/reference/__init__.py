"""Tests of reference/twophase/: the reference implementation and its durable spec."""
