"""An aarch64 CPython that runs on an x86_64 host, for tests of the arm64 agent image.

There is no Docker here, so the image cannot run. Instead this unpacks Debian trixie's arm64
CPython and the shared libraries it needs into a sysroot and runs it with user-mode QEMU
(`qemu-aarch64-static -L sysroot`), without binfmt_misc. apt runs under a private
configuration rooted in the cache folder, so the host's apt state is never read or changed.
The first fetch needs deb.debian.org; after that the cached sysroot is used offline.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
SUITE = "trixie"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
CACHE_ENV = "AGENTCORE_ARM64_CACHE"
# Wheels with C++ extensions need libstdc++; the rest come in through apt's closure.
EXTRA_PACKAGES = ("libgcc-s1", "libstdc++6", "libzstd1", "libcrypt1", "tzdata")
WHEEL_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_17_aarch64")
MARKER = "complete"


class Arm64Unavailable(RuntimeError):
    """The emulated arm64 interpreter cannot be provided here; tests skip with this reason."""


def ensure_qemu() -> Path:
    """Return qemu-aarch64-static; installing it is a host change, so tests only ask for it."""
    found = shutil.which("qemu-aarch64-static")
    if found is None:
        raise Arm64Unavailable("qemu-aarch64-static not found: run scripts/install-qemu.sh")
    return Path(found)


def cache_dir_default() -> Path:
    """The cache root: $AGENTCORE_ARM64_CACHE, else ~/.cache/agentcore-arm64."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path.home() / ".cache" / "agentcore-arm64"


def ensure_sysroot(python: str = "3.13", cache_dir: Path | None = None) -> Path:
    """Return a sysroot with Debian's arm64 CPython; fetched once, then reused offline.

    The marker is written last, so an interrupted fetch is redone rather than half-used.
    Raises Arm64Unavailable when apt, the keyring or the mirror is missing.
    """
    root = (cache_dir or cache_dir_default()) / f"{SUITE}-arm64-python{python}"
    sysroot = root / "sysroot"
    if (root / MARKER).is_file() and sysroot.is_dir():
        return sysroot
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".lock"):
        if (root / MARKER).is_file() and sysroot.is_dir():  # built while we waited
            return sysroot
        (root / MARKER).unlink(missing_ok=True)
        _require_tools()
        env = _private_apt(root / "apt")
        _run(["apt-get", "update"], env, "apt-get update of Debian trixie arm64")
        wanted = [f"python{python}-minimal", f"libpython{python}-minimal"]
        wanted += [f"libpython{python}-stdlib", *EXTRA_PACKAGES]
        simulated = _run(["apt-get", "-s", "install", *wanted], env, "resolving packages")
        closure = re.findall(r"^Inst (\S+) \((\S+) ", simulated, re.MULTILINE)
        debs = root / "debs"
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir()
        pins = [f"{name}={version}" for name, version in closure]
        _run(["apt-get", "download", *pins], env, "apt-get download", cwd=debs)
        staging = root / "sysroot.partial"
        shutil.rmtree(staging, ignore_errors=True)
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
        for top in ("bin", "lib", "sbin"):  # merged /usr: the ELF interpreter is /lib/ld-linux…
            if not (staging / top).exists():
                (staging / top).symlink_to(f"usr/{top}")
        shutil.rmtree(sysroot, ignore_errors=True)
        staging.rename(sysroot)
        shutil.rmtree(debs)
        shutil.rmtree(root / "apt")  # ~130 MB of package lists, not needed once unpacked
        (root / MARKER).write_text("".join(f"{n} {v}\n" for n, v in sorted(closure)))
    return sysroot


def python_command(sysroot: Path, qemu: Path) -> list[str]:
    """The argv prefix that runs the sysroot's python3.X under QEMU (no binfmt_misc needed)."""
    [python] = [p for p in (sysroot / "usr" / "bin").glob("python3.*") if p.name[8:].isdigit()]
    return [str(qemu), "-L", str(sysroot), str(python)]


