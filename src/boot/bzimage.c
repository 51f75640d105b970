/* bzImage parser and loader; the contract is in bzimage.h. Offsets and
 * field meanings are from the Linux x86 boot protocol (boot.rst, "THE REAL-
 * MODE KERNEL HEADER") and zero-page.rst. */
#include "boot/bzimage.h"

#include <errno.h>
#include <string.h>

#include "boot/layout.h"
#include "core/bytes.h"

/* Setup header, at the same offsets in the image and in boot_params. */
#define HDR_START 0x1F1U          /* setup_sects: first header byte */
#define OFF_SETUP_SECTS 0x1F1U
#define OFF_VID_MODE 0x1FAU
#define OFF_BOOT_FLAG 0x1FEU
#define OFF_JUMP 0x200U           /* 0xEB, header length - 2 */
#define OFF_HEADER 0x202U         /* "HdrS" */
#define OFF_VERSION 0x206U
#define OFF_TYPE_OF_LOADER 0x210U
#define OFF_LOADFLAGS 0x211U
#define OFF_CODE32_START 0x214U
#define OFF_RAMDISK_IMAGE 0x218U
#define OFF_RAMDISK_SIZE 0x21CU
#define OFF_HEAP_END_PTR 0x224U
#define OFF_CMD_LINE_PTR 0x228U
#define OFF_INITRD_ADDR_MAX 0x22CU
#define OFF_KERNEL_ALIGNMENT 0x230U
#define OFF_RELOCATABLE 0x234U
#define OFF_XLOADFLAGS 0x236U
#define OFF_CMDLINE_SIZE 0x238U
#define OFF_HW_SUBARCH 0x23CU
#define OFF_HW_SUBARCH_DATA 0x240U
#define OFF_SETUP_DATA 0x250U
#define OFF_PREF_ADDRESS 0x258U
#define OFF_INIT_SIZE 0x260U
#define HDR_MIN_END 0x264U        /* every field above is before this */
#define HDR_MAX_END 0x290U        /* boot_params.edd_mbr_sig_buffer */

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070U
#define BP_EXT_RAMDISK_IMAGE 0x0C0U
#define BP_EXT_RAMDISK_SIZE 0x0C4U
#define BP_EXT_CMD_LINE_PTR 0x0C8U
#define BP_E820_ENTRIES 0x1E8U
#define BP_E820_TABLE 0x2D0U

#define BOOT_FLAG 0xAA55U
#define SECTOR 512U
#define LOADER_UNDEFINED 0xFFU    /* type_of_loader: no assigned ID */
#define VID_MODE_NORMAL 0xFFFFU
/* heap_end_ptr from the spec's sample configuration (heap_end 0xE000 less
 * 0x200); only the real-mode setup code, which this loader skips, uses it. */
#define HEAP_END_PTR 0xDE00U
#define PAGE 0x1000ULL

/* Bytes the kernel occupies from its load address while it starts. */
static uint64_t kernel_span(const struct bzimage_info *bi)
{
    return bi->init_size > bi->kernel_size ? bi->init_size
                                           : (uint64_t)bi->kernel_size;
}

static int parse_fail(struct bzimage_info *out, enum bzimage_reason r, int rc)
{
    out->reason = r;
    return rc;
}

/* Signatures and the minimum length, checked in the order that gives the
 * most useful message for a file that is not a bzImage at all. */
