/* AML encoder; the contract is in aml.h. Opcodes and encodings are from
 * ACPI 6.x chapter 20 ("ACPI Machine Language Specification"). */
#include "boot/aml.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define AML_ZERO 0x00U
#define AML_ONE 0x01U
#define AML_NAME 0x08U
#define AML_BYTE_PREFIX 0x0AU
#define AML_WORD_PREFIX 0x0BU
#define AML_DWORD_PREFIX 0x0CU
#define AML_STRING_PREFIX 0x0DU
#define AML_QWORD_PREFIX 0x0EU
#define AML_SCOPE 0x10U
#define AML_BUFFER 0x11U
#define AML_PACKAGE 0x12U
#define AML_METHOD 0x14U
#define AML_DUAL_NAME 0x2EU
#define AML_MULTI_NAME 0x2FU
#define AML_EXT_PREFIX 0x5BU
#define AML_DEVICE 0x82U          /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_CHAR '^'
#define AML_RETURN 0xA4U
#define AML_ARG0 0x68U            /* Arg0..Arg6: 0x68..0x6E */

/* Small resource descriptors (ACPI 6.x 6.4.2): tag byte = type << 3 | len. */
#define RES_IRQ_NOFLAGS 0x22U     /* type 4, 2 bytes */
#define RES_IO 0x47U              /* type 8, 7 bytes */
#define RES_IO_DECODE16 0x01U
#define RES_END 0x79U             /* type 15, 1 byte */

/* Large resource descriptors (6.4.3): tag, then a 16-bit length of what
 * follows the 3-byte header. */
#define RES_MEM32_FIXED 0x86U
#define RES_DWORD_ADDR 0x87U
#define RES_WORD_ADDR 0x88U
#define RES_QWORD_ADDR 0x8AU
#define RES_SPACE_MEM 0U          /* resource type */
#define RES_SPACE_IO 1U
#define RES_SPACE_BUS 2U
/* General flags: _MAF, _MIF set; _DEC 0 (positive); bit 0 is ignored for
 * these descriptors (6.4.3.5.1) and left 0 (producer). */
#define RES_FLAGS_FIXED 0x0CU
#define RES_IO_ENTIRE_RANGE 0x03U /* _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW 0x01U          /* _RW */
#define RES_MEM_CACHEABLE 0x02U   /* _MEM = 1 */

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->cap = cap;
}

static void aml_fail(struct aml *a, int err)
{
    if (!a->err)
        a->err = err;
}

int aml_finish(const struct aml *a, size_t *len)
{
    *len = 0;
    if (a->err)
        return a->err;
    if (a->depth)
        return -EINVAL;
    *len = a->len;
    return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (a->err)
        return;
    if (n > a->cap - a->len) {
        aml_fail(a, -ENOSPC);
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

/* The low (n) bytes of (v), little-endian; (n) is at most 8. */
static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
    uint8_t b[8];

    le64_put(b, 0, v);
    aml_bytes(a, b, n);
}

static bool seg_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* One NameSeg from (s), up to '.' or the end; returns chars consumed or 0. */
static size_t seg_parse(const char *s, uint8_t seg[4])
{
    size_t n = 0;

    while (s[n] && s[n] != '.') {
        if (n == 4 || !seg_char(s[n], n == 0))
            return 0;
        seg[n] = (uint8_t)s[n];
        n++;
    }
    if (n)
        memset(seg + n, '_', 4 - n);
    return n;
}

void aml_namestring(struct aml *a, const char *path)
{
    uint8_t segs[4 * 255];
    size_t nseg = 0, used;
    const char *s = path;

    if (*s == AML_ROOT_CHAR)
        aml_byte(a, (uint8_t)*s++);
    else
        while (*s == AML_PARENT_CHAR)
            aml_byte(a, (uint8_t)*s++);
    while (*s) {
        if (nseg == 255 || !(used = seg_parse(s, segs + 4 * nseg))) {
            aml_fail(a, -EINVAL);
            return;
        }
        nseg++;
        s += used;
        if (*s == '.' && !*++s) {
            aml_fail(a, -EINVAL);       /* trailing dot */
            return;
        }
    }
    if (nseg == 0) {
        aml_byte(a, AML_ZERO);          /* NullName */
        return;
    }
    if (nseg == 2)
        aml_byte(a, AML_DUAL_NAME);
    else if (nseg > 2) {
        aml_byte(a, AML_MULTI_NAME);
        aml_byte(a, (uint8_t)nseg);
    }
    aml_bytes(a, segs, 4 * nseg);
}

void aml_name(struct aml *a, const char *path)
{
    aml_byte(a, AML_NAME);
    aml_namestring(a, path);
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0)
        aml_byte(a, AML_ZERO);
    else if (v == 1)
        aml_byte(a, AML_ONE);
    else if (v <= UINT8_MAX) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= UINT16_MAX) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= UINT32_MAX) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    size_t i, n = strlen(s);

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] > 0x7F) {
            aml_fail(a, -EINVAL);
            return;
        }
    }
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, n + 1);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Three letters, 5 bits each (letter - 0x40), then four 4-bit hex digits,
 * big-endian in a 32-bit value; the bytes then go out in that order. */
