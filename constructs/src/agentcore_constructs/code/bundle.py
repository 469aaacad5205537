"""A deterministic zip of Python code and its linux/aarch64 dependencies, built without Docker.

AgentCore Runtime's code artifact is a zip whose root holds the entry point and the installed
dependencies (arm64 wheels). The dependencies are resolved by the host's pip for the target
platform and CPython (``pip install --platform ... --only-binary=:all: --target``). The zip is
byte-identical for the same source and the same requirements: entries sorted, timestamps and
permissions fixed, script shebangs made portable. Both steps are cached by content, so an
unchanged input never runs pip again and costs one hash of the source.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = "1"  # part of every cache key: bump when the bundle's layout changes
PLATFORMS = (
    "manylinux2014_aarch64",
    "manylinux_2_17_aarch64",
    "manylinux_2_28_aarch64",
    "manylinux_2_34_aarch64",  # the runtime's Amazon Linux 2023 has glibc 2.34
)
# AgentCore quotas: direct code deployment package, not adjustable.
MAX_ZIPPED_BYTES = 250 * 1024 * 1024
MAX_UNZIPPED_BYTES = 750 * 1024 * 1024
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_EXCLUDES = ("__pycache__", "*.pyc", ".pytest_cache", ".DS_Store")
ENTRY_SCRIPT = "main.py"
CACHE_ENV = "AGENTCORE_BUNDLE_CACHE"
BYTECODE_PYTHON_ENV = "AGENTCORE_BYTECODE_PYTHON"


class BundleError(ValueError):
    """The bundle cannot be built; the message is one line naming the cause and the fix."""


@dataclass(frozen=True)
class BundleSpec:
    """What goes into one bundle.

    ``package`` places ``source`` under that folder name and adds a ``main.py`` that runs it
    like ``python -m <package>``; without it, ``source`` is the zip root as it is.
    """

    source: Path
    python: str
    requirements: Path | None = None
    package: str | None = None
    exclude: tuple[str, ...] = ()
    bytecode: bool = False

    def source_files(self) -> list[tuple[str, Path]]:
        """(name in the zip, file on disk), sorted, without excluded files."""
        patterns = (*DEFAULT_EXCLUDES, *self.exclude)
        prefix = f"{self.package}/" if self.package else ""
        found = []
        for path in sorted(self.source.rglob("*")):
            relative = path.relative_to(self.source).as_posix()
            if path.is_dir() or _excluded(relative, patterns):
                continue
            found.append((prefix + relative, path))
        return found


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    parts = relative.split("/")
    return any(
        fnmatch.fnmatch(relative, p) or any(fnmatch.fnmatch(part, p) for part in parts)
        for p in patterns
    )


def entry_script(package: str) -> bytes:
    return (
        f'"""Entry point of this code bundle: run `python -m {package}`."""\n'
        "\nimport runpy\n\n"
        f'runpy.run_module("{package}", run_name="__main__", alter_sys=True)\n'
    ).encode()


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentcore-constructs"


Runner = Callable[[list[str]], subprocess.CompletedProcess]


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False)


class Bundler:
    """Builds bundles into a cache directory; ``runner`` is replaceable so tests can count pip."""

    def __init__(self, cache_dir: Path | None = None, runner: Runner = _run) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self._run = runner

    def build(self, spec: BundleSpec) -> Path:
        """The bundle's zip path, built now unless the cache already holds it."""
        files = spec.source_files()
        if spec.package and any(name == ENTRY_SCRIPT for name, _ in files):
            raise BundleError(f"{spec.source}: {ENTRY_SCRIPT} is generated; rename yours")
        requirements = spec.requirements.read_bytes() if spec.requirements else b""
        deps_key = _digest([FORMAT_VERSION, spec.python, *PLATFORMS], requirements)
        compiler = _bytecode_compiler(spec.python) if spec.bytecode else None
        key = _digest(
            [
                deps_key,
                spec.package or "",
                _interpreter_version(compiler) if compiler else "no-bytecode",
                *(f"{n}:{_mode(p)}" for n, p in files),
            ],
            b"".join(hashlib.sha256(p.read_bytes()).digest() for _, p in files),
        )
        target = self.cache_dir / "bundles" / f"{key}.zip"
        if target.exists():
            return target
        deps = self._dependencies(spec, deps_key) if spec.requirements else None
        entries = list(_dependency_entries(deps)) if deps else []
        entries += [(name, path.read_bytes(), _mode(path)) for name, path in files]
        if spec.package:
            entries.append((ENTRY_SCRIPT, entry_script(spec.package), 0o644))
        if compiler:
            entries += _compiled(compiler, entries)
        _write_zip(target, entries)
        return target

    def _dependencies(self, spec: BundleSpec, key: str) -> Path:
        assert spec.requirements is not None
        folder = self.cache_dir / "dependencies" / key
        if folder.exists():
            return folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=folder.parent))
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"]
        command += ["--disable-pip-version-check", "--no-input", "--only-binary=:all:"]
        command += ["--implementation", "cp", "--python-version", spec.python]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        command += ["--target", str(staging), "-r", str(spec.requirements)]
        result = self._run(command)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise BundleError(_explain_pip_failure(result.stderr, spec))
        try:
            staging.rename(folder)
        except OSError:
            # Another process (a parallel synth or test worker) filled the cache first.
            shutil.rmtree(staging, ignore_errors=True)
            if not folder.is_dir():
                raise
        return folder


