/* `--net SPEC` parsing and default MACs; see net_spec.h. */
#include "vmm/net_spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOOPBACK 0x7f000001u          /* 127.0.0.1 */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct parser {
    const char *arg;
    char *err;
    size_t errlen;
    struct vm_net_spec *out;
    bool backend;                     /* user or tap= seen */
};

static int fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
    int n = snprintf(p->err, p->errlen, "--net '%s': ", p->arg);
    va_list ap;

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int set_backend(struct parser *p, enum vm_net_backend b)
{
    if (p->backend)
        return fail(p, "more than one backend (choose user or tap=NAME)");
    p->backend = true;
    p->out->backend = b;
    return 0;
}

static int opt_user(struct parser *p, char *val)
{
    if (val)
        return fail(p, "user takes no value");
    return set_backend(p, VM_NET_USER);
}

/* What Linux accepts as an interface name (dev_valid_name), less '%',
 * which would make the kernel pick the name. */
static bool ifname_ok(const char *s)
{
    if (!strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7f || strchr("/:%", *s))
            return false;
    return true;
}

static int opt_tap(struct parser *p, char *val)
{
    if (!val || !*val)
        return fail(p, "tap= needs an interface name");
    if (strlen(val) > NET_TAP_NAME_MAX)
        return fail(p, "tap name '%s' is longer than %d characters", val,
                    NET_TAP_NAME_MAX);
    if (!ifname_ok(val))
        return fail(p, "tap name '%s' is not an interface name (no spaces, "
                    "'/', ':' or '%%'; not '.' or '..')", val);
    strcpy(p->out->tap, val);
    return set_backend(p, VM_NET_TAP);
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0'
                                     : tolower((unsigned char)c) - 'a' + 10;
}

static int opt_mac(struct parser *p, char *val)
{
    uint8_t *mac = p->out->mac;

    if (p->out->has_mac)
        return fail(p, "mac= given twice");
    if (!val || strlen(val) != VM_NET_MAC_STRLEN - 1)
        return fail(p, "mac '%s' is not six hex pairs like 52:56:00:12:34:56",
                    val ? val : "");
    for (unsigned i = 0; i < 6; i++) {
        const char *h = val + 3 * i;

        if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) ||
            (i < 5 && h[2] != ':'))
            return fail(p, "mac '%s' is not six hex pairs like "
                        "52:56:00:12:34:56", val);
        mac[i] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
    }
    if (mac[0] & 1)
        return fail(p, "mac %s is a multicast address (the first octet must "
                    "be even)", val);
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
        return fail(p, "mac %s is not a usable address", val);
    p->out->has_mac = true;
    return 0;
}

/* ---- hostfwd= ---- */

#define FWD_FORM "tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"

static int parse_port(struct parser *p, const char *s, uint16_t *port)
{
    unsigned long v = 0;
    const char *c = s;

    for (; isdigit((unsigned char)*c) && v <= 65535; c++)
        v = v * 10 + (unsigned long)(*c - '0');
    if (c == s || *c || v == 0 || v > 65535)
        return fail(p, "hostfwd port '%s' is not a number from 1 to 65535", s);
    *port = (uint16_t)v;
    return 0;
}

/* "[ADDR]:PORT" of one side; an empty ADDR is (def), host byte order. */
static int parse_end(struct parser *p, char *s, uint32_t def,
                     struct in_addr *addr, uint16_t *port)
{
    char *colon = strrchr(s, ':');

    if (!colon)
        return fail(p, "hostfwd needs " FWD_FORM);
    *colon = '\0';
    addr->s_addr = htonl(def);
    if (*s && inet_pton(AF_INET, s, addr) != 1)
        return fail(p, "hostfwd address '%s' is not an IPv4 address", s);
    return parse_port(p, colon + 1, port);
}

static int check_guest(struct parser *p, struct in_addr a)
{
    uint32_t h = ntohl(a.s_addr), low = h & ~NET_SLIRP_MASK;
    char s[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, s, sizeof(s));
    if ((h & NET_SLIRP_MASK) != NET_SLIRP_NET)
        return fail(p, "hostfwd guest address %s is outside the user "
                    "network 10.0.2.0/24", s);
    if (low == 0 || low == 0xff || h == NET_SLIRP_HOST || h == NET_SLIRP_DNS)
        return fail(p, "hostfwd guest address %s belongs to the network "
                    "itself (not .0, .2, .3 or .255)", s);
    return 0;
}

