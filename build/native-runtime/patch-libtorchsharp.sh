#!/usr/bin/env bash
# Makes TorchSharp's native shim (libLibTorchSharp.so) load on systems whose libstdc++ lacks
# GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04). Works on the copy in a build output folder, never
# on the NuGet cache, and does nothing where the system libstdc++ is new enough.
# Usage: patch-libtorchsharp.sh NATIVE_DIR WORK_DIR
# Why and how: docs/native-runtime.md.
set -euo pipefail

native_dir=$1
work_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
shim="$native_dir/libLibTorchSharp.so"
helper_name=libnsm_ios_base_init.so
missing_version=GLIBCXX_3.4.32

[ -f "$shim" ] || exit 0

# awk reads all of ldconfig's output: exiting early would kill ldconfig with SIGPIPE, which
# pipefail turns into a failed build now and then.
system_libstdcxx=$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p) | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {print $NF; found = 1}')
if [ -n "$system_libstdcxx" ] && grep -qa "$missing_version" "$system_libstdcxx"; then
  exit 0
fi

if ! grep -qa "$missing_version" "$shim"; then
  exit 0
fi

for tool in patchelf g++ cc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error NSM0001: libLibTorchSharp.so needs $missing_version, which this system's libstdc++ lacks; the automatic fix needs '$tool' (Debian/Ubuntu: apt-get install -y patchelf g++)" >&2
    exit 1
  fi
done

if patchelf --print-needed "$shim" | grep -qx "$helper_name"; then
  exit 0
fi

mkdir -p "$work_dir"
g++ -shared -fPIC -O2 -o "$work_dir/$helper_name" "$here/ios_base_library_init.cpp"
cc -O2 -o "$work_dir/mark_verneed_weak" "$here/mark_verneed_weak.c"

# Patch a temporary copy, then move it into place, so an interrupted build never leaves a
# half-patched shim behind.
tmp="$shim.patching"
cp "$shim" "$tmp"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$tmp"
patchelf --add-needed "$helper_name" "$tmp"
"$work_dir/mark_verneed_weak" "$tmp" "$missing_version"
cp "$work_dir/$helper_name" "$native_dir/$helper_name"
mv -f "$tmp" "$shim"
echo "patched $shim for $missing_version (see docs/native-runtime.md)"
