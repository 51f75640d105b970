/* A listening unix stream socket for the control and console sockets. */
#ifndef VESSEL_HOST_UNIXSOCK_H
#define VESSEL_HOST_UNIXSOCK_H

#include "core/types.h"

/* Create (path) as a non-blocking, close-on-exec socket listening with
 * (backlog), mode 0600 from its first moment. Returns the fd,
 * -ENAMETOOLONG when (path) does not fit sun_path, -EADDRINUSE when it
 * exists, or -errno; on failure nothing is left behind. */
int unix_listen(const char *path, int backlog) MUST_CHECK;

#endif
