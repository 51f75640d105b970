/* libFuzzer target: the command line's spec parsers, whose text comes
 * from users and scripts: `--net` (vm_net_parse_spec), `--disk`
 * (blkfile_parse_spec), `--mem`-style sizes (parse_size, with
 * human_bytes as its printer), counts (parse_uint) and VM names
 * (parse_name). The first input byte picks the parser (and its
 * parameters), the rest is the text, cut at its first NUL.
 *
 * `--user` (sandbox_parse_user) is left out: it asks the passwd database
 * (getpwnam/getpwuid), so it is not a pure function of its input.
 *
 * Checked on every input (a failed check traps; ASan catches overruns):
 *  - --net: an error is -EINVAL with one line that starts
 *    "--net '<text>': " (when the text has no newline); a success obeys
 *    net_spec.h (one backend, a tap name Linux accepts, at most
 *    VM_NET_MAX_FWD forwards with ports 1-65535, guest addresses inside
 *    10.0.2.0/24 but not the network's own, no two forwards that cannot
 *    both listen, a unicast non-zero MAC) and prints back to a spec that parses
 *    to the same thing;
 *  - --disk: an error is -EINVAL or -ENAMETOOLONG with exactly one log
 *    line; a success has a non-empty path and a serial of at most 20
 *    printable characters, and prints back (",," for commas) to a spec
 *    that parses to the same thing;
 *  - sizes: success is exact (the human_bytes form parses back to the
 *    same byte count) and only for digits then a known unit; every
 *    human_bytes output parses back;
 *  - counts: success means all digits and a value in [min, max]; garbage
 *    is -EINVAL, out of range -ERANGE, and the output is left alone;
 *  - names: accepted exactly when 1-64 characters of [A-Za-z0-9._-] not
 *    starting with '.' or '-'; too long is -ENAMETOOLONG. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/human.h"
#include "cli/parse.h"
#include "core/log.h"
#include "host/blkfile.h"
#include "vmm/net_spec.h"

#define MAX_TEXT 8192

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

/* ---- log capture ---- */

static struct {
    unsigned lines;
    bool empty, newline;
} logs;

static void capture(void *ctx, enum log_level lvl, const char *msg)
{
    (void)ctx;
    (void)lvl;
    logs.lines++;
    logs.empty |= !msg[0];
    logs.newline |= strchr(msg, '\n') != NULL;
}

/* ---- --net ---- */

static void check_net(const struct vm_net_spec *s)
{
    static const uint8_t zero[6];

    CHECK(s->backend == VM_NET_USER || s->backend == VM_NET_TAP);
    CHECK(s->nfwd <= VM_NET_MAX_FWD);
    CHECK(s->backend == VM_NET_USER || s->nfwd == 0);
    if (s->backend == VM_NET_TAP) {
        size_t n = strnlen(s->tap, sizeof(s->tap));

        CHECK(n >= 1 && n <= NET_TAP_NAME_MAX);
        CHECK(strcmp(s->tap, ".") && strcmp(s->tap, ".."));
        for (size_t i = 0; i < n; i++)
            CHECK(s->tap[i] > ' ' && s->tap[i] < 0x7f &&
                  !strchr("/:%,", s->tap[i]));
    }
    if (s->has_mac)
        CHECK(!(s->mac[0] & 1) && memcmp(s->mac, zero, 6));
    for (unsigned i = 0; i < s->nfwd; i++) {
        const struct net_slirp_fwd *f = &s->fwd[i];
        uint32_t g = ntohl(f->guest_addr.s_addr), low = g & 0xff;

        CHECK(f->host_port && f->guest_port);
        CHECK((g & NET_SLIRP_MASK) == NET_SLIRP_NET);
        CHECK(low != 0 && low != 0xff && g != NET_SLIRP_HOST &&
              g != NET_SLIRP_DNS);
        /* No two that cannot both listen: one port on one address (or
         * on any address). */
        for (unsigned j = 0; j < i; j++)
            CHECK(s->fwd[j].udp != f->udp ||
                  s->fwd[j].host_port != f->host_port ||
                  (s->fwd[j].host_addr.s_addr != f->host_addr.s_addr &&
                   s->fwd[j].host_addr.s_addr != htonl(INADDR_ANY) &&
                   f->host_addr.s_addr != htonl(INADDR_ANY)));
    }
}

