/*
 * Marks one version requirement of an ELF64 shared library as weak (VER_FLG_WEAK), so the
 * dynamic loader accepts the file although the named version (e.g. GLIBCXX_3.4.32) is not
 * provided by the library it comes from. Usage: mark_verneed_weak FILE VERSION
 * Exit codes: 0 marked (or already weak), 1 version not found, 2 bad input.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *message, const char *detail) {
  fprintf(stderr, "mark_verneed_weak: %s%s\n", message, detail ? detail : "");
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 3) return fail("usage: mark_verneed_weak FILE VERSION", NULL);
  FILE *file = fopen(argv[1], "r+b");
  if (!file) return fail("cannot open ", argv[1]);
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *image = malloc((size_t)size);
  if (!image || fread(image, 1, (size_t)size, file) != (size_t)size) return fail("cannot read ", argv[1]);

  Elf64_Ehdr *header = (Elf64_Ehdr *)image;
  if (size < (long)sizeof(Elf64_Ehdr) || memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
      header->e_ident[EI_CLASS] != ELFCLASS64)
    return fail("not an ELF64 file: ", argv[1]);

  Elf64_Shdr *sections = (Elf64_Shdr *)(image + header->e_shoff);
  for (int i = 0; i < header->e_shnum; i++) {
    if (sections[i].sh_type != SHT_GNU_verneed) continue;
    /* The verneed entries' names live in the string table the section links to. */
    const char *strings = (const char *)(image + sections[sections[i].sh_link].sh_offset);
    size_t need_offset = sections[i].sh_offset;
    for (unsigned n = 0; n < sections[i].sh_info; n++) {
      Elf64_Verneed *need = (Elf64_Verneed *)(image + need_offset);
      size_t aux_offset = need_offset + need->vn_aux;
      for (unsigned a = 0; a < need->vn_cnt; a++) {
        Elf64_Vernaux *aux = (Elf64_Vernaux *)(image + aux_offset);
        if (strcmp(strings + aux->vna_name, argv[2]) == 0) {
          aux->vna_flags |= VER_FLG_WEAK;
          fseek(file, (long)((unsigned char *)&aux->vna_flags - image), SEEK_SET);
          if (fwrite(&aux->vna_flags, sizeof aux->vna_flags, 1, file) != 1) return fail("cannot write ", argv[1]);
          fclose(file);
          return 0;
        }
        aux_offset += aux->vna_next;
      }
      need_offset += need->vn_next;
    }
  }
  fprintf(stderr, "mark_verneed_weak: %s does not require %s\n", argv[1], argv[2]);
  return 1;
}
