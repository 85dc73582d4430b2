/*
 * Marks one symbol-version requirement of an ELF64 shared library as weak (sets VER_FLG_WEAK
 * in the vna_flags of its Elf64_Vernaux in .gnu.version_r), so that the dynamic loader accepts
 * the file although the library it names (e.g. libstdc++.so.6) lacks that version (e.g.
 * GLIBCXX_3.4.32). The edit is one bit, in place; nothing moves, nothing is added.
 *
 * It refuses when any relocation binds a symbol of that version: a weak version is only safe
 * when its symbols are referenced but never looked up (which is the case for
 * std::ios_base_library_init in TorchSharp's shim, see docs/native-runtime.md).
 *
 * Usage: mark_verneed_weak [--check] FILE LIBRARY VERSION
 * Exit status:
 *   0  the requirement is weak now (marked by this call, or already weak; --check: already weak)
 *   1  FILE does not require VERSION from LIBRARY (nothing to do)
 *   2  bad input or I/O error
 *   3  refused: a relocation binds a symbol of VERSION
 *   5  --check only: the requirement is not weak yet and can be marked
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *file_name;
static unsigned char *image;
static size_t image_size;

static int fail(const char *message) {
  fprintf(stderr, "mark_verneed_weak: %s: %s\n", file_name, message);
  return 2;
}

/* True when [offset, offset + length) lies inside the file. */
static int inside(uint64_t offset, uint64_t length) {
  return offset <= image_size && length <= image_size - offset;
}

/* The NUL-terminated string at index in a string table section, or NULL if out of bounds. */
static const char *string_at(const Elf64_Shdr *table, uint64_t index) {
  if (index >= table->sh_size) return NULL;
  const char *start = (const char *)image + table->sh_offset + index;
  return memchr(start, '\0', table->sh_size - index) ? start : NULL;
}

