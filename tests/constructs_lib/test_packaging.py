"""The library installs on its own and never shadows the PyPI `constructs` package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import constructs

ROOT = Path(__file__).resolve().parents[2]


def test_pypi_constructs_is_not_shadowed() -> None:
    assert not (ROOT / "constructs" / "__init__.py").exists()
    assert "site-packages" in str(Path(constructs.__file__))
    assert hasattr(constructs, "Construct")


def test_pypi_constructs_is_not_shadowed_from_the_repo_root() -> None:
    """`python app.py` runs with the repo root first on sys.path."""
    probe = "import constructs, aws_cdk; print(constructs.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


def test_library_builds_a_wheel_with_its_lambda_code(tmp_path: Path) -> None:
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "constructs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    package = target / "agentcore_constructs"
    assert (package / "runtime.py").exists()
    assert (package / "py.typed").exists()
    assert (package / "order_status_gateway" / "function" / "handler.py").exists()
    probe = subprocess.run(
        [sys.executable, "-c", "import agentcore_constructs as a; print(a.__file__)"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert str(target) in probe.stdout
