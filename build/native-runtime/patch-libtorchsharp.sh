#!/usr/bin/env bash
# Makes TorchSharp's native shim (libLibTorchSharp.so) load on systems whose libstdc++ lacks
# GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04): marks that one version requirement weak, a one-bit
# in-place edit made by mark_verneed_weak.c (compiled here with cc). Works on the copy in a build
# output folder, never on the NuGet cache, and does nothing where the system libstdc++ is new
# enough. Needs cc only; no patchelf, no package manager.
# Usage: patch-libtorchsharp.sh NATIVE_DIR WORK_DIR [--always]
# --always (publish, and so dotnet pack of the nsm tool): patch even where this machine's
# libstdc++ is new enough, because a published folder or a tool package runs on other machines,
# Debian 12 among them; the weak mark changes nothing where the version exists.
# Why and how: docs/native-runtime.md.
set -euo pipefail

native_dir=$1
work_dir=$2
always=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
shim="$native_dir/libLibTorchSharp.so"
library=libstdc++.so.6
missing_version=GLIBCXX_3.4.32

[ -f "$shim" ] || exit 0

# awk reads all of ldconfig's output: exiting early would kill ldconfig with SIGPIPE, which
# pipefail turns into a failed build now and then.
system_libstdcxx=$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p) | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {print $NF; found = 1}')
if [ "$always" != --always ] && [ -n "$system_libstdcxx" ] && grep -qa "$missing_version" "$system_libstdcxx"; then
  exit 0
fi

if ! grep -qa "$missing_version" "$shim"; then
  exit 0
fi

if ! command -v cc >/dev/null 2>&1; then
  echo "libLibTorchSharp.so needs $missing_version, which this system's libstdc++ lacks; the automatic fix needs 'cc' (Debian/Ubuntu: apt-get install -y gcc)" >&2
  exit 1
fi

# Compiles build/native-runtime/NAME.c into WORK_DIR/NAME unless that is up to date.
compile() {
  local source="$here/$1.c" binary="$work_dir/$1"
  if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
    mkdir -p "$work_dir"
    cc -O2 -o "$binary.$$" "$source" "${@:2}"
    mv -f "$binary.$$" "$binary"
  fi
}
compile mark_verneed_weak
marker="$work_dir/mark_verneed_weak"

status=0
"$marker" --check "$shim" "$library" "$missing_version" >/dev/null || status=$?
case $status in
  0) exit 0 ;;  # already patched
  1) exit 0 ;;  # this shim does not ask for the version
  5) ;;         # needs the mark
  *) echo "cannot patch $shim (mark_verneed_weak exit status $status); see docs/native-runtime.md" >&2
     exit 1 ;;
esac

compile load_check -ldl

# Patch a temporary copy, test it, then rename it into place: an interrupted or failed build
# never leaves a half-patched shim, and a shim hard-linked to the NuGet cache is never written.
tmp="$shim.patching"
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
cp -p "$shim" "$tmp"
"$marker" "$tmp" "$library" "$missing_version" >/dev/null

# Self-test: exactly one byte differs from the original, the loader accepts the file and binds
# every symbol (RTLD_NOW, from a process that links only libc).
changed=$(cmp -l "$shim" "$tmp" | wc -l || true)
if [ "$changed" -ne 1 ]; then
  echo "patching $shim changed $changed bytes instead of 1; left unpatched (see docs/native-runtime.md)" >&2
  exit 1
fi
if ! load_error=$("$work_dir/load_check" "$tmp" 2>&1); then
  echo "the patched libLibTorchSharp.so still does not load ($load_error); left unpatched (see docs/native-runtime.md)" >&2
  exit 1
fi

# Keep the original's time stamp: the copy step of the next build compares size and time and
# would otherwise copy the unpatched file over this one again.
touch -r "$shim" "$tmp"
mv -f "$tmp" "$shim"
trap - EXIT
echo "patched $shim: $missing_version marked weak (see docs/native-runtime.md)"
