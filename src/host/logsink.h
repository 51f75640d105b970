/* The log sink of the vessel process: one line per message on stderr. */
#ifndef VESSEL_HOST_LOGSINK_H
#define VESSEL_HOST_LOGSINK_H

#include "core/log.h"

void host_log_init(enum log_level max);

#endif