void aml_eisaid(struct aml *a, const char *id)
{
    uint32_t v = 0;
    unsigned i;

    if (strlen(id) != 7) {
        aml_fail(a, -EINVAL);
        return;
    }
    for (i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            aml_fail(a, -EINVAL);
            return;
        }
        v = v << 5 | (uint32_t)(id[i] - 0x40);
    }
    for (i = 3; i < 7; i++) {
        int d = hex_digit(id[i]);

        if (d < 0) {
            aml_fail(a, -EINVAL);
            return;
        }
        v = v << 4 | (uint32_t)d;
    }
    aml_byte(a, AML_DWORD_PREFIX);
    aml_byte(a, (uint8_t)(v >> 24));
    aml_byte(a, (uint8_t)(v >> 16));
    aml_byte(a, (uint8_t)(v >> 8));
    aml_byte(a, (uint8_t)v);
}

void aml_return(struct aml *a)
{
    aml_byte(a, AML_RETURN);
}

void aml_arg(struct aml *a, unsigned n)
{
    if (n > 6) {
        aml_fail(a, -EINVAL);
        return;
    }
    aml_byte(a, (uint8_t)(AML_ARG0 + n));
}

static void aml_open(struct aml *a, enum aml_kind kind)
{
    if (a->err)
        return;
    if (a->depth == AML_MAX_DEPTH) {
        aml_fail(a, -EOVERFLOW);
        return;
    }
    a->open[a->depth].start = a->len;
    a->open[a->depth].kind = kind;
    a->depth++;
}

void aml_scope_open(struct aml *a, const char *path)
{
    aml_byte(a, AML_SCOPE);
    aml_open(a, AML_KIND_PLAIN);
    aml_namestring(a, path);
}

void aml_device_open(struct aml *a, const char *path)
{
    aml_byte(a, AML_EXT_PREFIX);
    aml_byte(a, AML_DEVICE);
    aml_open(a, AML_KIND_PLAIN);
    aml_namestring(a, path);
}

void aml_method_open(struct aml *a, const char *path, unsigned nargs,
                     bool serialized)
{
    if (nargs > 7) {
        aml_fail(a, -EINVAL);
        return;
    }
    aml_byte(a, AML_METHOD);
    aml_open(a, AML_KIND_PLAIN);
    aml_namestring(a, path);
    aml_byte(a, (uint8_t)(nargs | (serialized ? 0x08U : 0U)));
}

void aml_package_open(struct aml *a, uint8_t nelems)
{
    aml_byte(a, AML_PACKAGE);
    aml_open(a, AML_KIND_PLAIN);
    aml_byte(a, nelems);
}

void aml_buffer_open(struct aml *a)
{
    aml_byte(a, AML_BUFFER);
    aml_open(a, AML_KIND_BUFFER);
}

unsigned aml_pkglen_encode(size_t content, uint8_t out[4])
{
    static const size_t max_total[4] = { 0x3F, 0xFFF, 0xFFFFF, 0xFFFFFFF };
    unsigned n, i;
    size_t total;

    for (n = 1; n <= 4; n++) {
        if (content <= max_total[n - 1] - n)
            break;
    }
    if (n > 4)
        return 0;
    total = content + n;
    if (n == 1) {
        out[0] = (uint8_t)total;
        return 1;
    }
    /* Lead byte: bits 7-6 count the bytes that follow, bits 3-0 are the
     * low nibble; each following byte holds the next 8 bits. */
    out[0] = (uint8_t)((n - 1) << 6 | (total & 0x0F));
    for (i = 1; i < n; i++)
        out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    return n;
}

