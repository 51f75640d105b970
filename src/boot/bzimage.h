/* Linux bzImage loader for the 64-bit boot protocol (Documentation/x86/
 * boot.rst, protocol 2.12+): parse the setup header, then place the
 * protected-mode kernel, initrd, command line and boot_params ("zero page")
 * in guest RAM as boot/layout.h says.
 *
 * Use:
 *     struct bzimage_info bi;
 *     rc = bzimage_parse(img, len, &bi);        // -ENOEXEC / -EINVAL
 *     ... e820_build(), acpi_build() ...
 *     rc = bzimage_load(gm, img, len, &bi, &args, &res);
 *     x86_entry_setup(gm, &cpu); cpu.rip = res.entry; cpu.rsi = res.zero_page;
 * On failure the reason code in bi.reason / res.reason gives one clear line
 * through bzimage_describe(). */
#ifndef VESSEL_BOOT_BZIMAGE_H
#define VESSEL_BOOT_BZIMAGE_H

#include "boot/e820.h"
#include "core/gmem.h"
#include "core/types.h"

/* Why a parse or load failed; BZIMAGE_OK on success. */
enum bzimage_reason {
    BZIMAGE_OK = 0,
    BZIMAGE_TRUNCATED,        /* file ends inside the header, setup or kernel */
    BZIMAGE_NO_BOOT_FLAG,     /* no 0xAA55 at 0x1FE: not a bzImage */
    BZIMAGE_NO_HDRS,          /* no "HdrS" at 0x202: not a bzImage */
    BZIMAGE_TOO_OLD,          /* boot protocol below 2.12 */
    BZIMAGE_NOT_64BIT,        /* XLF_KERNEL_64 clear: no 64-bit entry */
    BZIMAGE_NOT_HIGH,         /* LOADED_HIGH clear: a zImage */
    BZIMAGE_BAD_HEADER,       /* header sizes overflow, bad kernel_alignment */
    BZIMAGE_KERNEL_NO_FIT,    /* kernel + init_size does not fit low RAM */
    BZIMAGE_INITRD_NO_FIT,    /* no room for the initrd below its limit */
    BZIMAGE_CMDLINE_TOO_LONG, /* longer than the header's cmdline_size */
    BZIMAGE_BAD_ARGS,         /* caller error: RAM size, e820 count, info */
    BZIMAGE_GMEM,             /* a guest memory write failed */
    BZIMAGE__COUNT
};

/* Boot protocol versions and flags the loader checks (boot.rst). */
#define BZIMAGE_MIN_VERSION 0x020CU /* 2.12: xloadflags */
#define BZIMAGE_RSDP_VERSION 0x020EU /* 2.14: boot_params.acpi_rsdp_addr */
#define BZIMAGE_LOADED_HIGH 0x01U   /* loadflags */
#define BZIMAGE_CAN_USE_HEAP 0x80U  /* loadflags */
#define BZIMAGE_XLF_KERNEL_64 0x01U /* xloadflags */
/* The 64-bit entry point is this far into the protected-mode kernel. */
#define BZIMAGE_ENTRY64_OFFSET 0x200U

/* What bzimage_parse() read from the setup header. */
struct bzimage_info {
    enum bzimage_reason reason; /* BZIMAGE_OK, or why the parse failed */
    size_t len;                 /* image length the info describes */
    uint16_t version;           /* boot protocol, 0x020F is 2.15 */
    uint8_t loadflags;
    uint16_t xloadflags;
    unsigned setup_sects;       /* 512-byte setup sectors, 0 read as 4 */
    size_t hdr_end;             /* setup header is [0x1F1, hdr_end) */
    /* The protected-mode kernel (the "payload" that is loaded) is
     * img[kernel_offset, kernel_offset + kernel_size); kernel_offset is
     * (setup_sects + 1) * 512 and kernel_size is never 0. */
    size_t kernel_offset;
    size_t kernel_size;
    uint64_t pref_address;      /* preferred load address */
    uint32_t init_size;         /* bytes needed from the load address */
    uint32_t kernel_alignment;  /* power of 2 if relocatable */
    bool relocatable;
    uint32_t initrd_addr_max;   /* highest byte address the initrd may use */
    uint32_t cmdline_size;      /* longest command line without its NUL */
};

