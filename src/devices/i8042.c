/* i8042 keyboard controller: the command set of the IBM PC AT controller,
 * minus the attached devices (see i8042.h). */
#include "devices/i8042.h"

#define CTR_DEFAULT (I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE)
#define OUTPORT_DEFAULT (I8042_OUT_RESET | I8042_OUT_A20)

static void put_out(struct i8042_state *s, uint8_t v)
{
    s->outbuf = v;
    s->obf = true;
}

static void pulse_reset(struct i8042 *k)
{
    if (k->ops && k->ops->reset)
        k->ops->reset(k->ops_ctx);
}

/* Commands that take a data byte through port 0x60 next. */
static bool takes_data(uint8_t cmd)
{
    return (cmd >= 0x60 && cmd <= 0x7f) ||
           (cmd >= I8042_CMD_WRITE_OUTPORT && cmd <= I8042_CMD_WRITE_AUX);
}

/* Single-byte commands other than the RAM reads and reset pulses. */
static void simple_cmd(struct i8042_state *s, uint8_t cmd)
{
    switch (cmd) {
    case I8042_CMD_AUX_DISABLE:
        s->ram[0] |= I8042_CTR_AUXDIS;
        break;
    case I8042_CMD_AUX_ENABLE:
        s->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS;
        break;
    case I8042_CMD_SELF_TEST:
        put_out(s, I8042_SELF_TEST_OK);
        break;
    case I8042_CMD_KBD_TEST:
        put_out(s, 0x00); /* no clock or data line fault */
        break;
    case I8042_CMD_KBD_DISABLE:
        s->ram[0] |= I8042_CTR_KBDDIS;
        break;
    case I8042_CMD_KBD_ENABLE:
        s->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
        break;
    case I8042_CMD_READ_OUTPORT:
        put_out(s, s->outport);
        break;
    default:
        break; /* GUEST: unknown or unsupported command, no reply */
    }
}

void i8042_write_cmd(struct i8042 *k, uint8_t cmd)
{
    /* GUEST: any byte; unknown commands fall through to no reply. */
    struct i8042_state *s = &k->st;

    s->last_was_cmd = true;
    s->pending = 0; /* a new command abandons one waiting for data */
    if (cmd >= I8042_CMD_READ_CTR && cmd < I8042_CMD_READ_CTR + I8042_RAM_SIZE)
        put_out(s, s->ram[cmd - I8042_CMD_READ_CTR]);
    else if (takes_data(cmd))
        s->pending = cmd;
    else if (cmd >= 0xf0) {
        /* Pulse output-port bits 0-3 that are 0 in the command. */
        if (!(cmd & I8042_OUT_RESET))
            pulse_reset(k);
    } else
        simple_cmd(s, cmd);
}

void i8042_write_data(struct i8042 *k, uint8_t val)
{
    struct i8042_state *s = &k->st;
    uint8_t cmd = s->pending;

    s->last_was_cmd = false;
    s->pending = 0;
    if (cmd >= I8042_CMD_WRITE_CTR && cmd < I8042_CMD_WRITE_CTR + I8042_RAM_SIZE)
        s->ram[cmd - I8042_CMD_WRITE_CTR] = val;
    else if (cmd == I8042_CMD_WRITE_OUTPORT) {
        s->outport = val;
        if (!(val & I8042_OUT_RESET))
            pulse_reset(k);
    } else if (cmd == I8042_CMD_WRITE_KBD_OUTBUF)
        put_out(s, val);
    /* else: for the absent AUX device or keyboard; dropped */
}

uint8_t i8042_read_data(struct i8042 *k)
{
    k->st.obf = false;
    return k->st.outbuf;
}

uint8_t i8042_read_status(const struct i8042 *k)
{
    const struct i8042_state *s = &k->st;

    return (uint8_t)((s->obf ? I8042_STS_OBF : 0) |
                     (s->ram[0] & I8042_CTR_SYS ? I8042_STS_SYS : 0) |
                     (s->last_was_cmd ? I8042_STS_CMD : 0) |
                     I8042_STS_UNLOCKED);
}

void i8042_reset(struct i8042 *k)
{
    k->st = (struct i8042_state){.outport = OUTPORT_DEFAULT};
    k->st.ram[0] = CTR_DEFAULT;
}

void i8042_init(struct i8042 *k, const struct i8042_ops *ops, void *ctx)
{
    k->ops = ops;
    k->ops_ctx = ctx;
    i8042_reset(k);
}

/* Each window is one port: byte 0 of an access at offset 0 is the register;
 * other bytes read as all-ones and are dropped on write (core/bus.h). */
static uint8_t data_read(void *dev, uint8_t off)
{
    (void)off;
    return i8042_read_data(dev);
}

static void data_write(void *dev, uint8_t off, uint8_t val)
{
    (void)off;
    i8042_write_data(dev, val);
}

static uint8_t status_read(void *dev, uint8_t off)
{
    (void)off;
    return i8042_read_status(dev);
}

static void cmd_write(void *dev, uint8_t off, uint8_t val)
{
    (void)off;
    i8042_write_cmd(dev, val);
}

static void data_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, 1, data_read);
}

static void data_bus_write(void *dev, uint64_t off, const void *data,
                           unsigned len)
{
    bus_write_bytes(dev, off, data, len, 1, data_write);
}

static void cmd_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, 1, status_read);
}

static void cmd_bus_write(void *dev, uint64_t off, const void *data,
                          unsigned len)
{
    bus_write_bytes(dev, off, data, len, 1, cmd_write);
}

const struct bus_ops i8042_data_bus_ops = {
    .read = data_bus_read,
    .write = data_bus_write,
};

const struct bus_ops i8042_cmd_bus_ops = {
    .read = cmd_bus_read,
    .write = cmd_bus_write,
};
