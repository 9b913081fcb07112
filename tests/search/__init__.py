"""Tests of modelcheck/search/: the explorer (bfs, dfs), simulation, liveness, symmetry."""