/* Where and what to load; the caller owns every buffer. */
struct boot_load_args {
    const char *cmdline;          /* NUL-terminated; NULL means "" */
    const uint8_t *initrd;        /* NULL or initrd_len 0: no initrd */
    size_t initrd_len;
    uint64_t ram_low;             /* RAM is [0, ram_low): layout_ram_low() */
    uint64_t ram_high;            /* RAM at 4 GiB: layout_ram_high(); the
                                   * loader keeps everything below 4 GiB */
    const struct e820_entry *e820; /* copied into boot_params */
    unsigned e820_nr;             /* at most E820_MAX_ENTRIES */
    gpa_t rsdp;                   /* ACPI RSDP, 0 for none (protocol 2.14+) */
};

/* Where things went. */
struct boot_load_result {
    enum bzimage_reason reason;   /* BZIMAGE_OK, or why the load failed */
    gpa_t entry;                  /* 64-bit entry: kernel_addr + 0x200 */
    gpa_t zero_page;              /* boot_params: %rsi at entry */
    gpa_t kernel_addr;            /* protected-mode kernel load address */
    uint64_t kernel_span;         /* bytes from there: max(init_size, size) */
    gpa_t cmdline;
    gpa_t initrd_addr;            /* 0 if no initrd */
    uint64_t initrd_size;
};

/* Validate the bzImage (img, len) and fill (*out). The image is only read.
 * Returns 0; -EINVAL if truncated or its header is inconsistent
 * (BZIMAGE_TRUNCATED, BZIMAGE_BAD_HEADER); -ENOEXEC if it is not a kernel
 * this loader can boot (BZIMAGE_NO_BOOT_FLAG, NO_HDRS, TOO_OLD, NOT_64BIT,
 * NOT_HIGH). On failure out->reason, out->len and, once read, out->version
 * are set for bzimage_describe(). */
int bzimage_parse(const uint8_t *img, size_t len,
                  struct bzimage_info *out) MUST_CHECK;

/* Load the image (img, len) that bzimage_parse() accepted into (bi) into
 * guest memory (gm): the kernel at pref_address (or, if relocatable and that
 * does not fit, the lowest kernel_alignment-aligned address at or above
 * 16 MiB, then 1 MiB), the initrd page-aligned as high as possible below
 * min(initrd_addr_max + 1, ram_low) and above the kernel, the command line
 * at LAYOUT_CMDLINE and boot_params at LAYOUT_ZERO_PAGE. Fills (*res).
 * Call before any vCPU runs. Returns 0; -EINVAL on bad (bi) or (args)
 * (BZIMAGE_BAD_ARGS); -ENOSPC if the kernel or initrd does not fit
 * (BZIMAGE_KERNEL_NO_FIT, BZIMAGE_INITRD_NO_FIT); -E2BIG for a command
 * line longer than cmdline_size or too many e820 entries; -EFAULT if a
 * guest write fails (BZIMAGE_GMEM). res->reason says which. */
int bzimage_load(struct gmem *gm, const uint8_t *img, size_t len,
                 const struct bzimage_info *bi,
                 const struct boot_load_args *args,
                 struct boot_load_result *res) MUST_CHECK;

/* A fixed one-line text for (reason), e.g. "not a bzImage (no HdrS magic)".
 * Never NULL, also for values outside the enum. */
const char *bzimage_strerror(enum bzimage_reason reason);

/* Write the message for (reason) into (buf) of (cap) bytes, NUL-terminated
 * and truncated to fit, with details from (bi) when it is not NULL
 * ("boot protocol 2.05 too old, need 2.12"). Returns the full length the
 * message needed, like snprintf. */
size_t bzimage_describe(enum bzimage_reason reason,
                        const struct bzimage_info *bi, char *buf, size_t cap);

#endif
