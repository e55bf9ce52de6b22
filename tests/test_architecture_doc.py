"""The worked example of docs/architecture.md runs as written."""

import re
import sys

import yaml
from conftest import REPO

import experiments
from experiments._runner import Execution, run_experiment


def test_the_worked_example_runs(tmp_path, monkeypatch):
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    module = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    (tmp_path / "crowd_size_example.py").write_text(module, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(experiments.EXPERIMENTS, "crowd_size", "crowd_size_example")
    config["replicates"] = 400
    path = tmp_path / "crowd_size.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    summary = run_experiment(path, tmp_path / "out", Execution(workers=1, quiet=True),
                             log=None)
    sys.modules.pop("crowd_size_example", None)
    assert summary["verdicts"][0]["reproduced"] is True
    for name in ("errors.parquet", "summary.json", "errors.png", "report.md", "runs/sizes"):
        assert (tmp_path / "out" / name).exists(), name
