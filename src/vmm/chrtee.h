/* A console sink that fans guest output out to two sinks: the terminal (or
 * whatever stdout is) and the console socket (host/consock.h), and counts
 * the bytes. Called by the console device under vm->dev_lock. */
#ifndef VESSEL_VMM_CHRTEE_H
#define VESSEL_VMM_CHRTEE_H

#include "core/chr.h"

struct chr_tee {
    const struct chr_ops *a;        /* first sink; NULL: none */
    void *a_ctx;
    const struct chr_ops *b;        /* second sink; NULL: none */
    void *b_ctx;
    uint64_t bytes;                 /* bytes written through the tee */
};

/* ctx = struct chr_tee *. Every byte goes to both sinks; a sink that takes
 * fewer bytes loses them on its own (the other still gets them), so the
 * tee reports every byte as accepted. */
extern const struct chr_ops chr_tee_ops;

#endif