int main(int argc, char **argv) {
  int check_only = argc > 1 && strcmp(argv[1], "--check") == 0;
  if (argc != 4 + check_only) {
    fprintf(stderr, "usage: mark_verneed_weak [--check] FILE LIBRARY VERSION\n");
    return 2;
  }
  file_name = argv[1 + check_only];
  const char *library = argv[2 + check_only], *version = argv[3 + check_only];

  FILE *file = fopen(file_name, check_only ? "rb" : "r+b");
  if (!file) return fail("cannot open");
  if (fseek(file, 0, SEEK_END) != 0) return fail("cannot seek");
  long size = ftell(file);
  if (size < (long)sizeof(Elf64_Ehdr)) return fail("not an ELF64 file");
  image_size = (size_t)size;
  image = malloc(image_size);
  if (!image || fseek(file, 0, SEEK_SET) != 0 || fread(image, 1, image_size, file) != image_size)
    return fail("cannot read");

  const Elf64_Ehdr *header = (const Elf64_Ehdr *)image;
  if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64 ||
      header->e_ident[EI_DATA] != ELFDATA2LSB || header->e_shentsize != sizeof(Elf64_Shdr) ||
      !inside(header->e_shoff, (uint64_t)header->e_shnum * sizeof(Elf64_Shdr)))
    return fail("not a little-endian ELF64 file with section headers");
  const Elf64_Shdr *sections = (const Elf64_Shdr *)(image + header->e_shoff);
  for (unsigned i = 0; i < header->e_shnum; i++)
    if (sections[i].sh_type != SHT_NOBITS && !inside(sections[i].sh_offset, sections[i].sh_size))
      return fail("a section lies outside the file");

  /* Find the Vernaux: LIBRARY's Verneed entry, then VERSION among its entries. */
  Elf64_Vernaux *target = NULL;
  for (unsigned i = 0; i < header->e_shnum && !target; i++) {
    const Elf64_Shdr *verneed = &sections[i];
    if (verneed->sh_type != SHT_GNU_verneed) continue;
    if (verneed->sh_link >= header->e_shnum) return fail("bad .gnu.version_r link");
    const Elf64_Shdr *strings = &sections[verneed->sh_link];
    uint64_t need_offset = 0;
    for (unsigned n = 0; n < verneed->sh_info && !target; n++) {
      if (need_offset + sizeof(Elf64_Verneed) > verneed->sh_size) return fail("bad .gnu.version_r");
      const Elf64_Verneed *need = (const Elf64_Verneed *)(image + verneed->sh_offset + need_offset);
      const char *need_file = string_at(strings, need->vn_file);
      if (!need_file) return fail("bad .gnu.version_r file name");
      uint64_t aux_offset = need_offset + need->vn_aux;
      for (unsigned a = 0; a < need->vn_cnt && strcmp(need_file, library) == 0; a++) {
        if (aux_offset + sizeof(Elf64_Vernaux) > verneed->sh_size) return fail("bad .gnu.version_r");
        Elf64_Vernaux *aux = (Elf64_Vernaux *)(image + verneed->sh_offset + aux_offset);
        const char *aux_name = string_at(strings, aux->vna_name);
        if (!aux_name) return fail("bad .gnu.version_r version name");
        if (strcmp(aux_name, version) == 0) {
          target = aux;
          break;
        }
        aux_offset += aux->vna_next;
      }
      need_offset += need->vn_next;
    }
  }
  if (!target) {
    printf("%s does not require %s from %s\n", file_name, version, library);
    return 1;
  }

  /* Safety: no relocation may bind a dynamic symbol whose version is the one made weak. */
  const Elf64_Shdr *versym = NULL;
  unsigned dynsym_index = 0;
  for (unsigned i = 0; i < header->e_shnum; i++)
    if (sections[i].sh_type == SHT_GNU_versym) {
      versym = &sections[i];
      dynsym_index = versym->sh_link;
    }
  if (!versym || dynsym_index >= header->e_shnum || sections[dynsym_index].sh_type != SHT_DYNSYM)
    return fail("no .gnu.version for .dynsym");
  const Elf64_Shdr *dynsym = &sections[dynsym_index];
  if (dynsym->sh_link >= header->e_shnum) return fail("bad .dynsym link");
  uint64_t symbol_count = dynsym->sh_size / sizeof(Elf64_Sym);
  if (versym->sh_size < symbol_count * sizeof(Elf64_Half)) return fail("short .gnu.version");
  const Elf64_Half *versions = (const Elf64_Half *)(image + versym->sh_offset);
  const Elf64_Sym *symbols = (const Elf64_Sym *)(image + dynsym->sh_offset);
  for (unsigned i = 0; i < header->e_shnum; i++) {
    const Elf64_Shdr *relocations = &sections[i];
    if ((relocations->sh_type != SHT_RELA && relocations->sh_type != SHT_REL) ||
        relocations->sh_link != dynsym_index)
      continue;
    uint64_t entry_size = relocations->sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    for (uint64_t offset = 0; offset + entry_size <= relocations->sh_size; offset += entry_size) {
      /* r_info sits at the same place in Elf64_Rel and Elf64_Rela. */
      const Elf64_Rel *relocation = (const Elf64_Rel *)(image + relocations->sh_offset + offset);
      uint64_t symbol = ELF64_R_SYM(relocation->r_info);
      if (symbol == 0 || symbol >= symbol_count) continue;
      if ((versions[symbol] & 0x7fff) == target->vna_other) {
        const char *name = string_at(&sections[dynsym->sh_link], symbols[symbol].st_name);
        fprintf(stderr,
                "mark_verneed_weak: %s: refused: a relocation binds %s@%s, which must then be "
                "defined somewhere; a weak version would hide that it is missing\n",
                file_name, name ? name : "?", version);
        return 3;
      }
    }
  }

  if (target->vna_flags & VER_FLG_WEAK) {
    printf("%s: %s from %s is already weak\n", file_name, version, library);
    return 0;
  }
  if (check_only) {
    printf("%s: %s from %s can be marked weak\n", file_name, version, library);
    return 5;
  }
  target->vna_flags |= VER_FLG_WEAK;
  if (fseek(file, (long)((unsigned char *)&target->vna_flags - image), SEEK_SET) != 0 ||
      fwrite(&target->vna_flags, sizeof target->vna_flags, 1, file) != 1 || fclose(file) != 0)
    return fail("cannot write");
  printf("%s: marked %s from %s weak\n", file_name, version, library);
  return 0;
}
