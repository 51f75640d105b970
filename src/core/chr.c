/* The null character sink: accepts and discards everything. */
#include "core/chr.h"

static size_t null_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return len;
}

const struct chr_ops chr_null_ops = { .write = null_write };
