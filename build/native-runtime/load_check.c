/*
 * Self-test for patch-libtorchsharp.sh: loads a shared library the way the runtime will, but
 * with every symbol bound at once (RTLD_NOW), from a process that links only libc (so nothing
 * is found by accident in libraries the .NET host happens to load). Fails when the loader
 * rejects a version requirement or any symbol cannot be bound.
 * Usage: load_check FILE    Exit status: 0 loaded, 1 rejected (the loader's message on stderr).
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: load_check FILE\n");
    return 2;
  }
  if (!dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) {
    fprintf(stderr, "load_check: %s\n", dlerror());
    return 1;
  }
  return 0;
}
