# The tiny freestanding guests (guest/tiny/tiny.S): crash handling and
# hostile port/MMIO use that a Linux guest does not do.

test_tiny_debug_exit() {
    vrun tiny-debug-exit --kernel "$GUEST/tiny-debug-exit.bin"
    expect_rc tiny-debug-exit 39 && expect_log tiny-debug-exit 'TINY-START' &&
        pass tiny-debug-exit
}

test_a29_tiny_triple_fault() {
    vrun tiny-triple-fault --kernel "$GUEST/tiny-triple-fault.bin"
    expect_rc tiny-triple-fault 3 && expect_log tiny-triple-fault 'guest crashed: triple fault' &&
        expect_log tiny-triple-fault 'rip=' && pass tiny-triple-fault
}

test_a26_a27_a28_tiny_hostile_io() {
    vrun tiny-hostile-io --kernel "$GUEST/tiny-hostile-io.bin"
    expect_rc tiny-hostile-io 32 && expect_log tiny-hostile-io 'TINY-OK' &&
        pass tiny-hostile-io
}
