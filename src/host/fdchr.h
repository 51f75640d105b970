/* A character sink writing to a host file descriptor (the guest console). */
#ifndef VESSEL_HOST_FDCHR_H
#define VESSEL_HOST_FDCHR_H

#include "core/chr.h"

struct fdchr {
    int fd;
    uint64_t dropped;   /* bytes lost to a closed or failing sink */
};

/* Writes block until done (a console must not lose bytes), except that a
 * broken sink (EPIPE, EIO) makes later bytes be dropped and counted. */
extern const struct chr_ops fdchr_ops;

#endif
