/* Default thread attributes: see threads.h for why. */
#include "host/threads.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

int host_threads_init(void)
{
#ifdef SANITIZED
    return 0;
#else
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);

    if (rc == 0)
        rc = pthread_attr_setstacksize(&attr, HOST_THREAD_STACK);
    if (rc == 0)
        rc = pthread_setattr_default_np(&attr);
    pthread_attr_destroy(&attr);
    /* One malloc arena for every thread: glibc gives each thread that
     * allocates its own (64 MiB reserved, ~50 KiB touched each here),
     * while ours allocate only while setting up, never per request. */
    if (rc == 0 && mallopt(M_ARENA_MAX, 1) != 1)
        rc = EINVAL;
    return -rc;
#endif
}
