"""Tests of modelcheck/render/: text, DOT/SVG, HTML, sequence charts, ITF output, a real browser."""
