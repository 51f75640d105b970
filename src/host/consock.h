/* The serial console of a VM that runs without a terminal (vessel run
 * --detach, or any named VM): guest output goes into a bounded history
 * ring and to at most one attached client on BASE/NAME/console.sock;
 * the client's bytes go to the guest as console input.
 *
 * Protocol on console.sock (a unix stream socket, 0600): raw bytes both
 * ways, no framing. On connect the client first gets the history (the
 * last CONSOCK_HISTORY bytes of output, oldest first), then live output.
 * A second client while one is attached gets one line
 * "vessel: console NAME is attached elsewhere\r\n" and is closed. The
 * detach key sequence is the client's business (cli/console.c): the
 * server sees only a close.
 *
 * Never blocks the guest: output to a client that does not read waits
 * in the history ring and is dropped for that client (counted) once it
 * is more than CONSOCK_HISTORY bytes behind what the socket's buffer
 * took. A client that shuts down its writing side (vessel logs -f)
 * stays attached and gets output. Input from the client is read only while
 * the guest's side takes it (back-pressure through the socket).
 *
 * Threads: consock_write() is a chr_ops sink called by the console
 * device under vm->dev_lock (vCPU threads, the I/O thread); the socket
 * work runs on the I/O loop given to consock_start(); consock_history()
 * from any thread (the API's GET /console). An internal mutex guards the
 * ring and the client fd. */
#ifndef VESSEL_HOST_CONSOCK_H
#define VESSEL_HOST_CONSOCK_H

#include "core/chr.h"
#include "core/types.h"

#define CONSOCK_HISTORY (64 * 1024)   /* bytes of output kept */

struct evloop;
struct consock;

/* Offer input bytes to the guest; returns how many it took. The rest is
 * kept (bounded) and offered again every couple of milliseconds on a
 * timer of the loop while any is pending; the socket is not read while
 * it is. Called on the I/O thread without any lock held:
 * the callee takes vm->dev_lock itself. */
typedef size_t (*consock_input_fn)(void *ctx, const uint8_t *buf, size_t len);

struct consock_stats {
    uint64_t out_bytes;        /* guest output seen */
    uint64_t client_dropped;   /* output a slow client missed */
    uint64_t in_bytes;         /* input given to the guest */
    uint64_t attaches;         /* clients accepted */
    uint64_t refused;          /* clients turned away (one attached) */
};

/* Create the socket at (path) (must not exist; made 0600) and watch it on
 * (io). (name) is used in messages only. Returns 0 or -errno
 * (-EADDRINUSE if (path) exists, -ENAMETOOLONG). */
int consock_start(struct consock **out, struct evloop *io, const char *path,
                  const char *name, consock_input_fn input, void *ctx)
    MUST_CHECK;

/* Guest output sink: struct chr_ops with ctx = struct consock *. Always
 * accepts every byte (into the history; to the client as it can). */
extern const struct chr_ops consock_chr_ops;

/* Copy the history (oldest first) into (buf); returns bytes copied, at
 * most (len); when the history is longer its newest (len) bytes. */
size_t consock_history(struct consock *c, uint8_t *buf, size_t len);

void consock_get_stats(struct consock *c, struct consock_stats *out);

/* Close the client and the socket, remove (path), free (c). Call after
 * evloop_stop() of (io). NULL: no-op. */
void consock_stop(struct consock *c);

#endif