def python_env(sysroot: Path) -> dict[str, str]:
    """Environment additions for the emulated interpreter.

    No PYTHONHOME: the prefix is found from the executable's path, and `-L` makes the ELF
    loader find the sysroot's libraries. Paths missing from the sysroot fall back to the host's
    (e.g. /etc/ssl/certs), so keep out the host's user site and locale archive. Bytecode is
    written into the sysroot on first import: later runs import about five times faster.
    """
    del sysroot
    return {"PYTHONNOUSERSITE": "1", "LC_ALL": "C.UTF-8"}


def install_wheels(sysroot_python_version: str, requirements: Path, target: Path) -> None:
    """Install arm64 wheels with the host's pip, which can't run setup.py for another arch."""
    command = [sys.executable, "-m", "pip", "install", "--implementation", "cp"]
    for platform in WHEEL_PLATFORMS:
        command += ["--platform", platform]
    command += ["--python-version", sysroot_python_version, "--only-binary=:all:"]
    command += ["--target", str(target), "-r", str(requirements), "--quiet", "--no-compile"]
    subprocess.run(command, check=True)


def _require_tools() -> None:
    missing = [tool for tool in ("apt-get", "dpkg-deb") if shutil.which(tool) is None]
    if missing:
        raise Arm64Unavailable(f"{' and '.join(missing)} not found: a Debian-like host is needed")
    if not KEYRING.is_file():
        raise Arm64Unavailable(f"{KEYRING} missing: install the debian-archive-keyring package")


def _private_apt(base: Path) -> dict[str, str]:
    """Write an apt.conf that reads and writes only under base; return the env that selects it."""
    for sub in ("etc/apt.conf.d", "etc/sources.list.d", "etc/preferences.d", "etc/trusted.gpg.d"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("state/lists/partial", "cache/archives/partial"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "state/status").touch()  # nothing installed: apt resolves the whole closure
    (base / "etc/sources.list").write_text(
        f"deb [arch=arm64 signed-by={KEYRING}] {MIRROR} {SUITE} main\n"
    )
    settings = {
        "Dir::Etc::main": "/dev/null",
        "Dir::Etc::parts": f"{base}/etc/apt.conf.d",
        "Dir::Etc::sourcelist": f"{base}/etc/sources.list",
        "Dir::Etc::sourceparts": f"{base}/etc/sources.list.d",
        "Dir::Etc::preferences": f"{base}/etc/preferences",
        "Dir::Etc::preferencesparts": f"{base}/etc/preferences.d",
        "Dir::Etc::trusted": f"{base}/etc/trusted.gpg",
        "Dir::Etc::trustedparts": f"{base}/etc/trusted.gpg.d",
        "Dir::State": f"{base}/state",
        "Dir::State::status": f"{base}/state/status",
        "Dir::Cache": f"{base}/cache",
        "Dir::Log": f"{base}/log",
        "APT::Architecture": "arm64",
        "APT::Architectures": "arm64",
        "APT::Install-Recommends": "false",
        "APT::Sandbox::User": "root",  # the cache is under /root, which _apt cannot enter
        "Acquire::Languages": "none",
        "Acquire::Retries": "2",
        "Acquire::http::Timeout": "30",
    }
    config = base / "apt.conf"
    config.write_text("".join(f'{key} "{value}";\n' for key, value in settings.items()))
    # APT_CONFIG is read before the system's apt.conf.d, so the Dir::Etc above take effect.
    return {**os.environ, "APT_CONFIG": str(config), "LC_ALL": "C"}


def _run(command: list[str], env: dict[str, str], what: str, cwd: Path | None = None) -> str:
    """Run an apt command; a failure becomes Arm64Unavailable with apt's first complaint.

    apt 2.6 (bookworm) exits 0 when `update` cannot reach the mirror, so W: lines fail too.
    """
    try:
        result = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Arm64Unavailable(f"{what} failed: {error}") from error
    lines = [line for line in result.stderr.splitlines() if line.startswith(("E:", "W:"))]
    if result.returncode != 0 or lines:
        reason = (lines or result.stderr.splitlines()[-1:] or ["no output"])[0]
        raise Arm64Unavailable(f"{what} failed ({MIRROR} {SUITE}): {reason}")
    return result.stdout


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise builds of one sysroot between processes (e.g. pytest-xdist workers)."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
