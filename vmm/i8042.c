/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "i8042"
#include "vmm/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define STATUS_OBF	0x01 /* output buffer full: data waiting at 0x60 */
#define STATUS_SYS	0x04 /* system flag: self test passed */
#define STATUS_CMD	0x08 /* last write was to the command port */
#define STATUS_UNLOCKED 0x10 /* keyboard not inhibited: no "keylock active" */

#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_OFF    0xa7
#define CMD_AUX_ON     0xa8
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_KBD_OFF    0xad
#define CMD_KBD_ON     0xae
#define CMD_READ_OUTP  0xd0
#define CMD_WRITE_OUTP 0xd1
#define CMD_KBD_LOOP   0xd2
#define CMD_AUX_LOOP   0xd3
#define CMD_RESET      0xfe

#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20
#define CTR_XLATE	0x40

#define OUTP_RESET_N 0x01 /* output port bit 0 low = CPU reset */
#define OUTP_A20     0x02

struct i8042 {
	pthread_mutex_t lock;
	vm_stop_fn stop;
	void *stop_opaque;
	uint8_t status, ctr, outp, data;
	uint8_t pending_cmd; /* command waiting for its data byte at 0x60 */
};

int i8042_create(vm_stop_fn stop, void *stop_opaque, struct i8042 **out)
{
	struct i8042 *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	pthread_mutex_init(&dev->lock, NULL);
	dev->stop = stop;
	dev->stop_opaque = stop_opaque;
	dev->status = STATUS_SYS | STATUS_UNLOCKED;
	dev->ctr = CTR_XLATE | CTR_AUX_DISABLE;
	dev->outp = OUTP_RESET_N | OUTP_A20;
	*out = dev;
	return 0;
}

void i8042_destroy(struct i8042 *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

static void put_output(struct i8042 *dev, uint8_t v)
{
	dev->data = v;
	dev->status |= STATUS_OBF;
}

static void request_reset(struct i8042 *dev)
{
	pr_info("guest requested a reset through the keyboard controller");
	dev->stop(dev->stop_opaque, VM_STOP_RESET);
}

static void command(struct i8042 *dev, uint8_t cmd)
{
	dev->status |= STATUS_CMD;
	switch (cmd) {
	case CMD_READ_CTR:
		put_output(dev, dev->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
		dev->pending_cmd = cmd;
		break;
	case CMD_AUX_OFF:
		dev->ctr |= CTR_AUX_DISABLE;
		break;
	case CMD_AUX_ON:
		dev->ctr &= (uint8_t)~CTR_AUX_DISABLE;
		break;
	case CMD_AUX_TEST:
		put_output(dev, 0x01); /* no auxiliary port: "clock line stuck low" */
		break;
	case CMD_SELF_TEST:
		put_output(dev, 0x55);
		break;
	case CMD_KBD_TEST:
		put_output(dev, 0x00);
		break;
	case CMD_KBD_OFF:
		dev->ctr |= CTR_KBD_DISABLE;
		break;
	case CMD_KBD_ON:
		dev->ctr &= (uint8_t)~CTR_KBD_DISABLE;
		break;
	case CMD_READ_OUTP:
		put_output(dev, dev->outp);
		break;
	case CMD_RESET:
		request_reset(dev);
		break;
	default:
		pr_debug("command 0x%02x ignored", cmd);
		break;
	}
}

static void data_write(struct i8042 *dev, uint8_t v)
{
	dev->status &= (uint8_t)~STATUS_CMD;
	switch (dev->pending_cmd) {
	case CMD_WRITE_CTR:
		dev->ctr = v;
		break;
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
		/* The byte comes back as keyboard data; without the AUX data
		 * status bit Linux sees at once that there is no AUX port
		 * instead of polling the status register until it times out. */
		put_output(dev, v);
		break;
	case CMD_WRITE_OUTP:
		dev->outp = v;
		if (!(v & OUTP_RESET_N))
			request_reset(dev);
		break;
	default:
		/* A byte for the (absent) keyboard: nothing answers. */
		pr_debug("keyboard byte 0x%02x dropped", v);
		break;
	}
	dev->pending_cmd = 0;
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *dev = opaque;

	if (len == 0)
		return;
	pthread_mutex_lock(&dev->lock);
	if (is_write) {
		data_write(dev, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = dev->data;
		dev->status &= (uint8_t)~STATUS_OBF;
	}
	pthread_mutex_unlock(&dev->lock);
}

void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *dev = opaque;

	if (len == 0)
		return;
	pthread_mutex_lock(&dev->lock);
	if (is_write) {
		command(dev, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = dev->status;
	}
	pthread_mutex_unlock(&dev->lock);
}