/* The spec (s) as text the parser reads. */
static void print_net(const struct vm_net_spec *s, char *out, size_t cap)
{
    size_t n;

    if (s->backend == VM_NET_TAP)
        n = (size_t)snprintf(out, cap, "tap=%s", s->tap);
    else
        n = (size_t)snprintf(out, cap, "user");
    for (unsigned i = 0; i < s->nfwd; i++) {
        const struct net_slirp_fwd *f = &s->fwd[i];
        char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

        CHECK(inet_ntop(AF_INET, &f->host_addr, h, sizeof(h)));
        CHECK(inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g)));
        n += (size_t)snprintf(out + n, cap - n, ",hostfwd=%s:%s:%u-%s:%u",
                              f->udp ? "udp" : "tcp", h, f->host_port, g,
                              f->guest_port);
    }
    if (s->has_mac) {
        char mac[VM_NET_MAC_STRLEN];

        vm_net_mac_str(s->mac, mac);
        n += (size_t)snprintf(out + n, cap - n, ",mac=%s", mac);
    }
    CHECK(n < cap);
}

static bool same_net(const struct vm_net_spec *a, const struct vm_net_spec *b)
{
    if (a->backend != b->backend || a->has_mac != b->has_mac ||
        a->nfwd != b->nfwd || strcmp(a->tap, b->tap) ||
        (a->has_mac && memcmp(a->mac, b->mac, 6)))
        return false;
    for (unsigned i = 0; i < a->nfwd; i++) {
        const struct net_slirp_fwd *x = &a->fwd[i], *y = &b->fwd[i];

        if (x->udp != y->udp || x->host_port != y->host_port ||
            x->guest_port != y->guest_port ||
            x->host_addr.s_addr != y->host_addr.s_addr ||
            x->guest_addr.s_addr != y->guest_addr.s_addr)
            return false;
    }
    return true;
}

static void fuzz_net(const char *text)
{
    static struct vm_net_spec a, b;
    char err[MAX_TEXT + 256], back[2048];
    char prefix[64];
    int rc;

    err[0] = '\0';
    rc = vm_net_parse_spec(text, &a, err, sizeof(err));
    if (rc < 0) {
        CHECK(rc == -EINVAL && err[0]);
        snprintf(prefix, sizeof(prefix), "--net '%.20s", text);
        CHECK(!strncmp(err, prefix, strlen(prefix)));
        CHECK(strchr(text, '\n') || !strchr(err, '\n'));
        return;
    }
    CHECK(rc == 0);
    check_net(&a);
    print_net(&a, back, sizeof(back));
    CHECK(vm_net_parse_spec(back, &b, err, sizeof(err)) == 0);
    CHECK(same_net(&a, &b));
}

/* ---- --disk ---- */

static void print_disk(const struct blkfile_spec *s, char *out, size_t cap)
{
    size_t n = 0;

    for (const char *p = s->path; *p; p++) {
        CHECK(n + 3 < cap);
        out[n++] = *p;
        if (*p == ',')
            out[n++] = ',';
    }
    n += (size_t)snprintf(out + n, cap - n, "%s", s->read_only ? ",ro" : "");
    if (s->serial[0])
        n += (size_t)snprintf(out + n, cap - n, ",serial=%s", s->serial);
    CHECK(n < cap);
}

static void fuzz_disk(const char *text)
{
    static struct blkfile_spec a, b;
    static char back[2 * BLKFILE_PATH_MAX + 64];
    size_t sn;
    int rc;

    memset(&logs, 0, sizeof(logs));
    rc = blkfile_parse_spec(text, &a);
    if (rc < 0) {
        CHECK(rc == -EINVAL || rc == -ENAMETOOLONG);
        CHECK(logs.lines == 1 && !logs.empty);
        CHECK(strchr(text, '\n') || !logs.newline);
        return;
    }
    CHECK(rc == 0 && logs.lines == 0);
    CHECK(a.path[0] && strlen(a.path) < BLKFILE_PATH_MAX);
    sn = strnlen(a.serial, sizeof(a.serial));
    CHECK(sn <= BLKFILE_SERIAL_MAX);
    for (size_t i = 0; i < sn; i++)
        CHECK(a.serial[i] >= 0x20 && a.serial[i] <= 0x7e &&
              a.serial[i] != ',');
    print_disk(&a, back, sizeof(back));
    CHECK(blkfile_parse_spec(back, &b) == 0);
    CHECK(!strcmp(a.path, b.path) && a.read_only == b.read_only &&
          !strcmp(a.serial, b.serial));
}

