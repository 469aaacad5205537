#!/usr/bin/env bash
# Installs qemu-aarch64-static (Debian package qemu-user-static) so the arm64 tests can run
# the aarch64 CPython under user-mode emulation. Idempotent. binfmt_misc is not needed: the
# tests call qemu-aarch64-static explicitly.
set -euo pipefail

say() { printf 'install-qemu: %s\n' "$*"; }
fail() { printf 'install-qemu: %s\n' "$*" >&2; exit 1; }

if path=$(command -v qemu-aarch64-static); then
    say "already present: $path ($("$path" --version | head -n 1))"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || fail "qemu-aarch64-static missing; run as root (or: sudo apt-get install qemu-user-static)"
command -v apt-get >/dev/null || fail "qemu-aarch64-static missing and no apt-get; install qemu-user-static by hand"

install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-user-static
}
say "installing qemu-user-static with apt-get"
if ! install; then
    # Only refresh the package lists when the install failed (e.g. no lists, or stale ones).
    say "install failed; running apt-get update and retrying"
    apt-get update
    install || fail "apt-get install qemu-user-static failed"
fi
path=$(command -v qemu-aarch64-static) || fail "qemu-user-static installed but qemu-aarch64-static not on PATH"
say "installed: $path ($("$path" --version | head -n 1))"
