/* bzImage payload detection and host-side decompression; the contract is
 * in kdecomp.h. Magic numbers: gzip RFC 1952 2.3.1, xz file format 2.1.1.1,
 * zstd RFC 8878 3.1.1; the others as the kernel's lib/decompress.c lists
 * them. */
#include "host/kdecomp.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/bytes.h"
#include "host/file.h"

#define TRAILER 4U                     /* LE32 decompressed length */
#define CHUNK (256 * 1024)             /* output buffer */
#define HOLE_BLOCK 4096U               /* zero runs this long become holes */
/* liblzma may use this much memory; the kernel's xz streams use a 32 MiB
 * dictionary at most (scripts/xz_wrap.sh), a hostile one may ask more. */
#define XZ_MEMLIMIT (256 * MiB)

static const struct {
    uint8_t magic[6];
    size_t len;
    enum kdecomp_format fmt;
} magics[] = {
    { { 0x1F, 0x8B }, 2, KDECOMP_GZIP },
    { { 0x1F, 0x9E }, 2, KDECOMP_GZIP },          /* old gzip */
    { { 0xFD, '7', 'z', 'X', 'Z', 0x00 }, 6, KDECOMP_XZ },
    { { 0x28, 0xB5, 0x2F, 0xFD }, 4, KDECOMP_ZSTD },
    { { 0x5D, 0x00, 0x00 }, 3, KDECOMP_LZMA },
    { { 'B', 'Z', 'h' }, 3, KDECOMP_BZIP2 },
    { { 0x02, 0x21, 0x4C, 0x18 }, 4, KDECOMP_LZ4 }, /* legacy lz4 frame */
    { { 0x89, 'L', 'Z', 'O' }, 4, KDECOMP_LZO },
};

static const char *const names[KDECOMP__COUNT] = {
    [KDECOMP_UNKNOWN] = "unknown", [KDECOMP_GZIP] = "gzip",
    [KDECOMP_XZ] = "xz",           [KDECOMP_ZSTD] = "zstd",
    [KDECOMP_LZMA] = "lzma",       [KDECOMP_BZIP2] = "bzip2",
    [KDECOMP_LZ4] = "lz4",         [KDECOMP_LZO] = "lzo",
};

const char *kdecomp_name(enum kdecomp_format fmt)
{
    return (unsigned)fmt < KDECOMP__COUNT ? names[fmt] : names[0];
}

bool kdecomp_supported(enum kdecomp_format fmt)
{
    return fmt == KDECOMP_GZIP || fmt == KDECOMP_XZ || fmt == KDECOMP_ZSTD;
}

int kdecomp_find(const uint8_t *img, size_t len, const struct bzimage_info *bi,
                 struct kdecomp_payload *out)
{
    const uint8_t *pm = img + bi->kernel_offset;
    uint32_t off, plen;

    memset(out, 0, sizeof(*out));
    /* bzimage_parse() guarantees the header through 0x264 and a protected-
     * mode part of more than 0x200 bytes inside (len). */
    if (bi->len != len || len < KDECOMP_OFF_PAYLOAD_LENGTH + 4 ||
        bi->kernel_offset + bi->kernel_size != len)
        return -EINVAL;
    off = le32_get(img, KDECOMP_OFF_PAYLOAD_OFFSET);
    plen = le32_get(img, KDECOMP_OFF_PAYLOAD_LENGTH);
    /* The image is untrusted: both fields are 32-bit, so their sum fits
     * in 64 bits; the payload must lie in the protected-mode part and hold
     * at least a magic and the length trailer. */
    if (plen < 8 + TRAILER || (uint64_t)off + plen > bi->kernel_size)
        return -EINVAL;
    out->data = pm + off;
    out->len = plen;
    out->out_len = le32_get(out->data, plen - TRAILER);
    for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
        if (memcmp(out->data, magics[i].magic, magics[i].len) == 0) {
            out->fmt = magics[i].fmt;
            break;
        }
    return 0;
}

/* Where decompressed bytes go: (fd), at most (want) bytes in all. */
struct sink {
    int fd;
    uint8_t *buf;
    uint64_t done, want;
};

static bool all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Write (n) bytes of (s->buf), seeking over whole zero pages instead of
 * writing them: the file gets holes there, and a load that skips holes
 * (kcache_load.h) neither reads nor touches them. A vmlinux is about half
 * zero pages (init data, bss-like sections kept in the file). */
