"""`modelcheck suite --report DIR` writes report.html next to the summaries, with every
run and the seeded bug's counterexample on show (what `make check` does for the bundled
specs)."""

import re

from modelcheck.cli import main
from tests.helpers import TWOPHASE


def test_suite_writes_the_html_report(tmp_path, capsys):
    manifest = tmp_path / "suite.toml"
    manifest.write_text(f'''
[[run]]
spec = "{TWOPHASE}"
temporal = false
expect = "holds"

[[run]]
spec = "{TWOPHASE}"
consts = {{ BugCommitOnAny = "true" }}
expect = "violated"
''')
    out = tmp_path / "reports"
    assert main(["suite", str(manifest), "--report", str(out)]) == 0
    assert "report.html" in capsys.readouterr().out
    html = (out / "report.html").read_text()
    assert (out / "summary.json").exists() and (out / "summary.txt").exists()
    assert "2 runs, every verdict as expected" in html
    assert html.count('<details class="run"') == 2
    # the seeded bug's counterexample: its step table (5 states), chart and excerpt
    assert "Counterexample: Validity [validity] (invariant)" in html
    assert len(re.findall(r'<tr[^>]* data-step="\d+"', html)) == 5
    assert 'class="seqchart"' in html and 'class="figure graph"' in html
