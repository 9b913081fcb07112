"""The test suite: a package, so that every test module and helper is imported by its
full name (``tests.search.test_explore``, ``tests.helpers``); see tests/helpers.py."""
