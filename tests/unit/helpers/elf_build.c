/* Test ELF images: see elf_build.h. */
#include "helpers/elf_build.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"

static size_t put_note(uint8_t *p, const char *name, uint32_t type,
                       const uint8_t *desc, uint32_t descsz)
{
    le32_put(p, 0, 4);
    le32_put(p, 4, descsz);
    le32_put(p, 8, type);
    memcpy(p + 12, name, 4);
    memcpy(p + 16, desc, descsz);
    return 16 + ((descsz + 3U) & ~3U);
}

size_t elf_build(uint8_t *buf, size_t cap, const struct elf_build *o)
{
    static const uint8_t build_id[20] = { 1, 2, 3, 4, 5 };
    uint8_t desc[8] = { 0 };
    size_t len = ELF_BUILD_DATA + o->nload * o->seg_size, notes;
    uint32_t entry = o->pvh_entry ? o->pvh_entry : (uint32_t)(o->paddr + 0x10);
    unsigned dsz = o->desc_size ? o->desc_size : 8;

    assert_true(o->nload >= 1 && o->nload <= 6 && len <= cap);
    memset(buf, 0, len);
    memcpy(buf, "\177ELF", 4);
    buf[4] = 2;                               /* ELFCLASS64 */
    buf[5] = 1;                               /* little-endian */
    buf[6] = 1;                               /* EV_CURRENT */
    le16_put(buf, 16, 2);                     /* ET_EXEC */
    le16_put(buf, 18, 62);                    /* EM_X86_64 */
    le32_put(buf, 20, 1);
    le64_put(buf, 24, 0xFFFFFFFF81000000ULL); /* e_entry: virtual */
    le64_put(buf, 32, ELF_BUILD_PHDRS);
    le16_put(buf, 52, 64);
    le16_put(buf, 54, 56);
    le16_put(buf, 56, (uint16_t)(o->nload + 1));

    notes = put_note(buf + ELF_BUILD_NOTES, "GNU", 3, build_id, 20);
    if (o->pvh) {
        le64_put(desc, 0, entry);
        notes += put_note(buf + ELF_BUILD_NOTES + notes, "Xen", 18, desc, dsz);
    }
    for (unsigned i = 0; i <= o->nload; i++) {
        uint8_t *ph = buf + ELF_BUILD_PHDRS + 56 * i;

        if (i == o->nload) {                  /* the PT_NOTE */
            le32_put(ph, 0, 4);
            le64_put(ph, 8, ELF_BUILD_NOTES);
            le64_put(ph, 32, notes);
            le64_put(ph, 40, notes);
            le64_put(ph, 48, 4);
            break;
        }
        le32_put(ph, 0, 1);                   /* PT_LOAD */
        le32_put(ph, 4, 7);
        le64_put(ph, 8, ELF_BUILD_DATA + i * o->seg_size);
        le64_put(ph, 16, 0xFFFFFFFF81000000ULL + i * o->seg_size);
        le64_put(ph, 24, o->paddr + i * o->seg_size * 2);
        le64_put(ph, 32, o->seg_size);
        le64_put(ph, 40, o->seg_size + o->bss);
        le64_put(ph, 48, 0x1000);
    }
    for (size_t off = ELF_BUILD_DATA; off < len; off++)
        buf[off] = elf_build_byte(off);
    return len;
}
