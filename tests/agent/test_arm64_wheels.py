"""Every agent dependency resolves to a linux/arm64 wheel for the image's CPython.

No Docker here, so the image cannot be built: this proves its `pip install --only-binary`
step would succeed on arm64, and reports the installed size of that dependency set.
Needs the package index (PyPI); run alone with `make arm64-check`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "agent" / "requirements.txt"
DOCKERFILE = ROOT / "agent" / "Dockerfile"
ARM64_PLATFORMS = (
    "manylinux2014_aarch64",
    "manylinux_2_17_aarch64",
    "manylinux_2_28_aarch64",
    "manylinux_2_34_aarch64",
)


def image_python_version() -> str:
    match = re.search(r"^FROM python:(\d+)\.(\d+)\.\d+-slim", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "agent/Dockerfile must pin a python:X.Y.Z-slim base"
    return f"{match[1]}.{match[2]}"


def test_dockerfile_pins_base_runs_unprivileged_and_exposes_8080() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:\d+\.\d+\.\d+-slim-\w+$", text, re.MULTILINE)
    assert "USER 10001" in text and "EXPOSE 8080" in text
    assert 'CMD ["python", "-m", "agent"]' in text
    assert text.index("pip install") < text.index("COPY . /app/agent"), "deps before code"


@pytest.mark.slow
def test_every_dependency_has_an_arm64_wheel(tmp_path: Path) -> None:
    version = image_python_version()
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--dest",
        str(tmp_path),
        "-r",
        str(REQUIREMENTS),
    ]
    for platform in ARM64_PLATFORMS:
        command += ["--platform", platform]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"no arm64 wheel for some package:\n{result.stderr[-3000:]}"
    wheels = sorted(tmp_path.glob("*.whl"))
    assert wheels
    native = [w.name for w in wheels if not w.name.endswith("-none-any.whl")]
    wrong = [name for name in native if "aarch64" not in name and "abi3-any" not in name]
    assert wrong == [], f"platform wheels that are not arm64: {wrong}"
    installed = sum(i.file_size for w in wheels for i in zipfile.ZipFile(w).infolist())
    print(
        f"\narm64 / CPython {version}: {len(wheels)} wheels, {len(native)} native, "
        f"installed size {installed / 1_048_576:.1f} MiB"
    )
