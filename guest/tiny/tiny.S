/* A tiny freestanding test guest in the shape of a bzImage: a setup header
 * (Linux boot protocol 2.15, 64-bit entry) and a few instructions of 64-bit
 * code at the entry. Built in several variants (-DTINY_<ACTION>) for tests
 * of Vessel's crash and device paths that a Linux guest cannot easily
 * provoke. It reports through COM1 (polled) and the debug-exit port 0xf4:
 * Vessel exits with 32 + the value written there. */

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

    .section .text
    .globl _start
_start:
#define BZ_INIT_SIZE 0x100000
#include "../bzimage_header.inc"
    .code64
entry:
    lea stack_top(%rip), %rsp
    lea hello(%rip), %rsi
    call puts

#if defined(TINY_TRIPLE_FAULT)
    /* An empty IDT: the next exception cannot be delivered -> triple fault */
    lidt null_idt(%rip)
    ud2

#elif defined(TINY_HOSTILE_IO)
    /* 4 KiB rep outsb to an unclaimed port, then rep insb from the floppy
     * controller ports (VENOM: no device there): every byte reads 0xff. */
    lea buf(%rip), %rsi
    mov $4096, %rcx
    mov $0x80, %dx
    rep outsb
    lea buf(%rip), %rdi
    mov $4096, %rcx
    mov $0x3f5, %dx
    rep insb
    lea buf(%rip), %rsi
    mov $4096, %rcx
1:  lodsb
    cmp $0xff, %al
    jne fail
    loop 1b
    /* 8-byte MMIO read at an odd address in the hole: all-ones */
    mov $0xd0000001, %rbx
    movq (%rbx), %rax
    cmp $-1, %rax
    jne fail
    movq %rax, (%rbx)          /* unclaimed MMIO write: dropped */
    /* A storm of UART register writes, including DLAB flips */
    mov $10000, %rcx
2:  mov $COM1 + 3, %dx
    mov $0x80, %al
    out %al, %dx
    mov $0x03, %al
    out %al, %dx
    mov $COM1 + 1, %dx
    mov $0x0f, %al
    out %al, %dx
    loop 2b
    mov $COM1 + 1, %dx
    xor %al, %al
    out %al, %dx
    lea ok(%rip), %rsi
    call puts
    xor %al, %al
    out %al, $DEBUG_EXIT       /* pass: exit status 32 */
    jmp halt
fail:
    lea bad(%rip), %rsi
    call puts
    mov $1, %al
    out %al, $DEBUG_EXIT       /* fail: exit status 33 */
    jmp halt

#else /* TINY_DEBUG_EXIT */
    mov $7, %al
    out %al, $DEBUG_EXIT       /* exit status 39 */
#endif

halt:
    hlt
    jmp halt

/* Print the NUL-terminated string at %rsi on COM1, polling LSR.THRE. */
puts:
    mov $COM1 + 5, %dx
3:  in %dx, %al
    test $0x20, %al
    jz 3b
    lodsb
    test %al, %al
    jz 4f
    mov $COM1, %dx
    out %al, %dx
    jmp puts
4:  ret

hello:  .asciz "TINY-START\r\n"
ok:     .asciz "TINY-OK\r\n"
bad:    .asciz "TINY-BAD\r\n"
    .balign 16
null_idt:
    .word 0
    .quad 0
    .balign 16
buf:
    .fill 4096, 1, 0x5a
    .fill 1024, 1, 0
stack_top:
