/* Raw image backend: locking, a worker pool, completions through an
 * eventfd. See blkfile.h for the rules. */
#include "host/blkfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "host/sandbox.h"

#define NONE UINT_MAX
#define MAX_RETRIES 1000      /* EINTR/EAGAIN in a row before giving up */
#define REAP_BATCH 32
#define ZERO_CHUNK (64 * 1024)
#define ZERO_IOV 16           /* 1 MiB of zeroes a call */

/* A singly linked list of entries, by index. */
struct bf_list {
    unsigned head, tail;
};

struct bf_entry {
    struct blkdev_req *req;
    uint64_t cookie;          /* copied at submit: blkdev.h rule 3 */
    int result;
    unsigned next;
};

struct blkfile {
    int fd, efd;
    char *path;
    uint64_t size;
    bool ro;
    const struct blkio_ops *io;
    void *io_ctx;
    struct blkfault fault;    /* used when VESSEL_BLK_FAULT is set */
    atomic_bool suspect;
    pthread_mutex_t flush_lock; /* one fdatasync at a time */
    pthread_mutex_t lock;     /* everything below */
    pthread_cond_t work;      /* pending not empty, or stop */
    pthread_cond_t idle;      /* busy == 0 */
    struct bf_entry *ent;
    unsigned qdepth;
    struct bf_list free, pending, done;
    unsigned busy;            /* accepted, completion not queued yet */
    bool stop;
    unsigned nthreads;
    pthread_t *threads;
};

static uint8_t zeroes[ZERO_CHUNK];

/* ---- entry lists (under bf->lock) ---- */

static void list_init(struct bf_list *l)
{
    l->head = l->tail = NONE;
}

static bool list_empty(const struct bf_list *l)
{
    return l->head == NONE;
}

static void list_push(struct blkfile *bf, struct bf_list *l, unsigned i)
{
    bf->ent[i].next = NONE;
    if (l->tail == NONE)
        l->head = i;
    else
        bf->ent[l->tail].next = i;
    l->tail = i;
}

static unsigned list_pop(struct blkfile *bf, struct bf_list *l)
{
    unsigned i = l->head;

    l->head = bf->ent[i].next;
    if (l->head == NONE)
        l->tail = NONE;
    return i;
}

/* ---- I/O, on worker threads ---- */

static bool retry(int rc, unsigned *tries)
{
    return (rc == -EINTR || rc == -EAGAIN) && ++*tries <= MAX_RETRIES;
}

/* Move (len) bytes between (iov, n) and the image at (off), looping on
 * short counts. The array is consumed. 0 or -errno; no progress (EOF on a
 * shrunken file) is -EIO. */
static int rw_iov(struct blkfile *bf, bool write, struct iovec *iov,
                  unsigned n, uint64_t off, uint64_t len)
{
    unsigned first = 0, tries = 0;

    while (len) {
        ssize_t r;

        while (first < n && iov[first].iov_len == 0)
            first++;
        if (first == n)
            return -EIO;
        r = write ? bf->io->pwritev(bf->io_ctx, bf->fd, iov + first,
                                    (int)(n - first), (off_t)off)
                  : bf->io->preadv(bf->io_ctx, bf->fd, iov + first,
                                   (int)(n - first), (off_t)off);
        if (r < 0 && retry((int)r, &tries))
            continue;
        if (r < 0)
            return (int)r;
        if (r == 0 || (uint64_t)r > len)
            return -EIO;
        tries = 0;
        off += (uint64_t)r;
        len -= (uint64_t)r;
        for (size_t left = (size_t)r; left;) {
            size_t take = iov[first].iov_len < left ? iov[first].iov_len : left;

            iov[first].iov_base = (uint8_t *)iov[first].iov_base + take;
            iov[first].iov_len -= take;
            left -= take;
            if (iov[first].iov_len == 0)
                first++;
        }
    }
    return 0;
}

static int do_rw(struct blkfile *bf, bool write, const struct blkdev_req *req)
{
    struct iovec iov[BLKDEV_MAX_IOV];

    for (unsigned i = 0; i < req->niov; i++)
        iov[i] = (struct iovec){.iov_base = req->iov[i].base,
                                .iov_len = req->iov[i].len};
    return rw_iov(bf, write, iov, req->niov, req->offset, req->len);
}

