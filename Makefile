# Vessel build. `make` builds build/vessel; see README.md for the rest.
# Layers (DESIGN.md): core/ boot/ devices/ form libvcore (no syscalls, no
# stdio), the rest is the hosted VMM.

CC      ?= cc
BUILD   ?= build
SAN     ?=
O       := $(BUILD)$(if $(SAN),/$(if $(filter tsan,$(SAN)),tsan,san))

WARN    := -Wall -Wextra -Werror -Wconversion -Wsign-conversion -Wshadow \
           -Wvla -Wstrict-prototypes -Wmissing-prototypes
HARDEN  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
           -fcf-protection -fPIE -ftrivial-auto-var-init=zero
# clang 14 gates zero-init behind a flag it means to drop later.
ifneq ($(shell $(CC) --version 2>/dev/null | grep -c clang),0)
HARDEN  += -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),tsan)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
else
CFLAGS  += $(HARDEN)
endif

# Libraries the hosted VMM links (each also listed in deps/debian-packages.txt).
VMM_LIBS    := -lpthread
# Control socket (src/api/, vmm/config_json.c): HTTP server and JSON.
VMM_LIBS    += -lmicrohttpd -ljansson
# Kernel cache (host/kcache.c, host/kdecomp.c): xz, gzip, zstd and SHA-256.
VMM_LIBS    += -llzma -lz -lzstd -lnettle
# User networking (host/net_slirp.c): libslirp is dlopen()ed, never linked.
VMM_LIBS    += -ldl
# Sandbox (host/sandbox.c): per-thread seccomp filters.
VMM_LIBS    += -lseccomp

