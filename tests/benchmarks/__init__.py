"""The benchmark scripts run (figures live in benchmarks/, never in timed tests)."""
