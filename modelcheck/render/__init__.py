"""Renderers: turn results and traces into text (and, later, pictures). They read
results, traces and the model's printing functions only."""
