// Provides std::ios_base_library_init(), which GCC 13's <iostream> references and which
// libstdc++ older than GLIBCXX_3.4.32 (GCC 12, Debian 12) does not export. Linked into
// TorchSharp's native shim by patch-libtorchsharp.sh; see docs/native-runtime.md.
#include <ios>

namespace std {
void ios_base_library_init() {
  // Constructing ios_base::Init once initialises the standard streams, which is all the
  // GCC 13 function does.
  static ios_base::Init init;
}
}  // namespace std