/* ---- sizes, counts, names ---- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool known_unit(const char *s)
{
    static const char *const units[] = {"", "b", "k", "kb", "kib", "m",
                                        "mb", "mib", "g", "gb", "gib", "t",
                                        "tb", "tib"};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcasecmp(s, units[i]))
            return true;
    return false;
}

static void size_round_trip(uint64_t v)
{
    char h[HUMAN_MAX];
    uint64_t back = 0;

    human_bytes(v, h);
    CHECK(parse_size(h, 1, &back) == 0 && back == v);
}

static void fuzz_size(const char *text, uint8_t sel)
{
    static const uint64_t units[] = {1, KiB, MiB, GiB};
    uint64_t unit = units[sel % 4], v = 0;
    size_t nd = strspn(text, "0123456789");
    bool wellformed = nd && known_unit(text + nd);
    int rc = parse_size(text, unit, &v);

    CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    CHECK((rc == -EINVAL) == !wellformed);
    if (rc < 0)
        return;
    /* A bare number counts in (unit). */
    if (!text[nd])
        CHECK(v % unit == 0);
    size_round_trip(v);
}

static void fuzz_uint(const char *text, unsigned lo, unsigned hi)
{
    unsigned v = 0xdeadbeef;
    int rc = parse_uint(text, lo, hi, &v);

    if (!all_digits(text)) {
        CHECK(rc == -EINVAL && v == 0xdeadbeef);
        return;
    }
    if (rc < 0) {
        CHECK(rc == -ERANGE && v == 0xdeadbeef);
        CHECK(strtoull(text, NULL, 10) < lo || strtoull(text, NULL, 10) > hi ||
              strlen(text) > 19);
        return;
    }
    CHECK(rc == 0 && v >= lo && v <= hi);
    CHECK(v == strtoull(text, NULL, 10));
}

static void fuzz_name(const char *text)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "abcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = strlen(text);
    int rc = parse_name(text);
    bool good = n >= 1 && n <= PARSE_NAME_MAX && text[0] != '.' &&
                text[0] != '-' && strspn(text, ok) == n;

    CHECK(good == (rc == 0));
    CHECK(rc == 0 || rc == -EINVAL || rc == -ENAMETOOLONG);
    CHECK((rc == -ENAMETOOLONG) == (n > PARSE_NAME_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct log_sink sink = {.emit = capture, .max = LOG_DEBUG};
    static char text[MAX_TEXT + 1];
    uint8_t sel, p[8] = {0};
    size_t n;

    if (size < 1)
        return 0;
    log_set_sink(&sink);
    sel = data[0];
    data++;
    size--;
    if (sel % 6 == 4) { /* parse_uint's bounds come first */
        n = size < sizeof(p) ? size : sizeof(p);
        memcpy(p, data, n);
        data += n;
        size -= n;
    }
    n = size < MAX_TEXT ? size : MAX_TEXT;
    memcpy(text, data, n);
    text[n] = '\0';
    switch (sel % 6) {
    case 0:
        fuzz_net(text);
        break;
    case 1:
        fuzz_disk(text);
        break;
    case 2:
        fuzz_size(text, sel >> 3);
        break;
    case 3: { /* the printer: any byte count reads back */
        uint64_t v = 0;

        memcpy(&v, data, size < 8 ? size : 8);
        size_round_trip(v >> (sel >> 3));
        break;
    }
    case 4: {
        uint32_t lo, hi;

        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        if (sel & 0x80) /* small bounds, like --cpus */
            lo %= 4, hi %= 300;
        fuzz_uint(text, lo, hi);
        break;
    }
    default:
        fuzz_name(text);
        break;
    }
    return 0;
}
