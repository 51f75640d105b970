/* diskwork: a disk benchmark program, run the same way in a guest (on its
 * virtio-blk disk) and on the host (on the image file behind that disk).
 *
 * Usage: diskwork [-s MIB] [-b BYTES] [-n OPS] [-r SEED] [-B] PATH MODE[,MODE...]
 *   MODE   seqread, seqwrite: the first MIB MiB in BYTES blocks, in order
 *                             (default block 1 MiB)
 *          randread, randwrite: OPS requests of BYTES at random BYTES-aligned
 *                             offsets in the first MIB MiB (default block
 *                             4 KiB, OPS 2000; the offsets depend only on
 *                             SEED, so guest and host see the same sequence)
 *   -s MIB  the area used (default: the whole file or device)
 *   -B      buffered I/O even where O_DIRECT works
 * Prints one line per mode:
 *   DISKWORK mode=M direct=0|1 bs=N ops=N bytes=N ms=ELAPSED mibps=X iops=Y
 * ELAPSED is CLOCK_MONOTONIC time around the requests; write modes end with
 * fdatasync() inside the timed part (in a guest: a virtio-blk FLUSH).
 *
 * O_DIRECT is tried first; where it is refused (EINVAL: tmpfs before Linux
 * 6.6, for one) the file is used buffered: reads are preceded by
 * posix_fadvise(DONTNEED) over the area (which drops clean cached pages on a
 * disk-backed filesystem; on tmpfs the page cache is the storage itself).
 * direct= says which one ran. Build static (gcc -static -O2) so the same
 * binary runs in the busybox guest. Exit status 0, or 1 on any error
 * (then a "DISKWORK-FAIL ..." line). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static int fd = -1, direct;

static void fail(const char *fmt, const char *a, int err)
{
    printf("DISKWORK-FAIL ");
    printf(fmt, a);
    if (err)
        printf(": %s", strerror(err));
    printf("\n");
    fflush(stdout);
    exit(1);
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void open_path(int want_direct)
{
    if (fd >= 0)
        close(fd);
    fd = open(path, O_RDWR | (want_direct ? O_DIRECT : 0));
    if (fd < 0 && want_direct && errno == EINVAL) {
        want_direct = 0;
        fd = open(path, O_RDWR);
    }
    if (fd < 0)
        fail("cannot open %s", path, errno);
    direct = want_direct;
}

static uint64_t path_size(void)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        fail("cannot stat %s", path, errno);
    if (S_ISBLK(st.st_mode)) {
        uint64_t sz = 0;
        if (ioctl(fd, BLKGETSIZE64, &sz) < 0)
            fail("BLKGETSIZE64 %s", path, errno);
        return sz;
    }
    return (uint64_t)st.st_size;
}

/* One request; returns 0, or -errno. */
static int do_io(int write, char *buf, size_t bs, uint64_t off)
{
    ssize_t n = write ? pwrite(fd, buf, bs, (off_t)off) : pread(fd, buf, bs, (off_t)off);
    if (n < 0)
        return -errno;
    if ((size_t)n != bs)
        return -EIO;   /* short: the area is larger than the file */
    return 0;
}

int main(int argc, char **argv)
{
    long mib = 0, bs_opt = 0, ops_opt = 2000;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int buffered = 0, c;
    while ((c = getopt(argc, argv, "s:b:n:r:B")) != -1) {
        switch (c) {
        case 's': mib = strtol(optarg, NULL, 10); break;
        case 'b': bs_opt = strtol(optarg, NULL, 10); break;
        case 'n': ops_opt = strtol(optarg, NULL, 10); break;
        case 'r': seed = strtoull(optarg, NULL, 0) | 1; break;
        case 'B': buffered = 1; break;
        default: goto usage;
        }
    }
    if (argc - optind != 2 || mib < 0 || bs_opt < 0 || ops_opt < 1 ||
        (bs_opt && bs_opt % 512))
        goto usage;
    path = argv[optind];
    char *modes = argv[optind + 1];

    open_path(!buffered);
    uint64_t size = mib ? (uint64_t)mib << 20 : path_size();

    char *buf;
    size_t maxbs = bs_opt ? (size_t)bs_opt : 1 << 20;
    if (posix_memalign((void **)&buf, 4096, maxbs))
        fail("out of memory%s", "", 0);
    uint64_t fill = seed;
    for (size_t i = 0; i < maxbs / 8; i++)
        ((uint64_t *)buf)[i] = xorshift(&fill);

    for (char *mode = strtok(modes, ","); mode; mode = strtok(NULL, ",")) {
        int seq = !strcmp(mode, "seqread") || !strcmp(mode, "seqwrite");
        int rnd = !strcmp(mode, "randread") || !strcmp(mode, "randwrite");
        if (!seq && !rnd)
            fail("unknown mode %s", mode, 0);
        int write = strstr(mode, "write") != NULL;
        size_t bs = bs_opt ? (size_t)bs_opt : seq ? 1 << 20 : 4096;
        uint64_t blocks = size / bs;
        if (blocks == 0)
            fail("%s: the area is smaller than one block", path, 0);
        uint64_t ops = seq ? blocks : (uint64_t)ops_opt;
        uint64_t rng = seed;

        /* O_DIRECT may open but refuse the I/O itself: probe once */
        if (direct) {
            int r = do_io(0, buf, bs, 0);
            if (r == -EINVAL)
                open_path(0);
            else if (r < 0)
                fail("first read of %s", path, -r);
        }
        if (!direct && !write)
            posix_fadvise(fd, 0, (off_t)size, POSIX_FADV_DONTNEED);

        double t0 = now_ms();
        for (uint64_t i = 0; i < ops; i++) {
            uint64_t off = seq ? i * bs : (xorshift(&rng) % blocks) * bs;
            if (write)
                ((uint64_t *)buf)[0] = i;
            int r = do_io(write, buf, bs, off);
            if (r < 0) {
                char what[96];
                snprintf(what, sizeof(what), "%s at %" PRIu64 " (bs %zu)", mode, off, bs);
                fail("%s", what, -r);
            }
        }
        if (write && fdatasync(fd) < 0)
            fail("fdatasync %s", path, errno);
        double ms = now_ms() - t0;
        if (ms <= 0)
            ms = 1e-3;
        double bytes = (double)ops * (double)bs;
        printf("DISKWORK mode=%s direct=%d bs=%zu ops=%" PRIu64 " bytes=%.0f ms=%.1f "
               "mibps=%.2f iops=%.1f\n", mode, direct, bs, ops, bytes, ms,
               bytes / 1048576.0 / (ms / 1e3), (double)ops / (ms / 1e3));
        fflush(stdout);
    }
    close(fd);
    return 0;

usage:
    fputs("usage: diskwork [-s MIB] [-b BYTES] [-n OPS] [-r SEED] [-B] PATH "
          "seqread|seqwrite|randread|randwrite[,...]\n", stderr);
    return 2;
}
