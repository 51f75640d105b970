/* The host's entropy for virtio-rng: getrandom(2). */
#ifndef VESSEL_HOST_ENTROPY_H
#define VESSEL_HOST_ENTROPY_H

#include "devices/virtio/rng.h"

/* Fills with getrandom(); a short or failed read returns what it got. */
extern const struct entropy_ops host_entropy_ops;

#endif
