/* Sizes and durations for people. */
#include "cli/human.h"

#include <inttypes.h>
#include <stdio.h>

void human_bytes(uint64_t bytes, char out[HUMAN_MAX])
{
    static const struct {
        uint64_t size;
        char suffix;
    } units[] = {
        { 1024 * GiB, 'T' }, { GiB, 'G' }, { MiB, 'M' }, { KiB, 'K' },
    };

    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (bytes >= units[i].size && bytes % units[i].size == 0) {
            snprintf(out, HUMAN_MAX, "%" PRIu64 "%c", bytes / units[i].size,
                     units[i].suffix);
            return;
        }
    }
    snprintf(out, HUMAN_MAX, "%" PRIu64 "B", bytes);
}

void human_uptime(uint64_t ms, char out[HUMAN_MAX])
{
    uint64_t s = ms / 1000;

    if (s < 60)
        snprintf(out, HUMAN_MAX, "%" PRIu64 "s", s);
    else if (s < 3600)
        snprintf(out, HUMAN_MAX, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
                 s % 60);
    else if (s < 86400)
        snprintf(out, HUMAN_MAX, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
                 s / 60 % 60);
    else
        snprintf(out, HUMAN_MAX, "%" PRIu64 "d%" PRIu64 "h", s / 86400,
                 s / 3600 % 24);
}
