/* A small AML (ACPI Machine Language) encoder into a caller-owned buffer,
 * for the DSDT and SSDTs Vessel generates (ACPI 6.x, chapter 20).
 *
 * Errors are sticky: the first one (buffer full, bad name, too deep, bad
 * close) is kept in a->err and every later call does nothing, so a builder
 * emits a whole table and checks once, in aml_finish(). Objects with a
 * PkgLength are opened and closed; the length is encoded in its shortest
 * form (1 to 4 bytes) when the object is closed.
 *
 *     aml_init(&a, buf, sizeof(buf));
 *     aml_name(&a, "\\_S5_");
 *     aml_package_open(&a, 4);
 *     aml_integer(&a, 5); aml_integer(&a, 5); aml_integer(&a, 0);
 *     aml_integer(&a, 0);
 *     aml_close(&a);
 *     rc = aml_finish(&a, &len);
 */
#ifndef VESSEL_BOOT_AML_H
#define VESSEL_BOOT_AML_H

#include "core/types.h"

#define AML_MAX_DEPTH 16U

/* Largest PkgLength value (4-byte form: 28 bits). */
#define AML_PKGLEN_MAX 0x0FFFFFFFU

enum aml_kind { AML_KIND_PLAIN, AML_KIND_BUFFER };

struct aml {
    uint8_t *buf;
    size_t cap, len;
    struct {
        size_t start;             /* where the PkgLength goes */
        enum aml_kind kind;
    } open[AML_MAX_DEPTH];
    unsigned depth;
    int err;                      /* 0, or the first -errno */
};

/* Start encoding into (buf) of (cap) bytes, owned by the caller. */
void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* The length encoded into (*len). Returns 0, the sticky error (-ENOSPC
 * when the buffer was too small, -EINVAL for a bad name, string or
 * EISA ID, -E2BIG for a PkgLength over 28 bits, -EOVERFLOW when nested too
 * deep) or -EINVAL if an object is still open. */
int aml_finish(const struct aml *a, size_t *len) MUST_CHECK;

/* Raw bytes (resource descriptors, opcodes this file has no helper for). */
void aml_bytes(struct aml *a, const void *p, size_t n);

/* A NameString: "\\" root and "^" parent prefixes, then up to 255 dotted
 * segments of 1-4 characters [A-Z0-9_] (not starting with a digit), each
 * padded with '_' to 4: "\\_SB_.COM1", "_HID", "^PCI0.S08". */
void aml_namestring(struct aml *a, const char *path);

/* Name (path, <object>): the caller emits the object next. */
void aml_name(struct aml *a, const char *path);

/* An integer in the shortest encoding: ZeroOp, OneOp, Byte, Word, DWord,
 * QWord. (QWord needs a definition block of revision 2 or later.) */
void aml_integer(struct aml *a, uint64_t v);

/* A String of ASCII characters 0x01-0x7F. */
void aml_string(struct aml *a, const char *s);

/* EISAID("PNP0501"): three upper-case letters and four hex digits,
 * compressed to a DWord as ACPI 6.x section 19.6.35 describes. */
void aml_eisaid(struct aml *a, const char *id);

/* Return (<object>): the caller emits the object next. */
void aml_return(struct aml *a);

/* Arg0..Arg6, the method's arguments, as an operand. */
void aml_arg(struct aml *a, unsigned n);

/* Objects with a PkgLength; each is ended by aml_close(). */
void aml_scope_open(struct aml *a, const char *path);
void aml_device_open(struct aml *a, const char *path);
void aml_method_open(struct aml *a, const char *path, unsigned nargs,
                     bool serialized);
void aml_package_open(struct aml *a, uint8_t nelems);
/* Buffer: the BufferSize is computed at close from the bytes emitted. */
void aml_buffer_open(struct aml *a);
void aml_close(struct aml *a);

/* Resource descriptors (ACPI 6.x section 6.4) for inside a buffer that is
 * a _CRS; aml_res_end() terminates the template. */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
                uint8_t len);           /* I/O port, 16-bit decode */
void aml_res_irq(struct aml *a, uint16_t mask); /* IRQNoFlags: edge, high */
/* Memory32Fixed (6.4.3.4): (len) bytes at (base), read-write or not. */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw);
/* Address space descriptors a bridge produces (6.4.3.5.1-3): the range
 * [min, max] with fixed ends, positive decode, granularity 0, no
 * translation. -EINVAL (sticky) if max < min or the length overflows.
 * WordBusNumber; WordIO (ISA and non-ISA ranges); DWordMemory and
 * QWordMemory, read-write, cacheable or not. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max,
                       bool cacheable);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max,
                       bool cacheable);
void aml_res_end(struct aml *a);

/* Encode PkgLength for (content) bytes that follow it into (out), which
 * has room for 4. Returns the number of bytes used (1-4), or 0 if the
 * total exceeds AML_PKGLEN_MAX. Exposed for tests. */
unsigned aml_pkglen_encode(size_t content, uint8_t out[4]);

#endif
