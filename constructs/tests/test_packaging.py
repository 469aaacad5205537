"""The library builds a wheel on its own, ships everything it needs, and never shadows the PyPI
`constructs` package (its folder is called `constructs/` in the app repository)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import constructs

LIBRARY = Path(__file__).resolve().parents[1]
PACKAGE = LIBRARY / "src" / "agentcore_constructs"
# The folder holding the library's folder: the app repository when it is checked out there.
PARENT = LIBRARY.parent
# tomllib is 3.11+; the library supports 3.10.
VERSION = re.search(
    r'^version = "([^"]+)"$', (LIBRARY / "pyproject.toml").read_text(), re.MULTILINE
).group(1)


def test_pypi_constructs_is_not_shadowed() -> None:
    assert not (LIBRARY / "__init__.py").exists()
    assert "site-packages" in str(Path(constructs.__file__))
    assert hasattr(constructs, "Construct")


def test_pypi_constructs_is_not_shadowed_from_the_parent_folder() -> None:
    """`python app.py` in the app repository runs with its root first on sys.path."""
    probe = "import constructs, aws_cdk; print(constructs.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PARENT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


def test_the_wheel_ships_every_source_file_typing_marker_and_version(tmp_path: Path) -> None:
    # Built from a clean copy: an in-tree build/ folder can hold stale files from older builds.
    source = tmp_path / "source"
    shutil.copytree(
        LIBRARY,
        source,
        ignore=shutil.ignore_patterns(
            "build", "dist", "*.egg-info", "__pycache__", "tests", "examples", ".*"
        ),
    )
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"),
            *("--wheel-dir", str(wheels), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("*.whl")
    assert wheel.name.startswith(f"agentcore_constructs-{VERSION}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
        metadata = archive.read(f"agentcore_constructs-{VERSION}.dist-info/METADATA").decode()
    expected = {
        f"agentcore_constructs/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "agentcore_constructs/py.typed" in expected
    assert expected <= shipped, sorted(expected - shipped)
    assert not {n for n in shipped if n.startswith("tests/") or "/tests/" in n}
    assert f"\nVersion: {VERSION}\n" in metadata

    target = tmp_path / "site"
    installed = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"),
            *("--target", str(target), str(wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import agentcore_constructs as a; print(a.__file__); print(a.__version__)",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    location, version = probe.stdout.split()
    assert location.startswith(str(target))
    assert version == VERSION
