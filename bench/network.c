/* network: a TCP throughput benchmark, the same binary in a guest (client)
 * and on the host (server, and the loopback reference).
 *
 * Usage: network -s [-b ADDR] [-p PORT] [-o]  serve one connection, exit
 *        network -c ADDR [-p PORT] [-t SECS]  send for SECS seconds (default 5)
 *        network -c ADDR [-p PORT] -f FILE    send FILE's bytes
 * The client connects (retrying for 10 s while the server starts), writes
 * 128 KiB blocks for SECS seconds (or FILE to its end), shuts its side down
 * and waits for the server's 8-byte count of what it received: the time
 * runs until that answer, so nothing still in flight is counted as sent.
 * With -o the server copies what it receives to stdout (its own line then
 * goes to stderr), e.g. `network -s -o | md5sum`. Prints
 *   NETWORK bytes=N ms=ELAPSED mbps=X        (X: megabits per second)
 * The server prints "NETWORK-SERVER bytes=N". Build static (gcc -static).
 * Exit status 0, or 1 on any error (then a "NETWORK-FAIL ..." line). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (128 * 1024)

static char buf[BLOCK];

static int fail(const char *what)
{
    printf("NETWORK-FAIL %s: %s\n", what, strerror(errno));
    return 1;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int addr_of(const char *ip, int port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int serve(const char *ip, int port, int copy_out)
{
    struct sockaddr_in sa;
    uint64_t total = 0;
    int one = 1, ls, c;
    ssize_t n;

    if (addr_of(ip, port, &sa) < 0)
        return errno = EINVAL, fail("address");
    ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
        return fail("listen");
    fprintf(copy_out ? stderr : stdout, "NETWORK-LISTENING %s:%d\n", ip, port);
    fflush(stdout);
    c = accept(ls, NULL, NULL);
    if (c < 0)
        return fail("accept");
    while ((n = read(c, buf, sizeof(buf))) > 0) {
        total += (uint64_t)n;
        if (copy_out && write_all(1, buf, (size_t)n) < 0)
            return fail("stdout");
    }
    if (n < 0)
        return fail("read");
    if (write(c, &total, sizeof(total)) != (ssize_t)sizeof(total))
        return fail("answer");
    fprintf(copy_out ? stderr : stdout, "NETWORK-SERVER bytes=%llu\n",
            (unsigned long long)total);
    return 0;
}

static int connect_retry(const struct sockaddr_in *sa)
{
    for (int i = 0; i < 100; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0)
            return -1;
        if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
            return s;
        close(s);
        usleep(100 * 1000);
    }
    return -1;
}

/* The next block to send: zeros until the clock says stop, or the next
 * bytes of (file). Returns its length, 0 at the end, -1 on error. */
static ssize_t next_block(int file, double end)
{
    if (file < 0)
        return now_ms() < end ? (ssize_t)sizeof(buf) : 0;
    return read(file, buf, sizeof(buf));
}

static int send_for(const char *ip, int port, double secs, int file)
{
    struct sockaddr_in sa;
    uint64_t sent = 0, got = 0;
    double t0, end, ms;
    int s;

    if (addr_of(ip, port, &sa) < 0)
        return errno = EINVAL, fail("address");
    s = connect_retry(&sa);
    if (s < 0)
        return fail("connect");
    t0 = now_ms();
    end = t0 + secs * 1e3;
    for (;;) {
        ssize_t len = next_block(file, end);
        if (len < 0)
            return fail("read file");
        if (len == 0)
            break;
        if (write_all(s, buf, (size_t)len) < 0)
            return fail("write");
        sent += (uint64_t)len;
    }
    if (shutdown(s, SHUT_WR) < 0)
        return fail("shutdown");
    if (read(s, &got, sizeof(got)) != (ssize_t)sizeof(got))
        return fail("answer");
    ms = now_ms() - t0;
    if (got != sent) {
        printf("NETWORK-FAIL sent %llu bytes, server got %llu\n",
               (unsigned long long)sent, (unsigned long long)got);
        return 1;
    }
    printf("NETWORK bytes=%llu ms=%.0f mbps=%.1f\n", (unsigned long long)sent,
           ms, (double)sent * 8 / (ms * 1e3));
    return 0;
}

int main(int argc, char **argv)
{
    const char *ip = NULL, *path = NULL;
    int port = 5201, server = 0, copy_out = 0, file = -1, opt;
    double secs = 5;

    while ((opt = getopt(argc, argv, "sob:c:p:t:f:")) != -1) {
        switch (opt) {
        case 's': server = 1; break;
        case 'o': copy_out = 1; break;
        case 'f': path = optarg; break;
        case 'b': case 'c': ip = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': secs = atof(optarg); break;
        default:
            fprintf(stderr, "usage: network -s [-b ADDR] [-p PORT] [-o] | "
                    "-c ADDR [-p PORT] [-t SECS | -f FILE]\n");
            return 2;
        }
    }
    if (server)
        return serve(ip ? ip : "127.0.0.1", port, copy_out);
    if (!ip || secs <= 0) {
        fprintf(stderr, "network: -c ADDR wanted\n");
        return 2;
    }
    if (path && (file = open(path, O_RDONLY)) < 0)
        return fail(path);
    return send_for(ip, port, secs, file);
}