/* Two forwards that cannot both listen. */
static bool fwd_clash(const struct net_slirp_fwd *a,
                      const struct net_slirp_fwd *b)
{
    return a->udp == b->udp && a->host_port == b->host_port &&
           (a->host_addr.s_addr == b->host_addr.s_addr ||
            a->host_addr.s_addr == htonl(INADDR_ANY) ||
            b->host_addr.s_addr == htonl(INADDR_ANY));
}

static int opt_hostfwd(struct parser *p, char *val)
{
    struct vm_net_spec *o = p->out;
    struct net_slirp_fwd f = { 0 };
    char *host = val ? strchr(val, ':') : NULL, *guest;
    int rc;

    if (!host)
        return fail(p, "hostfwd needs " FWD_FORM);
    *host++ = '\0';
    if (strcmp(val, "tcp") && strcmp(val, "udp"))
        return fail(p, "hostfwd protocol '%s' is neither tcp nor udp", val);
    f.udp = val[0] == 'u';
    guest = strchr(host, '-');
    if (!guest)
        return fail(p, "hostfwd needs " FWD_FORM);
    *guest++ = '\0';
    rc = parse_end(p, host, LOOPBACK, &f.host_addr, &f.host_port);
    if (rc == 0)
        rc = parse_end(p, guest, NET_SLIRP_GUEST, &f.guest_addr,
                       &f.guest_port);
    if (rc == 0)
        rc = check_guest(p, f.guest_addr);
    for (unsigned i = 0; rc == 0 && i < o->nfwd; i++)
        if (fwd_clash(&o->fwd[i], &f))
            rc = fail(p, "hostfwd %s port %u is forwarded twice",
                      f.udp ? "udp" : "tcp", f.host_port);
    if (rc == 0 && o->nfwd == VM_NET_MAX_FWD)
        rc = fail(p, "more than %d hostfwd", VM_NET_MAX_FWD);
    if (rc == 0)
        o->fwd[o->nfwd++] = f;
    return rc;
}

/* ---- the spec ---- */

static const struct {
    const char *key;
    int (*parse)(struct parser *p, char *val);   /* val NULL: no '=' */
} options[] = {
    { "user", opt_user },
    { "tap", opt_tap },
    { "hostfwd", opt_hostfwd },
    { "mac", opt_mac },
};

static int parse_opt(struct parser *p, char *opt)
{
    char *val = strchr(opt, '=');

    if (!*opt)
        return fail(p, "empty option (two commas, or one at an end)");
    if (val)
        *val++ = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (!strcmp(opt, options[i].key))
            return options[i].parse(p, val);
    return fail(p, "unknown option '%s' (want user, tap=NAME, hostfwd=..., "
                "mac=...)", opt);
}

int vm_net_parse_spec(const char *arg, struct vm_net_spec *out, char *err,
                      size_t errlen)
{
    struct parser p = { .arg = arg, .err = err, .errlen = errlen, .out = out };
    char buf[VM_NET_SPEC_MAX];
    char *opt = buf;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!*arg)
        return fail(&p, "empty (want user[,hostfwd=...][,mac=...] or "
                    "tap=NAME[,mac=...])");
    if (strlen(arg) >= sizeof(buf))
        return fail(&p, "longer than %d characters", VM_NET_SPEC_MAX - 1);
    strcpy(buf, arg);
    while (rc == 0 && opt) {
        char *next = strchr(opt, ',');

        if (next)
            *next++ = '\0';
        rc = parse_opt(&p, opt);
        opt = next;
    }
    if (rc == 0 && out->backend == VM_NET_TAP && out->nfwd)
        rc = fail(&p, "hostfwd needs user networking, not tap=");
    return rc;
}

/* ---- MACs ---- */

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *b = data;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    uint8_t b[8];

    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fnv(h, b, sizeof(b));
}

void vm_net_default_mac(const char *name, unsigned idx, uint32_t pid,
                        uint64_t start_ns, uint8_t mac[6])
{
    uint64_t h = FNV_OFFSET;

    if (name) {
        h = fnv(h, name, strlen(name) + 1);
    } else {
        h = fnv_u64(h, pid);
        h = fnv_u64(h, start_ns);
    }
    h = fnv_u64(h, idx);
    /* FNV's low bytes mix poorly: finish as splitmix64 does. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    mac[0] = VM_NET_MAC_OUI0;
    mac[1] = VM_NET_MAC_OUI1;
    for (unsigned i = 0; i < 4; i++)
        mac[2 + i] = (uint8_t)(h >> (8 * i));
}

void vm_net_mac_str(const uint8_t mac[6], char *buf)
{
    snprintf(buf, VM_NET_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
             mac[1], mac[2], mac[3], mac[4], mac[5]);
}