def _bytecode_compiler(python: str) -> str:
    """A CPython of the target's minor version: bytecode is version-specific, not platform-
    specific, so any OS's ``python3.X`` can compile for the aarch64 runtime."""
    found = os.environ.get(BYTECODE_PYTHON_ENV) or shutil.which(f"python{python}")
    if not found or _interpreter_version(found) != python:
        raise BundleError(
            f"precompiled bytecode needs a CPython {python} on this machine: install "
            f"python{python} or set {BYTECODE_PYTHON_ENV}, or turn bytecode off"
        )
    return found


def _interpreter_version(python: str) -> str:
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def _compiled(python: str, entries: list[tuple[str, bytes, int]]) -> list[tuple[str, bytes, int]]:
    """``.pyc`` files for every module, hash-based and unchecked (PEP 552): no timestamps in
    them, and the read-only code of a deployed bundle is never compared with its source."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, data, _ in entries:
            if name.endswith(".py"):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
        result = subprocess.run(
            [
                python,
                "-m",
                "compileall",
                "-q",
                "-j",
                "1",
                "--invalidation-mode",
                "unchecked-hash",
                "-s",
                str(root),
                "-p",
                "",
                str(root),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1):  # 1: some module has a syntax error; keep source
            raise BundleError(f"compiling bytecode failed: {result.stderr.strip()[-300:]}")
        return [
            (path.relative_to(root).as_posix(), path.read_bytes(), 0o644)
            for path in sorted(root.rglob("*.pyc"))
        ]


def _digest(parts: Iterable[str], data: bytes) -> str:
    hasher = hashlib.sha256("\0".join(parts).encode())
    hasher.update(data)
    return hasher.hexdigest()


def _mode(path: Path) -> int:
    """Only the executable bit survives: 0755 or 0644, whatever the umask of the machine."""
    return 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644


_SHEBANG = re.compile(rb"^#![^\n]*python[^\n]*\n")


def _dependency_entries(folder: Path) -> Iterable[tuple[str, bytes, int]]:
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if name.startswith("bin/"):
            # pip writes the host interpreter's path into console scripts: not portable.
            data = _SHEBANG.sub(b"#!/usr/bin/env python3\n", data, count=1)
        yield name, data, _mode(path)


def _write_zip(target: Path, entries: list[tuple[str, bytes, int]]) -> None:
    entries.sort(key=lambda entry: entry[0])
    names = [name for name, _, _ in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BundleError(f"the source and its dependencies both have {duplicates[0]}: rename it")
    unzipped = sum(len(data) for _, data, _ in entries)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise BundleError(
            f"the code bundle is {unzipped / 1_048_576:.0f} MiB unzipped; AgentCore allows "
            f"{MAX_UNZIPPED_BYTES // 1_048_576} MiB: drop dependencies or deploy a container image"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so the runtime applies the POSIX permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    size = partial.stat().st_size
    if size > MAX_ZIPPED_BYTES:
        partial.unlink()
        raise BundleError(
            f"the code bundle is {size / 1_048_576:.0f} MiB zipped; AgentCore allows "
            f"{MAX_ZIPPED_BYTES // 1_048_576} MiB: drop dependencies or deploy a container image"
        )
    partial.replace(target)


_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9_.\-\[\]]+)")


def _explain_pip_failure(stderr: str, spec: BundleSpec) -> str:
    missing = _NO_MATCH.search(stderr)
    if missing:
        return (
            f"{missing.group(1)} has no wheel for linux/aarch64 CPython {spec.python} "
            f"(manylinux 2014..2_34) in {spec.requirements}: pin a version that publishes one, "
            "replace the package, or deploy a container image"
        )
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no output")
    return f"pip could not install {spec.requirements} for linux/aarch64: {last.strip()}"