static int parse_magic(const uint8_t *img, size_t len, struct bzimage_info *out)
{
    if (len >= OFF_BOOT_FLAG + 2 && le16_get(img, OFF_BOOT_FLAG) != BOOT_FLAG)
        return parse_fail(out, BZIMAGE_NO_BOOT_FLAG, -ENOEXEC);
    if (len >= OFF_HEADER + 4 && memcmp(img + OFF_HEADER, "HdrS", 4) != 0)
        return parse_fail(out, BZIMAGE_NO_HDRS, -ENOEXEC);
    if (len < HDR_MIN_END)
        return parse_fail(out, BZIMAGE_TRUNCATED, -EINVAL);
    out->version = le16_get(img, OFF_VERSION);
    if (out->version < BZIMAGE_MIN_VERSION)
        return parse_fail(out, BZIMAGE_TOO_OLD, -ENOEXEC);
    out->loadflags = img[OFF_LOADFLAGS];
    if (!(out->loadflags & BZIMAGE_LOADED_HIGH))
        return parse_fail(out, BZIMAGE_NOT_HIGH, -ENOEXEC);
    out->xloadflags = le16_get(img, OFF_XLOADFLAGS);
    if (!(out->xloadflags & BZIMAGE_XLF_KERNEL_64))
        return parse_fail(out, BZIMAGE_NOT_64BIT, -ENOEXEC);
    return 0;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out)
{
    uint64_t end;
    size_t hdr_end;
    int rc;

    memset(out, 0, sizeof(*out));
    out->len = len;
    out->reason = BZIMAGE_OK;
    rc = parse_magic(img, len, out);
    if (rc < 0)
        return rc;

    /* boot.rst: "if the setup_sects field contains 0, the real value is 4" */
    out->setup_sects = img[OFF_SETUP_SECTS] ? img[OFF_SETUP_SECTS] : 4U;
    out->kernel_offset = (size_t)(out->setup_sects + 1) * SECTOR;
    /* The 64-bit entry is 0x200 into the kernel: it must be in the file. */
    if (len <= out->kernel_offset + BZIMAGE_ENTRY64_OFFSET)
        return parse_fail(out, BZIMAGE_TRUNCATED, -EINVAL);
    out->kernel_size = len - out->kernel_offset;

    /* The jump at 0x200 skips the header: its end is 0x202 + the rel8.
     * Kept within what boot_params reserves for the header, and at least
     * the fields a 2.12+ kernel has. */
    hdr_end = OFF_HEADER + (size_t)img[OFF_JUMP + 1];
    if (hdr_end < HDR_MIN_END)
        hdr_end = HDR_MIN_END;
    if (hdr_end > HDR_MAX_END)
        hdr_end = HDR_MAX_END;
    out->hdr_end = hdr_end;

    out->pref_address = le64_get(img, OFF_PREF_ADDRESS);
    out->init_size = le32_get(img, OFF_INIT_SIZE);
    out->kernel_alignment = le32_get(img, OFF_KERNEL_ALIGNMENT);
    out->relocatable = img[OFF_RELOCATABLE] != 0;
    out->initrd_addr_max = le32_get(img, OFF_INITRD_ADDR_MAX);
    out->cmdline_size = le32_get(img, OFF_CMDLINE_SIZE);

    if (out->relocatable &&
        (out->kernel_alignment == 0 ||
         (out->kernel_alignment & (out->kernel_alignment - 1)) != 0))
        return parse_fail(out, BZIMAGE_BAD_HEADER, -EINVAL);
    if (__builtin_add_overflow(out->pref_address, kernel_span(out), &end))
        return parse_fail(out, BZIMAGE_BAD_HEADER, -EINVAL);
    return 0;
}

/* ---- loading ---------------------------------------------------------- */

struct load_plan {
    size_t cmdline_len;           /* without the NUL */
    gpa_t kernel;
    uint64_t kernel_span;
    gpa_t initrd;
    uint64_t initrd_size;
};

static int load_fail(struct boot_load_result *res, enum bzimage_reason r,
                     int rc)
{
    res->reason = r;
    return rc;
}

static int load_check(size_t len, const struct bzimage_info *bi,
                      const struct boot_load_args *a, struct load_plan *p,
                      struct boot_load_result *res)
{
    size_t max_cmdline = LAYOUT_CMDLINE_MAX - 1;

    if (bi->reason != BZIMAGE_OK || bi->len != len ||
        bi->kernel_offset + bi->kernel_size != len || bi->kernel_size == 0)
        return load_fail(res, BZIMAGE_BAD_ARGS, -EINVAL);
    if (a->ram_low < LAYOUT_RAM_MIN || a->ram_low > LAYOUT_MMIO_HOLE ||
        (a->e820_nr > 0 && !a->e820) || (a->initrd_len > 0 && !a->initrd))
        return load_fail(res, BZIMAGE_BAD_ARGS, -EINVAL);
    if (a->e820_nr > E820_MAX_ENTRIES)
        return load_fail(res, BZIMAGE_BAD_ARGS, -E2BIG);
    if (bi->cmdline_size < max_cmdline)
        max_cmdline = bi->cmdline_size;
    p->cmdline_len = a->cmdline ? strnlen(a->cmdline, max_cmdline + 1) : 0;
    if (p->cmdline_len > max_cmdline)
        return load_fail(res, BZIMAGE_CMDLINE_TOO_LONG, -E2BIG);
    return 0;
}

/* True if [addr, addr+span) lies in [LAYOUT_HIGH_MEM, top). */
static bool fits(uint64_t addr, uint64_t span, uint64_t top)
{
    uint64_t end;

    return addr >= LAYOUT_HIGH_MEM &&
           !__builtin_add_overflow(addr, span, &end) && end <= top;
}

/* pref_address if it fits; otherwise a relocatable kernel goes at 16 MiB,
 * else 1 MiB, rounded up to kernel_alignment (boot.rst: a relocatable
 * kernel may be loaded at any address aligned to it). */
static int place_kernel(const struct bzimage_info *bi, uint64_t top,
                        struct load_plan *p)
{
    static const uint64_t lower[] = { 16 * MiB, LAYOUT_HIGH_MEM };
    unsigned i;

    p->kernel_span = kernel_span(bi);
    if (fits(bi->pref_address, p->kernel_span, top)) {
        p->kernel = bi->pref_address;
        return 0;
    }
    if (!bi->relocatable)
        return -ENOSPC;
    for (i = 0; i < ARRAY_SIZE(lower); i++) {
        uint64_t addr = align_up(lower[i], bi->kernel_alignment);

        if (fits(addr, p->kernel_span, top)) {
            p->kernel = addr;
            return 0;
        }
    }
    return -ENOSPC;
}

/* Highest page-aligned spot below min(initrd_addr_max + 1, top), above the
 * kernel's init_size span. Kept below 4 GiB even if the kernel could take
 * it higher (XLF_CAN_BE_LOADED_ABOVE_4G): top is at most 3 GiB. */
static int place_initrd(const struct bzimage_info *bi, uint64_t top,
                        uint64_t len, struct load_plan *p)
{
    uint64_t limit = (uint64_t)bi->initrd_addr_max + 1;
    uint64_t kernel_end = p->kernel + p->kernel_span;
    uint64_t addr;

    if (len == 0)
        return 0;
    if (limit > top)
        limit = top;
    if (len > limit)
        return -ENOSPC;
    addr = align_down(limit - len, PAGE);
    if (addr < kernel_end)
        return -ENOSPC;
    p->initrd = addr;
    p->initrd_size = len;
    return 0;
}

static void zero_page_build(uint8_t *zp, const uint8_t *img,
                            const struct bzimage_info *bi,
                            const struct boot_load_args *a,
                            const struct load_plan *p)
{
    unsigned i;

    memset(zp, 0, LAYOUT_ZERO_PAGE_SIZE);
    memcpy(zp + HDR_START, img + HDR_START, bi->hdr_end - HDR_START);
    /* Fields boot.rst marks "write" (or "modify") for the boot loader. */
    zp[OFF_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    zp[OFF_LOADFLAGS] = (uint8_t)(zp[OFF_LOADFLAGS] | BZIMAGE_CAN_USE_HEAP);
    le16_put(zp, OFF_HEAP_END_PTR, HEAP_END_PTR);
    le16_put(zp, OFF_VID_MODE, VID_MODE_NORMAL);
    le32_put(zp, OFF_CODE32_START, (uint32_t)p->kernel);
    le32_put(zp, OFF_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
    le32_put(zp, BP_EXT_CMD_LINE_PTR, (uint32_t)(LAYOUT_CMDLINE >> 32));
    le32_put(zp, OFF_RAMDISK_IMAGE, (uint32_t)p->initrd);
    le32_put(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd >> 32));
    le32_put(zp, OFF_RAMDISK_SIZE, (uint32_t)p->initrd_size);
    le32_put(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_size >> 32));
    /* Values the image may carry that only a loader may set: a hostile
     * image must not hand the kernel a setup_data chain or a subarch. */
    le64_put(zp, OFF_SETUP_DATA, 0);
    le32_put(zp, OFF_HW_SUBARCH, 0);
    le64_put(zp, OFF_HW_SUBARCH_DATA, 0);
    if (bi->version >= BZIMAGE_RSDP_VERSION)
        le64_put(zp, BP_ACPI_RSDP_ADDR, a->rsdp);

    zp[BP_E820_ENTRIES] = (uint8_t)a->e820_nr;
    for (i = 0; i < a->e820_nr; i++) {
        size_t off = BP_E820_TABLE + (size_t)i * sizeof(struct e820_entry);

        le64_put(zp, off, a->e820[i].addr);
        le64_put(zp, off + 8, a->e820[i].size);
        le32_put(zp, off + 16, a->e820[i].type);
    }
}

int bzimage_load(struct gmem *gm, const uint8_t *img, size_t len,
                 const struct bzimage_info *bi,
                 const struct boot_load_args *args,
                 struct boot_load_result *res)
{
    uint8_t zp[LAYOUT_ZERO_PAGE_SIZE];
    struct load_plan p = { 0 };
    int rc;

    memset(res, 0, sizeof(*res));
    rc = load_check(len, bi, args, &p, res);
    if (rc < 0)
        return rc;
    if (place_kernel(bi, args->ram_low, &p) < 0)
        return load_fail(res, BZIMAGE_KERNEL_NO_FIT, -ENOSPC);
    if (place_initrd(bi, args->ram_low, args->initrd_len, &p) < 0)
        return load_fail(res, BZIMAGE_INITRD_NO_FIT, -ENOSPC);

    zero_page_build(zp, img, bi, args, &p);
    rc = gmem_write(gm, p.kernel, img + bi->kernel_offset, bi->kernel_size);
    if (rc == 0 && p.initrd_size)
        rc = gmem_write(gm, p.initrd, args->initrd, args->initrd_len);
    if (rc == 0 && p.cmdline_len)
        rc = gmem_write(gm, LAYOUT_CMDLINE, args->cmdline, p.cmdline_len);
    if (rc == 0)
        rc = gmem_fill(gm, LAYOUT_CMDLINE + p.cmdline_len, 0, 1);
    if (rc == 0)
        rc = gmem_write(gm, LAYOUT_ZERO_PAGE, zp, sizeof(zp));
    if (rc < 0)
        return load_fail(res, BZIMAGE_GMEM, rc);

    res->entry = p.kernel + BZIMAGE_ENTRY64_OFFSET;
    res->zero_page = LAYOUT_ZERO_PAGE;
    res->kernel_addr = p.kernel;
    res->kernel_span = p.kernel_span;
    res->cmdline = LAYOUT_CMDLINE;
    res->initrd_addr = p.initrd;
    res->initrd_size = p.initrd_size;
    return 0;
}

/* ---- messages --------------------------------------------------------- */

static const char *const reason_text[BZIMAGE__COUNT] = {
    [BZIMAGE_OK] = "ok",
    [BZIMAGE_TRUNCATED] = "truncated: file ends inside the bzImage",
    [BZIMAGE_NO_BOOT_FLAG] = "not a bzImage (no 0xAA55 boot flag at 0x1FE)",
    [BZIMAGE_NO_HDRS] = "not a bzImage (no HdrS magic)",
    [BZIMAGE_TOO_OLD] = "boot protocol too old, need 2.12",
    [BZIMAGE_NOT_64BIT] = "kernel has no 64-bit entry point (XLF_KERNEL_64)",
    [BZIMAGE_NOT_HIGH] = "not loadable high (zImage, LOADED_HIGH clear)",
    [BZIMAGE_BAD_HEADER] = "bad setup header (init_size or alignment)",
    [BZIMAGE_KERNEL_NO_FIT] = "kernel does not fit in guest RAM",
    [BZIMAGE_INITRD_NO_FIT] = "initrd does not fit",
    [BZIMAGE_CMDLINE_TOO_LONG] = "command line too long",
    [BZIMAGE_BAD_ARGS] = "bad loader arguments",
    [BZIMAGE_GMEM] = "guest memory write failed",
};

const char *bzimage_strerror(enum bzimage_reason reason)
{
    if ((unsigned)reason >= BZIMAGE__COUNT)
        return "unknown bzImage error";
    return reason_text[reason];
}

/* A bounded string builder: counts what it could not store. */
struct sbuf {
    char *p;
    size_t cap, len;
};

static void sb_putc(struct sbuf *sb, char c)
{
    if (sb->len + 1 < sb->cap)
        sb->p[sb->len] = c;
    sb->len++;
}

static void sb_puts(struct sbuf *sb, const char *s)
{
    while (*s)
        sb_putc(sb, *s++);
}

/* (v) in (base) 10 or 16, at least (width) digits. */
static void sb_putu(struct sbuf *sb, uint64_t v, unsigned base, unsigned width)
{
    char d[20];
    unsigned n = 0;

    do {
        d[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && n < sizeof(d));
    while (n < width && n < sizeof(d))
        d[n++] = '0';
    if (base == 16)
        sb_puts(sb, "0x");
    while (n)
        sb_putc(sb, d[--n]);
}

/* The smallest low RAM the kernel fits in, as place_kernel() decides;
 * saturates instead of wrapping for a nonsensical header. */
static uint64_t kernel_min_ram(const struct bzimage_info *bi)
{
    uint64_t span = kernel_span(bi), start = bi->pref_address, end;

    if (bi->relocatable)
        start = align_up(LAYOUT_HIGH_MEM, bi->kernel_alignment);
    if (__builtin_add_overflow(start, span, &end))
        return UINT64_MAX;
    return end;
}

static void describe_detail(struct sbuf *sb, enum bzimage_reason reason,
                            const struct bzimage_info *bi)
{
    switch (reason) {
    case BZIMAGE_TOO_OLD:
        sb_puts(sb, "boot protocol ");
        sb_putu(sb, (uint64_t)(bi->version >> 8), 10, 1);
        sb_putc(sb, '.');
        sb_putu(sb, bi->version & 0xFFU, 10, 2);
        sb_puts(sb, " too old, need 2.12");
        break;
    case BZIMAGE_TRUNCATED:
        sb_puts(sb, "truncated: ");
        sb_putu(sb, bi->len, 10, 1);
        if (bi->len < HDR_MIN_END) {
            sb_puts(sb, " bytes, a bzImage header needs ");
            sb_putu(sb, HDR_MIN_END, 10, 1);
        } else {
            sb_puts(sb, " bytes, but setup_sects ");
            sb_putu(sb, bi->setup_sects, 10, 1);
            sb_puts(sb, " puts the kernel at byte ");
            sb_putu(sb, bi->kernel_offset, 10, 1);
        }
        break;
    case BZIMAGE_KERNEL_NO_FIT:
        sb_puts(sb, "kernel does not fit in guest RAM: it needs at least ");
        sb_putu(sb, kernel_min_ram(bi) / MiB + (kernel_min_ram(bi) % MiB != 0),
                10, 1);
        sb_puts(sb, " MiB");
        break;
    default:
        sb_puts(sb, bzimage_strerror(reason));
        break;
    }
}

size_t bzimage_describe(enum bzimage_reason reason,
                        const struct bzimage_info *bi, char *buf, size_t cap)
{
    struct sbuf sb = { .p = buf, .cap = cap, .len = 0 };

    if (bi)
        describe_detail(&sb, reason, bi);
    else
        sb_puts(&sb, bzimage_strerror(reason));
    if (cap)
        buf[sb.len < cap ? sb.len : cap - 1] = '\0';
    return sb.len;
}
