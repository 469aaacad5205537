"""Write agent/requirements.lock: every package of agent/requirements.txt, transitive ones too,
pinned with the sha256 of its linux/aarch64 CPython wheel.

The code artifact installs exactly this lock (pip checks each hash), so the same lock always
gives the same bundle. Run it after changing agent/requirements.txt: `make lock`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "agent" / "requirements.txt"
LOCK = ROOT / "agent" / "requirements.lock"
sys.path.insert(0, str(ROOT / "constructs" / "src"))

from agentcore_constructs.code.bundle import PLATFORMS  # noqa: E402

PYTHON = "3.13"


def resolve() -> list[dict]:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
        ]
        command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        command += ["--target", str(Path(scratch) / "t"), "--report", str(report)]
        command += ["-r", str(REQUIREMENTS)]
        subprocess.run(command, check=True)
        return json.loads(report.read_text())["install"]


def main() -> None:
    lines = [
        "# Generated from agent/requirements.txt by scripts/lock_agent_requirements.py.",
        f"# Every package for linux/aarch64 CPython {PYTHON}, with the sha256 of its wheel.",
    ]
    for item in sorted(resolve(), key=lambda i: i["metadata"]["name"].lower()):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{name.lower()}=={version} --hash=sha256:{digest}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(lines) - 2} packages")


if __name__ == "__main__":
    main()
