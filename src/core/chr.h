/* A byte sink for character devices (UART output). host/ provides one that
 * writes to a terminal or file; tests provide one that captures bytes. */
#ifndef VESSEL_CORE_CHR_H
#define VESSEL_CORE_CHR_H

#include "core/types.h"

struct chr_ops {
    /* Write (len) bytes of (buf); returns bytes accepted (may drop). */
    size_t (*write)(void *ctx, const uint8_t *buf, size_t len);
};

extern const struct chr_ops chr_null_ops;

#endif
