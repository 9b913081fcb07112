"""Hand-written Python models (independent transcriptions of the specs) and their tests."""