LIBCORE_SRC := $(wildcard src/core/*.c src/boot/*.c src/devices/*.c src/devices/*/*.c)
VMM_SRC     := $(wildcard src/accel/*.c src/accel/kvm/*.c src/host/*.c src/vmm/*.c src/api/*.c src/cli/*.c)
LIBCORE_OBJ := $(LIBCORE_SRC:%.c=$(O)/obj/%.o)
VMM_OBJ     := $(VMM_SRC:%.c=$(O)/obj/%.o)
LIBCORE     := $(O)/libvcore.a
LIBHOST     := $(O)/libvhost.a
HOST_OBJ    := $(filter-out $(O)/obj/src/cli/main.o,$(VMM_OBJ))

UNIT_SRC    := $(wildcard tests/unit/*/*_test.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
UNIT_HELP   := $(wildcard tests/unit/helpers/*.c)
UNIT_HELP_OBJ := $(UNIT_HELP:%.c=$(O)/obj/%.o)
# Libraries one unit test needs beyond VMM_LIBS: UNIT_LIBS_<layer>/<module>_test.
UNIT_LIBS_api/openapi_test := -lyaml

GUEST   := $(BUILD)/guest
KERNEL  := $(GUEST)/vmlinuz
Q       := $(if $(V),,@)

.PHONY: all clean unit unit-san unit-tsan check demo bench integration fuzz libcheck \
        deps kernel guest-images fuzz-build fuzz-replay
all: $(O)/vessel

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(O)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Wno-missing-prototypes -c $< -o $@

$(LIBCORE): $(LIBCORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBHOST): $(HOST_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

# build/vessel is one static-pie executable (STATIC=0: linked against the
# system's shared libraries; sanitizer builds always are). Static, a VM
# process maps no shared library: ~1.4 MiB of Rss outside guest RAM instead
# of ~5.5, and no dynamic linking at start-up (docs/performance.md). Its
# libmicrohttpd is Debian's source package built without TLS
# (tools/build-mhd), as Debian ships no static gnutls to link theirs with.
# The link warns that getpwnam/dlopen need this glibc's shared libraries at
# run time: --user NAME and libslirp (dlopen()ed) do.
STATIC  ?= 1
# Shared by every BUILD directory (gcc, clang): built once.
MHD_DIR ?= build/deps/mhd
ifeq ($(STATIC)$(SAN),1)
VESSEL_LDFLAGS := $(filter-out -pie,$(LDFLAGS)) -static-pie -Wl,--gc-sections
VESSEL_LIBS    := $(MHD_DIR)/lib/libmicrohttpd.a $(filter-out -lmicrohttpd,$(VMM_LIBS))
VESSEL_DEPS    := $(MHD_DIR)/lib/libmicrohttpd.a
else
VESSEL_LDFLAGS := $(LDFLAGS)
VESSEL_LIBS    := $(VMM_LIBS)
VESSEL_DEPS    :=
endif

$(O)/vessel: $(O)/obj/src/cli/main.o $(LIBHOST) $(LIBCORE) $(VESSEL_DEPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(VESSEL_LDFLAGS) -o $@ $(filter-out $(VESSEL_DEPS),$^) $(VESSEL_LIBS)

$(MHD_DIR)/lib/libmicrohttpd.a: tools/build-mhd
	$(Q)tools/build-mhd $(MHD_DIR)

# Each unit test is its own binary: tests/unit/<layer>/<module>_test.c.
$(O)/tests/unit/%: tests/unit/%.c $(UNIT_HELP_OBJ) $(LIBHOST) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC/LD   $@")
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Wno-missing-prototypes -o $@ $^ $(LDFLAGS) -lcmocka $(VMM_LIBS) $(UNIT_LIBS_$*)

unit: $(UNIT_BIN)
	@tools/run-unit $(UNIT_BIN)

# The same unit tests under ASan+UBSan, in build/san/.
unit-san:
	$(MAKE) SAN=1 unit

# The unit tests that start threads, under ThreadSanitizer, in build/tsan/.
# tests/tsan.supp says which reports are by design (guest memory is shared
# with racing vCPUs on purpose) and why. clang: gcc rejects the virtqueue's
# atomic_thread_fence under -fsanitize=thread (-Wtsan), and TSan does not
# model stand-alone fences either way.
TSAN_CC   ?= clang
TSAN_UNIT := host/evloop_test host/blkfile_test host/net_tap_test \
             host/net_slirp_test api/events_test api/client_test \
             api/openapi_test devices/virtio_blk_test devices/virtq_test \
             host/consock_test cli/console_test vmm/control_test \
             api/server_test
unit-tsan:
	$(Q)$(MAKE) --no-print-directory SAN=tsan CC=$(TSAN_CC) $(TSAN_UNIT:%=$(BUILD)/tsan/tests/unit/%)
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp $${TSAN_OPTIONS:-}" \
	    tools/run-unit $(TSAN_UNIT:%=$(BUILD)/tsan/tests/unit/%)

# libvcore must stay freestanding-friendly: no syscalls, no stdio, no malloc.
libcheck: $(LIBCORE)
	@tools/check-libcore $(LIBCORE)

# Debian packages from deps/debian-packages.txt (a no-op when present).
deps:
	$(Q)tools/install-deps

# The guest kernel (Debian's linux-image-amd64) and the initramfs images
# built from busybox-static and the kernel's own modules.
kernel: deps
	$(Q)tools/fetch-kernel $(GUEST)

# The test guest: pvpanic, the virtio drivers, ext4 and mkfs.ext4.
TEST_MODULES := pvpanic-mmio virtio_pci virtio_blk virtio_console virtio-rng \
                virtio_net crc32c_generic ext4 button evdev
# Debian's busybox runs udhcpc's hook from /etc/udhcpc/.
GUEST_FILES  := guest/udhcpc.script:/etc/udhcpc/default.script
$(GUEST)/test-initrd.cpio.gz: guest/test-init guest/udhcpc.script $(BUILD)/bench/network \
                              tools/mkinitramfs tools/binary-files | kernel
	$(Q)tools/mkinitramfs -o $@ --init guest/test-init --modules $(GUEST)/modules \
	    $(TEST_MODULES:%=--module %) $(GUEST_FILES:%=--file %) \
	    --file $(BUILD)/bench/network:/usr/bin/network \
	    $$(tools/binary-files /sbin/mke2fs /usr/bin/mkfs.ext4)

$(GUEST)/demo-initrd.cpio.gz: guest/demo-init guest/udhcpc.script tools/mkinitramfs tools/binary-files | kernel
	$(Q)tools/mkinitramfs -o $@ --init guest/demo-init --modules $(GUEST)/modules \
	    $(TEST_MODULES:%=--module %) $(GUEST_FILES:%=--file %) \
	    $$(tools/binary-files /sbin/mke2fs /usr/bin/mkfs.ext4)

# Tiny freestanding test guests (guest/tiny/tiny.S), one per variant.
TINY_VARIANTS := triple-fault hostile-io debug-exit
TINY_IMAGES   := $(TINY_VARIANTS:%=$(GUEST)/tiny-%.bin)
$(GUEST)/tiny-%.bin: guest/tiny/tiny.S guest/bzimage_header.inc
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c -DTINY_$(shell echo $* | tr a-z- A-Z_) $< -o $(@:.bin=.o)
	$(Q)objcopy -O binary -j .text $(@:.bin=.o) $@

# The hostile test guest (guest/hostile/): freestanding C behind a
# bzImage-shaped head, booted like a kernel; it attacks Vessel's devices
# (shared/RELIABILITY.md (a), tests/integration/t_hostile.sh).
HOSTILE_SRC    := $(wildcard guest/hostile/*.c guest/hostile/*.S)
HOSTILE_OBJ    := $(HOSTILE_SRC:guest/hostile/%=$(GUEST)/hostile/%.o)
HOSTILE_CFLAGS := -std=gnu11 -O2 -ffreestanding -nostdlib -mno-red-zone \
                  -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector \
                  -fno-asynchronous-unwind-tables -fcf-protection=none \
                  -Wall -Wextra -Werror -MMD -MP
$(GUEST)/hostile/%.o: guest/hostile/%
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOSTILE_CFLAGS) -c $< -o $@

$(GUEST)/hostile.bin: $(HOSTILE_OBJ) guest/hostile/hostile.ld
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,-T,guest/hostile/hostile.ld \
	    -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $(@:.bin=.elf) $(HOSTILE_OBJ)
	$(Q)objcopy -O binary $(@:.bin=.elf) $@

guest-images: kernel $(GUEST)/test-initrd.cpio.gz $(GUEST)/demo-initrd.cpio.gz \
              $(TINY_IMAGES) $(GUEST)/hostile.bin

# Boot the demo guest: an interactive shell on a terminal, a short script
# otherwise. Runs inside tools/kvmbox where /dev/kvm is missing.
demo: deps
	$(Q)$(MAKE) --no-print-directory all guest-images
	$(Q)tools/demo

# Guest boots: run inside tools/kvmbox where /dev/kvm is missing.
integration: deps
	$(Q)$(MAKE) --no-print-directory all guest-images
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)VESSEL_KVMBOX_MODULES="tun bridge $${VESSEL_KVMBOX_MODULES:-}" \
	    tools/kvmbox --timeout 1500 -- tests/integration/run

# --- benchmark (bench/run; see shared/BENCH.md): never a test, prints a table
BENCH_BIN := $(BUILD)/bench/probe $(BUILD)/bench/cpuwork $(BUILD)/bench/diskwork $(BUILD)/bench/network

$(BUILD)/bench/probe: bench/probe.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<

# Static: the same binaries run in the busybox guest and on the host.
$(BUILD)/bench/cpuwork $(BUILD)/bench/diskwork $(BUILD)/bench/network: $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -static -s -o $@ $<

$(GUEST)/bench-initrd.cpio.gz: guest/bench-init $(BUILD)/bench/cpuwork $(BUILD)/bench/diskwork $(BUILD)/bench/network \
                               guest/udhcpc.script tools/mkinitramfs | kernel
	$(Q)tools/mkinitramfs -o $@ --init guest/bench-init --modules $(GUEST)/modules \
	    --module virtio_pci --module virtio_blk --module virtio_net $(GUEST_FILES:%=--file %) \
	    --file $(BUILD)/bench/cpuwork:/usr/bin/cpuwork --file $(BUILD)/bench/diskwork:/usr/bin/diskwork \
	    --file $(BUILD)/bench/network:/usr/bin/network

# One table (also build/bench/results.md); BENCH_RUNS=N rounds (default 5).
bench: deps
	$(Q)$(MAKE) --no-print-directory all guest-images $(GUEST)/bench-initrd.cpio.gz $(BENCH_BIN)
	$(Q)VESSEL_KVMBOX_MODULES="tun $${VESSEL_KVMBOX_MODULES:-}" \
	    VESSEL_KVMBOX_ENV="$${VESSEL_KVMBOX_ENV:-} BENCH_RUNS BENCH_CPU_ROUNDS BENCH_CPU_SECS BENCH_TIMEOUT BENCH_QEMU BENCH_DISK_MIB BENCH_DISK_OPS BENCH_NET_SECS BENCH_DENSITY" \
	    tools/kvmbox --timeout 3000 -- bench/run

# --- fuzzing: tests/fuzz/<target>.c, libFuzzer (clang), corpus in
# tests/fuzz/corpus/<target>/ (past crashes included). `make fuzz` runs each
# target for FUZZ_SECONDS; `make fuzz-replay` (part of check) runs every
# corpus file once.
FUZZ_SRC     := $(wildcard tests/fuzz/*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -Isrc -Itests/unit $(WARN) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# A target that needs more than libvcore's sources names them in
# FUZZ_EXTRA_<target>, and libraries or flags in FUZZ_FLAGS_<target>.
FUZZ_EXTRA_api_body    := src/api/route.c src/host/jfield.c
FUZZ_FLAGS_api_body    := -ljansson
# blkfile.c only for blkfile_parse_spec(): --gc-sections drops the rest.
FUZZ_EXTRA_config_json := src/vmm/config_json.c src/host/jfield.c \
                          src/api/rundir.c src/vmm/net_spec.c src/host/file.c \
                          src/host/blkfile.c
FUZZ_FLAGS_config_json := -ljansson -ffunction-sections -Wl,--gc-sections,-z,start-stop-gc
# Spec parsers of the command line; --gc-sections as for config_json.
FUZZ_EXTRA_cli_specs   := src/vmm/net_spec.c src/host/blkfile.c src/cli/parse.c \
                          src/cli/human.c src/api/rundir.c
FUZZ_FLAGS_cli_specs   := -ffunction-sections -Wl,--gc-sections,-z,start-stop-gc
# The kernel cache's index file, through the file API in a scratch folder.
FUZZ_EXTRA_kcache_index := src/host/kcache_index.c src/host/file.c
# The client's socket calls go to a fake peer in the target.
FUZZ_EXTRA_api_client_head := src/api/client.c
FUZZ_FLAGS_api_client_head := -Wl,--wrap=socket,--wrap=setsockopt,--wrap=connect,--wrap=send,--wrap=recv,--wrap=close
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBCORE_SRC) $$(FUZZ_EXTRA_$$*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(LIBCORE_SRC) $(FUZZ_EXTRA_$*) $(FUZZ_FLAGS_$*)

fuzz-build: $(FUZZ_BIN)
fuzz-replay: fuzz-build
	$(Q)tools/fuzz-replay $(FUZZ_BIN)
fuzz: fuzz-build
	$(Q)for f in $(FUZZ_BIN); do t=$$(basename $$f); mkdir -p tests/fuzz/corpus/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/corpus/$$t/crash- \
	        tests/fuzz/corpus/$$t || exit 1; done

# Everything, with one summary line at the end.
check: deps
	$(Q)tools/check

clean:
	rm -rf $(BUILD)

-include $(LIBCORE_OBJ:.o=.d) $(VMM_OBJ:.o=.d) $(UNIT_HELP_OBJ:.o=.d) $(HOSTILE_OBJ:.o=.d)
.SECONDARY:
