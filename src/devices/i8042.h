/* i8042 PS/2 keyboard controller, controller side only: enough for the
 * reset line and for Linux's probe to finish cleanly. No keyboard or mouse
 * is attached: bytes for the keyboard are dropped, the AUX port is absent
 * (an AT-style controller: 0xA9 and 0xD3 get no answer, so Linux decides
 * there is no AUX port), and IRQ 1/12 are never raised. Controller replies
 * are polled by guests (Linux's i8042_command() polls OBF).
 *
 * Commands: 0x20-0x3f read controller RAM (0x20 = command byte), 0x60-0x7f
 * write it, 0xA7/0xA8 disable/enable AUX, 0xAA self-test (0x55), 0xAB
 * keyboard interface test (0x00), 0xAD/0xAE disable/enable keyboard, 0xD0
 * read / 0xD1 write the output port (bit 0 clear = reset), 0xD2 echo a byte
 * as keyboard data, 0xD3/0xD4 swallow their data byte, 0xF0-0xFF pulse
 * output-port bits 0-3 (a clear bit 0 pulses reset: 0xFE). Others are
 * ignored.
 *
 * Not thread-safe: the caller serialises calls on one struct i8042. */
#ifndef VESSEL_DEVICES_I8042_H
#define VESSEL_DEVICES_I8042_H

#include "core/bus.h"
#include "core/types.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64  /* read: status, write: command */

#define I8042_STS_OBF 0x01   /* output buffer full: data port has a byte */
#define I8042_STS_IBF 0x02   /* input buffer full: never, we act at once */
#define I8042_STS_SYS 0x04   /* system flag, command byte bit 2 */
#define I8042_STS_CMD 0x08   /* last write went to the command port */
#define I8042_STS_UNLOCKED 0x10 /* keyboard not inhibited */

#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

#define I8042_OUT_RESET 0x01 /* output port: 0 holds the CPU in reset */
#define I8042_OUT_A20 0x02

#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60
#define I8042_CMD_AUX_DISABLE 0xa7
#define I8042_CMD_AUX_ENABLE 0xa8
#define I8042_CMD_SELF_TEST 0xaa
#define I8042_CMD_KBD_TEST 0xab
#define I8042_CMD_KBD_DISABLE 0xad
#define I8042_CMD_KBD_ENABLE 0xae
#define I8042_CMD_READ_OUTPORT 0xd0
#define I8042_CMD_WRITE_OUTPORT 0xd1
#define I8042_CMD_WRITE_KBD_OUTBUF 0xd2
#define I8042_CMD_WRITE_AUX_OUTBUF 0xd3
#define I8042_CMD_WRITE_AUX 0xd4
#define I8042_CMD_PULSE_RESET 0xfe

#define I8042_SELF_TEST_OK 0x55
#define I8042_RAM_SIZE 32

struct i8042_ops {
    /* The guest pulsed the reset line. Called from inside the guest's port
     * write, with the caller's lock held: request a reset, don't do it. */
    void (*reset)(void *ctx);
};

/* Guest-visible state. */
struct i8042_state {
    uint8_t ram[I8042_RAM_SIZE]; /* ram[0] is the command byte */
    uint8_t outbuf;              /* byte the data port returns */
    bool obf;                    /* outbuf not yet read */
    uint8_t outport;
    uint8_t pending;             /* command waiting for its data byte, or 0 */
    bool last_was_cmd;           /* status bit 3 */
};

struct i8042 {
    struct i8042_state st;
    const struct i8042_ops *ops;
    void *ops_ctx;
};

/* Set up (k) in its post-firmware state (command byte 0x45, system flag
 * set) with reset callback (ops, ctx); (ops) may be NULL. Owned by the
 * caller. */
void i8042_init(struct i8042 *k, const struct i8042_ops *ops, void *ctx);
void i8042_reset(struct i8042 *k);

/* Port 0x60: read the output buffer (clears OBF; empty reads repeat the
 * last byte) / write data for a pending command. */
uint8_t i8042_read_data(struct i8042 *k);
void i8042_write_data(struct i8042 *k, uint8_t val);
/* Port 0x64: read status / write a command. */
uint8_t i8042_read_status(const struct i8042 *k);
void i8042_write_cmd(struct i8042 *k, uint8_t cmd);

/* Two one-port windows, both with dev = struct i8042 * (one window over
 * 0x60-0x64 would also swallow 0x61, the PIT/speaker port):
 *   bus_add(&pio, I8042_DATA_PORT, 1, &i8042_data_bus_ops, &k, "i8042-data")
 *   bus_add(&pio, I8042_CMD_PORT, 1, &i8042_cmd_bus_ops, &k, "i8042-cmd")
 * The port bus never passes a one-port window a wider access (the guest
 * gets all-ones); called directly with one, the ops act on byte 0 and
 * the other bytes read 0xff. */
extern const struct bus_ops i8042_data_bus_ops;
extern const struct bus_ops i8042_cmd_bus_ops;

#endif