/* fdatasync, sticky on failure (blkfile.h). */
static int do_flush(struct blkfile *bf)
{
    unsigned tries = 0;
    int rc;

    pthread_mutex_lock(&bf->flush_lock);
    if (atomic_load(&bf->suspect)) {
        rc = -EIO;
        goto out;
    }
    do
        rc = bf->io->fdatasync(bf->io_ctx, bf->fd);
    while (rc == -EINTR && ++tries <= MAX_RETRIES);
    if (rc < 0) {
        atomic_store(&bf->suspect, true);
        log_error("disk %s: fdatasync failed (%s); the image is suspect and "
                  "every later flush will fail",
                  bf->path, strerror(-rc));
    }
out:
    pthread_mutex_unlock(&bf->flush_lock);
    return rc;
}

static int falloc(struct blkfile *bf, int mode, uint64_t off, uint64_t len)
{
    unsigned tries = 0;
    int rc;

    do
        rc = bf->io->fallocate(bf->io_ctx, bf->fd, mode, (off_t)off,
                               (off_t)len);
    while (retry(rc, &tries));
    return rc;
}

static bool unsupported(int rc)
{
    return rc == -EOPNOTSUPP || rc == -ENOSYS || rc == -ENOTTY;
}

static int write_zeroes(struct blkfile *bf, const struct blkdev_req *req)
{
    uint64_t off = req->offset, len = req->len;
    int rc;

    if (req->flags & BLKDEV_F_UNMAP) {
        rc = falloc(bf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
        if (!unsupported(rc))
            return rc;
    }
    rc = falloc(bf, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);
    if (!unsupported(rc))
        return rc;
    while (len) {
        struct iovec iov[ZERO_IOV];
        uint64_t chunk = len < ZERO_IOV * ZERO_CHUNK ? len
                                                     : ZERO_IOV * ZERO_CHUNK;
        unsigned n = 0;

        for (uint64_t left = chunk; left; n++) {
            size_t take = left < ZERO_CHUNK ? (size_t)left : ZERO_CHUNK;

            iov[n] = (struct iovec){.iov_base = zeroes, .iov_len = take};
            left -= take;
        }
        rc = rw_iov(bf, true, iov, n, off, chunk);
        if (rc < 0)
            return rc;
        off += chunk;
        len -= chunk;
    }
    return 0;
}

static int do_req(struct blkfile *bf, const struct blkdev_req *req)
{
    int rc;

    switch (req->op) {
    case BLKDEV_OP_READ:
        return do_rw(bf, false, req);
    case BLKDEV_OP_WRITE:
        rc = do_rw(bf, true, req);
        break;
    case BLKDEV_OP_FLUSH:
        return do_flush(bf);
    case BLKDEV_OP_DISCARD:
        rc = falloc(bf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    req->offset, req->len);
        return unsupported(rc) ? 0 : rc;
    case BLKDEV_OP_WRITE_ZEROES:
        rc = write_zeroes(bf, req);
        break;
    default:
        return -EINVAL;
    }
    if (rc == 0 && (req->flags & BLKDEV_F_FUA))
        rc = do_flush(bf);
    return rc;
}

static void signal_completion(struct blkfile *bf)
{
    uint64_t one = 1;

    /* Fails only if the counter would overflow: it is readable anyway. */
    if (write(bf->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_warn("disk %s: eventfd write: %s", bf->path, strerror(errno));
}

static void *worker(void *arg)
{
    struct blkfile *bf = arg;

    sandbox_thread_enter(SANDBOX_BLK);
    pthread_mutex_lock(&bf->lock);
    for (;;) {
        const struct blkdev_req *req;
        unsigned i;
        int rc;

        while (!bf->stop && list_empty(&bf->pending))
            pthread_cond_wait(&bf->work, &bf->lock);
        if (list_empty(&bf->pending))
            break;
        i = list_pop(bf, &bf->pending);
        req = bf->ent[i].req;
        pthread_mutex_unlock(&bf->lock);
        rc = do_req(bf, req);
        pthread_mutex_lock(&bf->lock);
        bf->ent[i].result = rc;
        bf->ent[i].req = NULL;  /* blkdev.h rule 2: never touched again */
        list_push(bf, &bf->done, i);
        if (--bf->busy == 0)
            pthread_cond_broadcast(&bf->idle);
        pthread_mutex_unlock(&bf->lock);
        signal_completion(bf);
        pthread_mutex_lock(&bf->lock);
    }
    pthread_mutex_unlock(&bf->lock);
    return NULL;
}

/* ---- blkdev_ops ---- */

static void bf_info(void *ctx, struct blkdev_info *out)
{
    struct blkfile *bf = ctx;

    out->size = bf->size;
    out->read_only = bf->ro;
}

/* The device checks all of this already; the backend checks again so no
 * request can reach outside the image whatever the caller. */
static int check_req(const struct blkfile *bf, const struct blkdev_req *req)
{
    uint64_t end, sum = 0;

    if (req->op != BLKDEV_OP_READ && req->op != BLKDEV_OP_FLUSH && bf->ro)
        return -EROFS;
    if (req->op > BLKDEV_OP_WRITE_ZEROES)
        return -EINVAL;
    if (req->op == BLKDEV_OP_FLUSH)
        return 0;
    if (__builtin_add_overflow(req->offset, req->len, &end) ||
        end > bf->size || req->len > (uint64_t)INT64_MAX)
        return -EINVAL;
    if (req->op != BLKDEV_OP_READ && req->op != BLKDEV_OP_WRITE)
        return 0;
    if (req->niov > BLKDEV_MAX_IOV)
        return -EINVAL;
    for (unsigned i = 0; i < req->niov; i++)
        sum += req->iov[i].len;
    return sum == req->len ? 0 : -EINVAL;
}

static int bf_submit(void *ctx, struct blkdev_req *req)
{
    struct blkfile *bf = ctx;
    unsigned i;
    int rc = check_req(bf, req);

    if (rc < 0)
        return rc;
    pthread_mutex_lock(&bf->lock);
    if (bf->stop || list_empty(&bf->free)) {
        pthread_mutex_unlock(&bf->lock);
        return -EAGAIN;
    }
    i = list_pop(bf, &bf->free);
    bf->ent[i].req = req;
    bf->ent[i].cookie = req->cookie;
    list_push(bf, &bf->pending, i);
    bf->busy++;
    pthread_cond_signal(&bf->work);
    pthread_mutex_unlock(&bf->lock);
    return 0;
}

static void wait_idle(struct blkfile *bf)
{
    while (bf->busy)
        pthread_cond_wait(&bf->idle, &bf->lock);
}

static void bf_drain(void *ctx)
{
    struct blkfile *bf = ctx;

    pthread_mutex_lock(&bf->lock);
    wait_idle(bf);
    while (!list_empty(&bf->done))
        list_push(bf, &bf->free, list_pop(bf, &bf->done));
    pthread_mutex_unlock(&bf->lock);
}

const struct blkdev_ops blkfile_blkdev_ops = {
    .info = bf_info,
    .submit = bf_submit,
    .drain = bf_drain,
};

int blkfile_completion_fd(const struct blkfile *bf)
{
    return bf->efd;
}

unsigned blkfile_reap(struct blkfile *bf,
                      void (*cb)(void *ctx, uint64_t cookie, int result),
                      void *ctx)
{
    unsigned total = 0, n;
    uint64_t v;

    /* Clear the fd first: a completion queued after this re-arms it. */
    if (read(bf->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        log_warn("disk %s: eventfd read: %s", bf->path, strerror(errno));
    do {
        struct {
            uint64_t cookie;
            int result;
        } batch[REAP_BATCH];
        bool more;

        n = 0;
        pthread_mutex_lock(&bf->lock);
        while (n < REAP_BATCH && !list_empty(&bf->done)) {
            unsigned i = list_pop(bf, &bf->done);

            batch[n].cookie = bf->ent[i].cookie;
            batch[n++].result = bf->ent[i].result;
            list_push(bf, &bf->free, i);
        }
        more = !list_empty(&bf->done);
        pthread_mutex_unlock(&bf->lock);
        for (unsigned k = 0; k < n; k++)
            cb(ctx, batch[k].cookie, batch[k].result);
        total += n;
        if (more && total >= bf->qdepth) {
            signal_completion(bf);  /* the rest on the next wake-up */
            break;
        }
    } while (n == REAP_BATCH);
    return total;
}

/* ---- open / close ---- */

/* Open errors are logged at debug level only: the caller reports them in
 * one line. */
static int lock_image(int fd, bool ro, const char *path)
{
    struct flock fl = {
        .l_type = ro ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = 0,
        .l_len = 0, /* the whole file, however it grows */
    };

    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno == EAGAIN || errno == EACCES) {
        log_debug("disk %s: in use: another process holds a %s lock on it",
                  path, ro ? "write" : "conflicting");
        return -EBUSY;
    }
    log_debug("disk %s: cannot lock: %s", path, strerror(errno));
    return -errno;
}

static int image_size(int fd, const char *path, uint64_t *size)
{
    struct stat st;
    off_t end;

    if (fstat(fd, &st) < 0) {
        log_debug("disk %s: %s", path, strerror(errno));
        return -errno;
    }
    if (S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
        return 0;
    }
    if (!S_ISBLK(st.st_mode)) {
        log_debug("disk %s: not a regular file or block device", path);
        return -EINVAL;
    }
    end = lseek(fd, 0, SEEK_END);
    if (end < 0) {
        log_debug("disk %s: size: %s", path, strerror(errno));
        return -errno;
    }
    *size = (uint64_t)end;
    return 0;
}

static int setup_io(struct blkfile *bf, const struct blkfile_config *cfg)
{
    const char *env = getenv(BLKFAULT_ENV);

    bf->io = cfg->io ? cfg->io : &blkio_sys_ops;
    bf->io_ctx = cfg->io_ctx;
    if (cfg->io || !env || !*env)
        return 0;
    blkfault_init(&bf->fault);
    if (blkfault_parse(&bf->fault, env) < 0)
        return -EINVAL;
    log_warn("disk %s: fault injection on: %s=%s", bf->path, BLKFAULT_ENV,
             env);
    bf->io = &blkfault_ops;
    bf->io_ctx = &bf->fault;
    return 0;
}

static int setup_queue(struct blkfile *bf, const struct blkfile_config *cfg)
{
    bf->qdepth = cfg->qdepth ? cfg->qdepth : BLKFILE_DEF_QDEPTH;
    bf->nthreads = cfg->nthreads ? cfg->nthreads : BLKFILE_DEF_THREADS;
    bf->ent = calloc(bf->qdepth, sizeof(*bf->ent));
    bf->threads = calloc(bf->nthreads, sizeof(*bf->threads));
    if (!bf->ent || !bf->threads)
        return -ENOMEM;
    list_init(&bf->free);
    list_init(&bf->pending);
    list_init(&bf->done);
    for (unsigned i = 0; i < bf->qdepth; i++)
        list_push(bf, &bf->free, i);
    pthread_mutex_init(&bf->lock, NULL);
    pthread_mutex_init(&bf->flush_lock, NULL);
    pthread_cond_init(&bf->work, NULL);
    pthread_cond_init(&bf->idle, NULL);
    return 0;
}

/* Stop and join the first (n) workers. */
static void stop_workers(struct blkfile *bf, unsigned n)
{
    pthread_mutex_lock(&bf->lock);
    wait_idle(bf);
    bf->stop = true;
    pthread_cond_broadcast(&bf->work);
    pthread_mutex_unlock(&bf->lock);
    for (unsigned i = 0; i < n; i++)
        pthread_join(bf->threads[i], NULL);
}

/* Workers run with every signal blocked: signals meant for vCPU threads
 * never interrupt disk I/O. */
static int start_workers(struct blkfile *bf)
{
    sigset_t all, old;
    unsigned i;
    int rc = 0;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (i = 0; i < bf->nthreads; i++) {
        rc = -pthread_create(&bf->threads[i], NULL, worker, bf);
        if (rc < 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        log_error("disk %s: cannot start I/O threads: %s", bf->path,
                  strerror(-rc));
        stop_workers(bf, i);
    }
    return rc;
}

static void free_bf(struct blkfile *bf)
{
    if (bf->efd >= 0)
        close(bf->efd);
    if (bf->fd >= 0)
        close(bf->fd);
    free(bf->threads);
    free(bf->ent);
    free(bf->path);
    free(bf);
}

static int open_image(struct blkfile *bf, const struct blkfile_config *cfg)
{
    int rc;

    bf->fd = open(cfg->path, (cfg->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (bf->fd < 0) {
        rc = -errno;
        log_debug("disk %s: %s", cfg->path, strerror(errno));
        return rc;
    }
    rc = lock_image(bf->fd, cfg->read_only, cfg->path);
    if (rc == 0)
        rc = image_size(bf->fd, cfg->path, &bf->size);
    if (rc < 0)
        return rc;
    bf->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bf->efd < 0) {
        rc = -errno;
        log_error("disk %s: eventfd: %s", cfg->path, strerror(errno));
    }
    return rc;
}

int blkfile_open(struct blkfile **out, const struct blkfile_config *cfg)
{
    struct blkfile *bf = calloc(1, sizeof(*bf));
    int rc;

    if (!bf)
        return -ENOMEM;
    bf->fd = bf->efd = -1;
    bf->ro = cfg->read_only;
    atomic_init(&bf->suspect, false);
    bf->path = strdup(cfg->path);
    rc = bf->path ? setup_io(bf, cfg) : -ENOMEM;
    if (rc == 0)
        rc = open_image(bf, cfg);
    if (rc == 0)
        rc = setup_queue(bf, cfg);
    if (rc < 0)
        goto err;
    rc = start_workers(bf);
    if (rc < 0)
        goto err_sync;
    *out = bf;
    return 0;
err_sync:
    pthread_cond_destroy(&bf->idle);
    pthread_cond_destroy(&bf->work);
    pthread_mutex_destroy(&bf->flush_lock);
    pthread_mutex_destroy(&bf->lock);
err:
    free_bf(bf);
    return rc;
}

void blkfile_close(struct blkfile *bf)
{
    if (!bf)
        return;
    stop_workers(bf, bf->nthreads);
    pthread_cond_destroy(&bf->idle);
    pthread_cond_destroy(&bf->work);
    pthread_mutex_destroy(&bf->flush_lock);
    pthread_mutex_destroy(&bf->lock);
    free_bf(bf); /* closing the fd drops the OFD lock */
}

uint64_t blkfile_size(const struct blkfile *bf)
{
    return bf->size;
}

bool blkfile_read_only(const struct blkfile *bf)
{
    return bf->ro;
}

const char *blkfile_path(const struct blkfile *bf)
{
    return bf->path;
}

bool blkfile_suspect(const struct blkfile *bf)
{
    return atomic_load(&bf->suspect);
}

/* ---- --disk PATH[,ro][,serial=S] ---- */

/* Copy the path part of (arg) into (out) (",," is a comma). Returns the
 * offset of the first option separator (or the end), or -errno. */
static int parse_path(const char *arg, char *out, size_t cap)
{
    size_t o = 0, i = 0;

    for (; arg[i] && !(arg[i] == ',' && arg[i + 1] != ','); i++) {
        if (o + 1 >= cap)
            return -ENAMETOOLONG;
        out[o++] = arg[i];
        if (arg[i] == ',')
            i++; /* ",," */
    }
    out[o] = '\0';
    return o ? (int)i : -EINVAL;
}

static int parse_serial(const char *val, char *out)
{
    size_t n = strlen(val);

    if (n == 0 || n > BLKFILE_SERIAL_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (val[i] < 0x20 || val[i] > 0x7e)
            return -EINVAL;
    memcpy(out, val, n + 1);
    return 0;
}

static int parse_option(const char *opt, size_t len, struct blkfile_spec *out)
{
    char buf[64];

    if (len >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, opt, len);
    buf[len] = '\0';
    if (strcmp(buf, "ro") == 0 || strcmp(buf, "rw") == 0) {
        out->read_only = buf[1] == 'o';
        return 0;
    }
    if (strncmp(buf, "serial=", 7) == 0)
        return parse_serial(buf + 7, out->serial);
    return -EINVAL;
}

int blkfile_parse_spec(const char *arg, struct blkfile_spec *out)
{
    int at;

    memset(out, 0, sizeof(*out));
    at = parse_path(arg, out->path, sizeof(out->path));
    if (at < 0) {
        log_debug("--disk %s: %s", arg,
                  at == -EINVAL ? "no path" : "path too long");
        return at;
    }
    for (const char *p = arg + at; *p;) {
        const char *opt = p + 1, *end = strchr(opt, ',');
        size_t len = end ? (size_t)(end - opt) : strlen(opt);

        if (parse_option(opt, len, out) < 0) {
            log_debug("--disk %s: bad option '%.*s' (want ro, rw or "
                      "serial=S with 1-20 printable characters)",
                      arg, (int)len, opt);
            return -EINVAL;
        }
        p = opt + len;
    }
    return 0;
}
