/* `--net SPEC`: what one network card is made of, and the MAC address a
 * card gets when the spec names none. Pure functions: the CLI checks every
 * spec with them before anything is built, vmm/net.c builds from them.
 *
 *   user[,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *       [,mac=XX:XX:XX:XX:XX:XX]
 *   tap=NAME[,mac=XX:XX:XX:XX:XX:XX]
 *
 * Options come in any order. A spec with no backend (only hostfwd= and
 * mac=) means user. At most one backend, one mac and VM_NET_MAX_FWD
 * hostfwd. HOSTADDR defaults to 127.0.0.1, so a forwarded port is
 * reachable from this host only, never from the LAN, unless the user
 * writes 0.0.0.0 (or another address of the host). GUESTADDR defaults to
 * 10.0.2.15, the address DHCP gives the guest, and must be a guest address
 * of 10.0.2.0/24. Ports are 1-65535. A MAC is unicast and not all zero. */
#ifndef VESSEL_VMM_NET_SPEC_H
#define VESSEL_VMM_NET_SPEC_H

#include "host/net_slirp.h"
#include "host/net_tap.h"

#define VM_NET_MAX_FWD 8
#define VM_NET_SPEC_MAX 1024          /* characters in one --net */
#define VM_NET_MAC_STRLEN 18          /* "xx:xx:xx:xx:xx:xx" and NUL */
#define VM_NET_MAC_OUI0 0x52          /* locally administered, unicast */
#define VM_NET_MAC_OUI1 0x56          /* ... and made by Vessel */

enum vm_net_backend {
    VM_NET_USER,                      /* libslirp */
    VM_NET_TAP,
};

struct vm_net_spec {
    enum vm_net_backend backend;
    char tap[NET_TAP_NAME_MAX + 1];   /* VM_NET_TAP: the interface */
    bool has_mac;
    uint8_t mac[6];
    struct net_slirp_fwd fwd[VM_NET_MAX_FWD];
    unsigned nfwd;
};

/* Parse (arg) into (out). Returns 0, or -EINVAL with one line in (err)
 * that starts "--net '(arg)': " and says what is wrong. */
int vm_net_parse_spec(const char *arg, struct vm_net_spec *out, char *err,
                      size_t errlen) MUST_CHECK;

/* The MAC of card (idx) when its spec has none: 52:56 (locally
 * administered unicast; 56 marks Vessel), then 4 bytes of a hash of the
 * VM's (name) and (idx), so a named VM keeps its MACs from run to run. An
 * unnamed VM (name NULL) hashes (pid) and (start_ns) instead, so two
 * unnamed VMs on one bridge differ. */
void vm_net_default_mac(const char *name, unsigned idx, uint32_t pid,
                        uint64_t start_ns, uint8_t mac[6]);

/* "xx:xx:xx:xx:xx:xx" into (buf), which holds VM_NET_MAC_STRLEN bytes. */
void vm_net_mac_str(const uint8_t mac[6], char *buf);

#endif
