/* --net SPEC parsing (every form and every error message) and default
 * MACs. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/net_spec.h"

static void check_fwd(const struct net_slirp_fwd *f, bool udp,
                      const char *haddr, uint16_t hport, const char *gaddr,
                      uint16_t gport)
{
    char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

    assert_int_equal(f->udp, udp);
    assert_string_equal(inet_ntop(AF_INET, &f->host_addr, h, sizeof(h)), haddr);
    assert_int_equal(f->host_port, hport);
    assert_string_equal(inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g)),
                        gaddr);
    assert_int_equal(f->guest_port, gport);
}

static void parse_ok(const char *arg, struct vm_net_spec *s)
{
    char err[2048] = "";

    if (vm_net_parse_spec(arg, s, err, sizeof(err)) != 0)
        fail_msg("'%s' refused: %s", arg, err);
}

static void test_user_forms(void **state)
{
    struct vm_net_spec s;
    (void)state;

    parse_ok("user", &s);
    assert_int_equal(s.backend, VM_NET_USER);
    assert_int_equal(s.nfwd, 0);
    assert_false(s.has_mac);

    /* No backend key: user. Addresses default to 127.0.0.1 and the
     * DHCP address. */
    parse_ok("hostfwd=tcp::8080-:80", &s);
    assert_int_equal(s.backend, VM_NET_USER);
    assert_int_equal(s.nfwd, 1);
    check_fwd(&s.fwd[0], false, "127.0.0.1", 8080, "10.0.2.15", 80);

    parse_ok("mac=52:54:00:ab:CD:ef", &s);
    assert_int_equal(s.backend, VM_NET_USER);
    assert_true(s.has_mac);
    assert_memory_equal(s.mac, ((uint8_t[]){ 0x52, 0x54, 0, 0xab, 0xcd, 0xef }),
                        6);

    parse_ok("user,hostfwd=udp:0.0.0.0:5353-10.0.2.20:53,"
             "hostfwd=tcp:127.0.0.2:65535-10.0.2.254:1,"
             "hostfwd=udp::8080-:80,mac=02:00:00:00:00:01", &s);
    assert_int_equal(s.nfwd, 3);
    check_fwd(&s.fwd[0], true, "0.0.0.0", 5353, "10.0.2.20", 53);
    check_fwd(&s.fwd[1], false, "127.0.0.2", 65535, "10.0.2.254", 1);
    check_fwd(&s.fwd[2], true, "127.0.0.1", 8080, "10.0.2.15", 80);
    assert_true(s.has_mac);

    /* Any order; the same port for tcp and udp is two forwards. */
    parse_ok("mac=52:54:00:00:00:01,hostfwd=tcp::22-:22,user,"
             "hostfwd=udp::22-:22", &s);
    assert_int_equal(s.nfwd, 2);
}

static void test_eight_hostfwd(void **state)
{
    char arg[512] = "user";
    struct vm_net_spec s;
    (void)state;

    for (unsigned i = 0; i < VM_NET_MAX_FWD; i++)
        snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg),
                 ",hostfwd=tcp::%u-:%u", 9000 + i, 80 + i);
    parse_ok(arg, &s);
    assert_int_equal(s.nfwd, VM_NET_MAX_FWD);
    check_fwd(&s.fwd[7], false, "127.0.0.1", 9007, "10.0.2.15", 87);
}

static void test_tap_forms(void **state)
{
    struct vm_net_spec s;
    (void)state;

    parse_ok("tap=tap0", &s);
    assert_int_equal(s.backend, VM_NET_TAP);
    assert_string_equal(s.tap, "tap0");
    assert_false(s.has_mac);

    parse_ok("mac=52:56:01:02:03:04,tap=vessel-0.br_x", &s);
    assert_int_equal(s.backend, VM_NET_TAP);
    assert_string_equal(s.tap, "vessel-0.br_x");
    assert_true(s.has_mac);

    parse_ok("tap=abcdefghijklmno", &s);   /* 15: the most Linux takes */
    assert_string_equal(s.tap, "abcdefghijklmno");
}

static const struct {
    const char *arg;
    const char *msg;          /* after "--net 'ARG': " */
} errors[] = {
    { "", "empty (want user[,hostfwd=...][,mac=...] or tap=NAME[,mac=...])" },
    { "usr", "unknown option 'usr' (want user, tap=NAME, hostfwd=..., "
             "mac=...)" },
    { "user,vlan=1", "unknown option 'vlan' (want user, tap=NAME, "
                     "hostfwd=..., mac=...)" },
    { "user,tap=t0", "more than one backend (choose user or tap=NAME)" },
    { "tap=t0,user", "more than one backend (choose user or tap=NAME)" },
    { "user,user", "more than one backend (choose user or tap=NAME)" },
    { "tap=a,tap=b", "more than one backend (choose user or tap=NAME)" },
    { "user=1", "user takes no value" },
    { "user,", "empty option (two commas, or one at an end)" },
    { ",user", "empty option (two commas, or one at an end)" },
    { "user,,mac=52:54:00:00:00:01",
      "empty option (two commas, or one at an end)" },
    { "tap", "tap= needs an interface name" },
    { "tap=", "tap= needs an interface name" },
    { "tap=abcdefghijklmnop",
      "tap name 'abcdefghijklmnop' is longer than 15 characters" },
    { "tap=a/b", "tap name 'a/b' is not an interface name (no spaces, '/', "
                 "':' or '%'; not '.' or '..')" },
    { "tap=a b", "tap name 'a b' is not an interface name (no spaces, '/', "
                 "':' or '%'; not '.' or '..')" },
    { "tap=tap%d", "tap name 'tap%d' is not an interface name (no spaces, "
                   "'/', ':' or '%'; not '.' or '..')" },
    { "tap=..", "tap name '..' is not an interface name (no spaces, '/', "
                "':' or '%'; not '.' or '..')" },
    { "tap=t0,hostfwd=tcp::8080-:80",
      "hostfwd needs user networking, not tap=" },
    { "mac", "mac '' is not six hex pairs like 52:56:00:12:34:56" },
    { "mac=52:54:00:12:34",
      "mac '52:54:00:12:34' is not six hex pairs like 52:56:00:12:34:56" },
    { "mac=52:54:00:12:34:5g",
      "mac '52:54:00:12:34:5g' is not six hex pairs like 52:56:00:12:34:56" },
    { "mac=52-54-00-12-34-56",
      "mac '52-54-00-12-34-56' is not six hex pairs like 52:56:00:12:34:56" },
    { "mac=52:54:00:12:34:567",
      "mac '52:54:00:12:34:567' is not six hex pairs like 52:56:00:12:34:56" },
    { "mac=01:00:5e:00:00:01", "mac 01:00:5e:00:00:01 is a multicast address "
                               "(the first octet must be even)" },
    { "mac=ff:ff:ff:ff:ff:ff", "mac ff:ff:ff:ff:ff:ff is a multicast address "
                               "(the first octet must be even)" },
    { "mac=00:00:00:00:00:00", "mac 00:00:00:00:00:00 is not a usable "
                               "address" },
    { "mac=52:54:00:00:00:01,mac=52:54:00:00:00:02", "mac= given twice" },
    { "hostfwd", "hostfwd needs tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
                 "GUESTPORT" },
    { "hostfwd=tcp", "hostfwd needs tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
                     "GUESTPORT" },
    { "hostfwd=tcp:8080:80", "hostfwd needs tcp|udp:[HOSTADDR]:HOSTPORT-"
                             "[GUESTADDR]:GUESTPORT" },
    { "hostfwd=tcp:8080-:80", "hostfwd needs tcp|udp:[HOSTADDR]:HOSTPORT-"
                              "[GUESTADDR]:GUESTPORT" },
    { "hostfwd=tcp::8080-80", "hostfwd needs tcp|udp:[HOSTADDR]:HOSTPORT-"
                              "[GUESTADDR]:GUESTPORT" },
    { "hostfwd=sctp::1-:2", "hostfwd protocol 'sctp' is neither tcp nor udp" },
    { "hostfwd=::8080-:80", "hostfwd protocol '' is neither tcp nor udp" },
    { "hostfwd=tcp::0-:80",
      "hostfwd port '0' is not a number from 1 to 65535" },
    { "hostfwd=tcp::65536-:80",
      "hostfwd port '65536' is not a number from 1 to 65535" },
    { "hostfwd=tcp::99999999999999999999-:80",
      "hostfwd port '99999999999999999999' is not a number from 1 to 65535" },
    { "hostfwd=tcp::-:80", "hostfwd port '' is not a number from 1 to 65535" },
    { "hostfwd=tcp::80-:http",
      "hostfwd port 'http' is not a number from 1 to 65535" },
    { "hostfwd=tcp::+80-:80",
      "hostfwd port '+80' is not a number from 1 to 65535" },
    { "hostfwd=tcp:1.2.3:80-:80",
      "hostfwd address '1.2.3' is not an IPv4 address" },
    { "hostfwd=tcp:localhost:80-:80",
      "hostfwd address 'localhost' is not an IPv4 address" },
    { "hostfwd=tcp::80-::1:80",
      "hostfwd address '::1' is not an IPv4 address" },
    { "hostfwd=tcp::8080-192.168.1.5:80", "hostfwd guest address 192.168.1.5 "
                                          "is outside the user network "
                                          "10.0.2.0/24" },
    { "hostfwd=tcp::8080-10.0.2.2:80", "hostfwd guest address 10.0.2.2 "
                                       "belongs to the network itself (not "
                                       ".0, .2, .3 or .255)" },
    { "hostfwd=tcp::8080-10.0.2.3:80", "hostfwd guest address 10.0.2.3 "
                                       "belongs to the network itself (not "
                                       ".0, .2, .3 or .255)" },
    { "hostfwd=tcp::8080-10.0.2.255:80", "hostfwd guest address 10.0.2.255 "
                                         "belongs to the network itself (not "
                                         ".0, .2, .3 or .255)" },
    { "hostfwd=tcp::8080-10.0.2.0:80", "hostfwd guest address 10.0.2.0 "
                                       "belongs to the network itself (not "
                                       ".0, .2, .3 or .255)" },
    { "hostfwd=tcp::8080-:80,hostfwd=tcp::8080-:81",
      "hostfwd tcp port 8080 is forwarded twice" },
    { "hostfwd=udp:0.0.0.0:53-:53,hostfwd=udp:127.0.0.1:53-:54",
      "hostfwd udp port 53 is forwarded twice" },
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
        struct vm_net_spec s;
        char err[2048] = "", want[2048];

        snprintf(want, sizeof(want), "--net '%s': %s", errors[i].arg,
                 errors[i].msg);
        if (vm_net_parse_spec(errors[i].arg, &s, err, sizeof(err)) != -EINVAL)
            fail_msg("'%s' was accepted", errors[i].arg);
        assert_string_equal(err, want);
    }
}

static void test_nine_hostfwd_and_too_long(void **state)
{
    char arg[VM_NET_SPEC_MAX + 8] = "user", err[4096];
    struct vm_net_spec s;
    (void)state;

    for (unsigned i = 0; i <= VM_NET_MAX_FWD; i++)
        snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg),
                 ",hostfwd=tcp::%u-:%u", 9000 + i, 80 + i);
    assert_int_equal(vm_net_parse_spec(arg, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "': more than 8 hostfwd"));

    memset(arg, 'a', VM_NET_SPEC_MAX);
    arg[VM_NET_SPEC_MAX] = '\0';
    assert_int_equal(vm_net_parse_spec(arg, &s, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "': longer than 1023 characters"));

    /* A short buffer gets a cut message, never an overrun. */
    assert_int_equal(vm_net_parse_spec("usr", &s, err, 8), -EINVAL);
    assert_string_equal(err, "--net '");
}

static void test_default_mac(void **state)
{
    uint8_t a[6], b[6], c[6];
    (void)state;

    vm_net_default_mac("web1", 0, 100, 5, a);
    assert_int_equal(a[0], 0x52);
    assert_int_equal(a[1], 0x56);
    /* A named VM: the same MACs every run, whatever its pid. */
    vm_net_default_mac("web1", 0, 200, 99, b);
    assert_memory_equal(a, b, 6);
    vm_net_default_mac("web1", 1, 100, 5, c);
    assert_memory_not_equal(a, c, 6);
    vm_net_default_mac("web2", 0, 100, 5, c);
    assert_memory_not_equal(a, c, 6);
    /* Unnamed: pid and start time decide. */
    vm_net_default_mac(NULL, 0, 100, 5, a);
    vm_net_default_mac(NULL, 0, 100, 5, b);
    assert_memory_equal(a, b, 6);
    vm_net_default_mac(NULL, 0, 101, 5, c);
    assert_memory_not_equal(a, c, 6);
    vm_net_default_mac(NULL, 0, 100, 6, c);
    assert_memory_not_equal(a, c, 6);
    assert_int_equal(c[0], 0x52);
    assert_int_equal(c[1], 0x56);
}

static void test_default_macs_spread(void **state)
{
    /* 4 bytes of hash: 256 names give 256 different MACs. */
    uint8_t mac[256][6];
    (void)state;

    for (unsigned i = 0; i < 256; i++) {
        char name[16];

        snprintf(name, sizeof(name), "vm%u", i);
        vm_net_default_mac(name, 0, 0, 0, mac[i]);
        for (unsigned j = 0; j < i; j++)
            assert_memory_not_equal(mac[i], mac[j], 6);
    }
}

static void test_mac_str(void **state)
{
    char buf[VM_NET_MAC_STRLEN];
    (void)state;

    vm_net_mac_str((const uint8_t[]){ 0x52, 0x56, 0x0a, 0xbc, 0, 0xff }, buf);
    assert_string_equal(buf, "52:56:0a:bc:00:ff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_forms),
        cmocka_unit_test(test_eight_hostfwd),
        cmocka_unit_test(test_tap_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nine_hostfwd_and_too_long),
        cmocka_unit_test(test_default_mac),
        cmocka_unit_test(test_default_macs_spread),
        cmocka_unit_test(test_mac_str),
    };
    return cmocka_run_group_tests_name("vmm/net_spec", tests, NULL, NULL);
}
