/* Process-wide defaults for the threads Vessel and its libraries create
 * (vCPUs, the I/O loop, the control API, libslirp's poll loop, block
 * workers). */
#ifndef VESSEL_HOST_THREADS_H
#define VESSEL_HOST_THREADS_H

/* Stack of every thread created after host_threads_init(). glibc's
 * default is RLIMIT_STACK (8 MiB); with transparent huge pages set to
 * "always" the first touch of such a stack can fault in a whole 2 MiB
 * page, which was half of Vessel's memory outside guest RAM. A stack
 * smaller than 2 MiB cannot hold a huge page, and no thread of ours
 * needs more than a few KiB of frames. Sanitizer builds keep the
 * default: their instrumented frames are much larger. */
#define HOST_THREAD_STACK (512 * 1024)

/* Set the default attributes of threads created from now on (also by
 * libraries, which do not take attributes from us), and make all threads
 * share one malloc arena. Call first thing in main(). Returns 0 or
 * -errno; a failure only costs memory. */
int host_threads_init(void);

#endif
