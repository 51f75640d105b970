/* The hostile test guest's first bytes: a bzImage-shaped header (Linux boot
 * protocol 2.15, 64-bit entry; the approach of guest/tiny/tiny.S) and the
 * 64-bit entry at the load address + 0x200. Vessel's loader skips the
 * boot sector and the one setup sector (0x400 bytes of the file) and puts
 * the rest at pref_address 0x100000 (hostile.ld links it there). The entry
 * runs in long mode with identity paging of [0, 4 GiB), interrupts off and
 * %rsi pointing at boot_params; it clears .bss, takes its own stack and
 * calls hostile_main(boot_params), which never returns. */

    .section .head, "ax"
    .globl hostile_header
hostile_header:
/* init_size: the image and .bss (hostile.ld) */
#define BZ_INIT_SIZE hostile_init_size
#include "../bzimage_header.inc"
    .code64
    .globl hostile_entry
hostile_entry:
    cld
    mov %rsi, %rbx                  /* boot_params */
    mov $hostile_bss_start, %rdi
    mov $hostile_bss_end, %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
    mov $hostile_stack_top, %rsp
    mov %rbx, %rdi
    call hostile_main
1:  hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