static int emit(struct sink *s, size_t n)
{
    size_t at = 0;

    if (n > s->want - s->done)
        return -EINVAL;           /* more than the trailer promised */
    while (at < n) {
        /* up to the next page boundary of the output */
        size_t len = (size_t)(HOLE_BLOCK - (s->done + at) % HOLE_BLOCK);
        int rc = 0;

        len = len < n - at ? len : n - at;
        if (len == HOLE_BLOCK && all_zero(s->buf + at, len))
            rc = lseek(s->fd, (off_t)len, SEEK_CUR) < 0 ? -errno : 0;
        else
            rc = host_write_all(s->fd, s->buf + at, len);
        if (rc < 0)
            return rc;
        at += len;
    }
    s->done += n;
    return 0;
}

/* A file that ends in a hole is as long as its last write: extend it. */
static int finish(int fd)
{
    off_t end = lseek(fd, 0, SEEK_CUR);
    struct stat st;

    if (end < 0 || fstat(fd, &st) < 0)
        return -errno;
    return st.st_size < end && ftruncate(fd, end) < 0 ? -errno : 0;
}

static int unxz(const struct kdecomp_payload *p, struct sink *out)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r;
    int rc = 0;

    if (lzma_stream_decoder(&s, XZ_MEMLIMIT, 0) != LZMA_OK)
        return -ENOMEM;
    s.next_in = p->data;
    s.avail_in = p->len;
    do {
        s.next_out = out->buf;
        s.avail_out = CHUNK;
        /* LZMA_FINISH: the input is all there; a stream that stops short
         * ends in LZMA_BUF_ERROR, not an endless loop. */
        r = lzma_code(&s, LZMA_FINISH);
        rc = emit(out, CHUNK - s.avail_out);
    } while (rc == 0 && r == LZMA_OK);
    lzma_end(&s);
    if (rc == 0 && r != LZMA_STREAM_END)
        rc = r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? -ENOMEM
                                                              : -EINVAL;
    return rc;
}

static int gunzip(const struct kdecomp_payload *p, struct sink *out)
{
    z_stream z;
    int r, rc = 0;

    memset(&z, 0, sizeof(z));
    /* 16 + MAX_WBITS: a gzip wrapper, not zlib. */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -ENOMEM;
    /* The length comes from a 32-bit header field: it fits zlib's uInt. */
    z.next_in = (Bytef *)(uintptr_t)p->data;
    z.avail_in = (uInt)p->len;
    do {
        z.next_out = out->buf;
        z.avail_out = CHUNK;
        /* Z_OK while it makes progress; Z_BUF_ERROR once it cannot. */
        r = inflate(&z, Z_NO_FLUSH);
        rc = emit(out, CHUNK - z.avail_out);
    } while (rc == 0 && r == Z_OK);
    inflateEnd(&z);
    if (rc == 0 && r != Z_STREAM_END)
        rc = r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
    return rc;
}

static int unzstd(const struct kdecomp_payload *p, struct sink *out)
{
    size_t frame = ZSTD_findFrameCompressedSize(p->data, p->len);
    ZSTD_inBuffer in = { p->data, frame, 0 };
    ZSTD_DCtx *d;
    size_t left = 1;
    int rc = 0;

    /* One frame: the length trailer after it is no zstd frame. The
     * default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB) bounds
     * what a hostile frame can make the decoder allocate. */
    if (ZSTD_isError(frame))
        return -EINVAL;
    d = ZSTD_createDCtx();
    if (!d)
        return -ENOMEM;
    while (rc == 0 && left != 0) {
        ZSTD_outBuffer o = { out->buf, CHUNK, 0 };

        left = ZSTD_decompressStream(d, &o, &in);
        if (ZSTD_isError(left))
            rc = -EINVAL;
        else
            rc = emit(out, o.pos);
        /* No input left and the output not full: it is stuck short. */
        if (rc == 0 && left != 0 && in.pos == in.size && o.pos < o.size)
            rc = -EINVAL;
    }
    ZSTD_freeDCtx(d);
    return rc;
}

int kdecomp_to_fd(const struct kdecomp_payload *p, uint64_t max, int fd)
{
    struct sink out = { .fd = fd, .want = p->out_len };
    int rc;

    if (!kdecomp_supported(p->fmt))
        return -EOPNOTSUPP;
    if (p->out_len == 0 || p->out_len > max)
        return -EFBIG;
    out.buf = malloc(CHUNK);
    if (!out.buf)
        return -ENOMEM;
    if (p->fmt == KDECOMP_XZ)
        rc = unxz(p, &out);
    else if (p->fmt == KDECOMP_GZIP)
        rc = gunzip(p, &out);
    else
        rc = unzstd(p, &out);
    free(out.buf);
    if (rc == 0 && out.done != out.want)
        rc = -EINVAL;
    return rc == 0 ? finish(fd) : rc;
}