/* Insert (n) bytes at (pos), moving what follows up. */
static void aml_insert(struct aml *a, size_t pos, const uint8_t *p, size_t n)
{
    if (n > a->cap - a->len) {
        aml_fail(a, -ENOSPC);
        return;
    }
    memmove(a->buf + pos + n, a->buf + pos, a->len - pos);
    memcpy(a->buf + pos, p, n);
    a->len += n;
}

void aml_close(struct aml *a)
{
    uint8_t pre[4 + 9];
    size_t start, npre = 0;
    struct aml size_enc;
    unsigned n;

    if (a->err)
        return;
    if (a->depth == 0) {
        aml_fail(a, -EINVAL);
        return;
    }
    a->depth--;
    start = a->open[a->depth].start;
    if (a->open[a->depth].kind == AML_KIND_BUFFER) {
        /* BufferSize: an integer giving the byte count that follows it. */
        aml_init(&size_enc, pre + 4, sizeof(pre) - 4);
        aml_integer(&size_enc, a->len - start);
        npre = size_enc.len;
    }
    n = aml_pkglen_encode(a->len - start + npre, pre);
    if (n == 0) {
        aml_fail(a, -E2BIG);
        return;
    }
    if (n < 4)
        memmove(pre + n, pre + 4, npre);
    aml_insert(a, start, pre, n + npre);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
                uint8_t len)
{
    const uint8_t d[8] = {
        RES_IO, RES_IO_DECODE16, (uint8_t)min, (uint8_t)(min >> 8),
        (uint8_t)max, (uint8_t)(max >> 8), align, len,
    };

    aml_bytes(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, uint16_t mask)
{
    const uint8_t d[3] = { RES_IRQ_NOFLAGS, (uint8_t)mask,
                           (uint8_t)(mask >> 8) };

    aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw)
{
    uint8_t d[12] = { RES_MEM32_FIXED, 9, 0, rw ? 1U : 0U };

    le32_put(d, 4, base);
    le32_put(d, 8, len);
    aml_bytes(a, d, sizeof(d));
}

/* The low (w) bytes of (v) at (p + off), little-endian. */
static void put_le(uint8_t *p, size_t off, uint64_t v, unsigned w)
{
    for (unsigned i = 0; i < w; i++)
        p[off + i] = (uint8_t)(v >> (8 * i));
}

/* A Word (w = 2), DWord (4) or QWord (8) Address Space Descriptor: header,
 * resource type, flags, then granularity, min, max, translation offset and
 * length, each (w) bytes. The callers' types keep min and max in range;
 * the length must fit too. */
static void res_addr(struct aml *a, uint8_t tag, unsigned w, uint8_t space,
                     uint8_t tflags, uint64_t min, uint64_t max)
{
    uint8_t d[6 + 5 * 8] = { 0 };
    uint64_t len = max - min + 1;

    if (max < min || len == 0 || (w < 8 && len >> (8 * w))) {
        aml_fail(a, -EINVAL);
        return;
    }
    d[0] = tag;
    le16_put(d, 1, (uint16_t)(3 + 5 * w));
    d[3] = space;
    d[4] = RES_FLAGS_FIXED;
    d[5] = tflags;
    put_le(d, 6 + w, min, w);         /* granularity 0 before it */
    put_le(d, 6 + 2 * (size_t)w, max, w);
    put_le(d, 6 + 4 * (size_t)w, len, w); /* translation 0 before it */
    aml_bytes(a, d, 6 + 5 * (size_t)w);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
    res_addr(a, RES_WORD_ADDR, 2, RES_SPACE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
    res_addr(a, RES_WORD_ADDR, 2, RES_SPACE_IO, RES_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max,
                       bool cacheable)
{
    res_addr(a, RES_DWORD_ADDR, 4, RES_SPACE_MEM,
             (uint8_t)(RES_MEM_RW | (cacheable ? RES_MEM_CACHEABLE : 0U)), min,
             max);
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max,
                       bool cacheable)
{
    res_addr(a, RES_QWORD_ADDR, 8, RES_SPACE_MEM,
             (uint8_t)(RES_MEM_RW | (cacheable ? RES_MEM_CACHEABLE : 0U)), min,
             max);
}

void aml_res_end(struct aml *a)
{
    /* Checksum 0: "the resource data is treated as if the checksum
     * operation succeeded" (ACPI 6.x 6.4.2.9). */
    const uint8_t d[2] = { RES_END, 0 };

    aml_bytes(a, d, sizeof(d));
}
