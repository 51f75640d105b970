/* cpuwork: a CPU-bound benchmark program, run the same way in a guest and on
 * the host. Integer mixing with table look-ups in a 64 KiB table (L1/L2
 * resident), no system calls inside the timed loop.
 *
 * Usage: cpuwork [ROUNDS]     (default 20; each round is 2^20 steps)
 * Prints: CPUWORK rounds=N ms=ELAPSED sum=CHECKSUM
 * ELAPSED is measured with CLOCK_MONOTONIC around the loop. Build static
 * (gcc -static -O2) so the same binary runs in the busybox guest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TABLE 8192   /* 64 KiB of uint64_t */

static uint64_t table[TABLE];

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
    if (rounds < 1)
        rounds = 1;
    for (unsigned i = 0; i < TABLE; i++)
        table[i] = mix(i + 1);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (long r = 0; r < rounds; r++) {
        for (unsigned s = 0; s < (1u << 20); s++) {
            uint64_t *slot = &table[h & (TABLE - 1)];
            h = mix(h ^ *slot) + s;
            *slot += h >> 7;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("CPUWORK rounds=%ld ms=%.1f sum=%016llx\n", rounds, ms,
           (unsigned long long)h);
    return 0;
}
