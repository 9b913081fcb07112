"""`modelcheck report`: the run's label in the report names the configuration and every
`--const` (it used to drop the constants whenever `--config` was given)."""

import html as htmllib
import re

from modelcheck.cli import main
from modelcheck.cli.report import report_label
from tests.helpers import TWOPHASE


def _run_labels(path):
    page = htmllib.unescape(path.read_text())
    return re.findall(r'<details class="run" id="run-\d+"[^>]*><summary>TwoPhase \[([^\]]*)\]', page)


def test_report_label_keeps_constants_with_a_config(tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(["report", TWOPHASE, "--config", "rm2", "--const", "BugCommitOnAny=true", "--no-graphs",
                 "-o", str(out)])
    assert code == 1  # the seeded bug is found
    assert capsys.readouterr().out.splitlines()[-1] == f"report written to {out}"
    assert _run_labels(out) == ["rm2 BugCommitOnAny=true"]


def test_report_label_forms():
    assert report_label(None, []) == "default"
    assert report_label("rm5", []) == "rm5"
    assert report_label(None, ["RM=3", "Bug=true"]) == "RM=3 Bug=true"
    assert report_label("rm5", ["RM=3", "Bug=true"]) == "rm5 RM=3 Bug=true"
