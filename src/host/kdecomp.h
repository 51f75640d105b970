/* The compressed kernel inside a bzImage, decompressed on the host.
 *
 * A bzImage's protected-mode part holds the real kernel (an ELF vmlinux,
 * possibly followed by its relocation table) compressed, at the setup
 * header's payload_offset/payload_length (boot.rst, protocol 2.08+). Its
 * last 4 bytes are the decompressed length, little-endian (gzip's ISIZE;
 * the kernel build appends it for the other formats). xz, gzip and zstd
 * are decompressed here with liblzma, zlib and libzstd; lzma, bzip2, lz4
 * and lzo are recognised but left to the kernel's own decompressor. */
#ifndef VESSEL_HOST_KDECOMP_H
#define VESSEL_HOST_KDECOMP_H

#include "boot/bzimage.h"
#include "core/types.h"

/* Setup header fields (boot.rst), relative to the protected-mode kernel. */
#define KDECOMP_OFF_PAYLOAD_OFFSET 0x248U
#define KDECOMP_OFF_PAYLOAD_LENGTH 0x24CU

enum kdecomp_format {
    KDECOMP_UNKNOWN = 0,
    KDECOMP_GZIP,
    KDECOMP_XZ,
    KDECOMP_ZSTD,
    KDECOMP_LZMA,             /* recognised, not decompressed here */
    KDECOMP_BZIP2,            /* recognised, not decompressed here */
    KDECOMP_LZ4,              /* recognised, not decompressed here */
    KDECOMP_LZO,              /* recognised, not decompressed here */
    KDECOMP__COUNT
};

struct kdecomp_payload {
    const uint8_t *data;      /* inside the bzImage, (len) bytes */
    size_t len;
    enum kdecomp_format fmt;
    uint32_t out_len;         /* decompressed length from the trailer */
};

/* Locate the payload of the bzImage (img, len) that bzimage_parse()
 * accepted into (bi), and detect its format by magic. Returns 0; -EINVAL
 * if the header's payload range is not inside the protected-mode kernel or
 * too short to hold a stream and its length trailer. */
int kdecomp_find(const uint8_t *img, size_t len, const struct bzimage_info *bi,
                 struct kdecomp_payload *out) MUST_CHECK;

/* True if kdecomp_run() can decompress (fmt). */
bool kdecomp_supported(enum kdecomp_format fmt);

/* "xz", "gzip", ...; "unknown" for anything else. */
const char *kdecomp_name(enum kdecomp_format fmt);

/* Decompress (p) into file (fd) at its current offset, through a small
 * buffer (the VMM never holds the whole kernel). Writes exactly p->out_len
 * bytes, leaving holes (lseek) for page-aligned zero pages; refuses an out_len of 0 or above (max) with -EFBIG before writing
 * anything. Returns 0; -EOPNOTSUPP for a format this build does not
 * decompress; -EINVAL if the stream is corrupt or its output is not
 * exactly out_len bytes; -ENOMEM; -errno from write() (-ENOSPC, ...). */
int kdecomp_to_fd(const struct kdecomp_payload *p, uint64_t max,
                  int fd) MUST_CHECK;

#endif
