"""Tests of modelcheck/dsl/: parser, static checker, semantics; golden diagnostics under golden/."""
