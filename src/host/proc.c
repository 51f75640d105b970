/* Process resource usage. */
#include "host/proc.h"

#include <sys/resource.h>

static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000U + (uint64_t)tv.tv_usec;
}

void host_usage_now(struct host_usage *u)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    u->cpu_us = tv_us(ru.ru_utime) + tv_us(ru.ru_stime);
    u->sys_us = tv_us(ru.ru_stime);
    u->majflt = (uint64_t)ru.ru_majflt;
    u->minflt = (uint64_t)ru.ru_minflt;
    u->maxrss_kib = (uint64_t)ru.ru_maxrss;
}
