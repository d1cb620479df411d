/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "serial"
#include "vmm/serial.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

/* Register offsets (DLAB selects DLL/DLM at 0 and 1). */
enum {
	UART_RX_TX = 0, /* RBR (read) / THR (write) / DLL */
	UART_IER = 1,	/* DLM when DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDI	 0x01 /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI	 0x08 /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI	   0x00
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_RLSI   0x06
#define IIR_FIFO   0xc0 /* both bits set: 16550A with FIFOs enabled */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR	 0x01
#define LSR_OE	 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS	  0x10
#define MSR_DSR	  0x20
#define MSR_RI	  0x40
#define MSR_DCD	  0x80
#define MSR_DELTA (MSR_DCTS | MSR_DDSR | MSR_TERI | MSR_DDCD)

struct serial {
	pthread_mutex_t lock;
	int out_fd;
	int rx_wait_fd;
	serial_irq_fn irq;
	void *irq_opaque;
	int irq_level;

	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_ipending;  /* THRE interrupt armed, cleared by IIR read / THR write */
	bool rx_waiting;    /* a producer was turned away; signal rx_wait_fd on drain */
	uint64_t tx_lost;   /* bytes the output fd did not take */
	uint64_t out_limit; /* 0: none; else the output file is cut at this size */
	uint64_t out_bytes; /* bytes in the output file since the last cut */
	uint64_t out_cuts;  /* times the output file was emptied */
	bool out_stuck;	    /* the file could not be cut: output is dropped */

	uint8_t rx[SERIAL_FIFO_LEN];
	unsigned rx_head, rx_count;
};

int serial_create(int out_fd, serial_irq_fn irq, void *irq_opaque, struct serial **out)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->rx_wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->rx_wait_fd < 0) {
		ret = -errno;
		free(s);
		return ret;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	s->irq_opaque = irq_opaque;
	/* Power-on state: transmitter idle, carrier and DSR/CTS asserted so
	 * drivers that watch modem lines do not wait forever. */
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	s->mcr = MCR_OUT2;
	s->dll = 12; /* 9600 baud */
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	if (s->tx_lost)
		pr_warn("%llu console bytes could not be written", (unsigned long long)s->tx_lost);
	if (s->out_cuts)
		pr_info("serial output file was emptied %" PRIu64 " times at %" PRIu64
			" bytes (--serial-limit)",
			s->out_cuts, s->out_limit);
	close(s->rx_wait_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int serial_rx_wait_fd(const struct serial *s)
{
	return s->rx_wait_fd;
}

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending_iir(const struct serial *s)
{
	if ((s->ier & IER_RLSI) && (s->lsr & LSR_OE))
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && (s->msr & MSR_DELTA))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	int level = pending_iir(s) != IIR_NO_INT;

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq)
			s->irq(s->irq_opaque, level);
	}
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_FIFO_LEN) {
		s->lsr |= LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_LEN] = c;
	s->rx_count++;
	s->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t c;

	if (!s->rx_count)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_LEN;
	if (--s->rx_count == 0) {
		s->lsr &= (uint8_t)~LSR_DR;
		if (s->rx_waiting) {
			uint64_t one = 1;

			s->rx_waiting = false;
			if (write(s->rx_wait_fd, &one, sizeof(one)) < 0)
				pr_debug("rx wakeup: %s", strerror(errno));
		}
	}
	return c;
}

static void rx_clear(struct serial *s)
{
	s->rx_head = s->rx_count = 0;
	s->lsr &= (uint8_t)~LSR_DR;
}

void serial_set_out_limit(struct serial *s, uint64_t limit)
{
	pthread_mutex_lock(&s->lock);
	s->out_limit = limit;
	s->out_bytes = 0;
	s->out_stuck = false;
	pthread_mutex_unlock(&s->lock);
}

/* The output file reached out_limit: empty it and go on from its start, so
 * the newest output is kept (the last lines are what a harness or operator
 * reads) and the file never exceeds the limit. A file that cannot be cut
 * drops the rest of the output instead. */
static void out_cut(struct serial *s)
{
	char note[160];
	int n;

	if (ftruncate(s->out_fd, 0) || lseek(s->out_fd, 0, SEEK_SET) < 0) {
		pr_warn("cannot empty the serial output file at %" PRIu64
			" bytes (%s); further guest output is dropped (raise --serial-limit)",
			s->out_limit, strerror(errno));
		s->out_stuck = true;
		return;
	}
	if (!s->out_cuts++)
		pr_warn("guest console output reached %" PRIu64
			" bytes; the serial file is emptied each time (raise --serial-limit "
			"to keep more; logged once)",
			s->out_limit);
	n = snprintf(note, sizeof(note),
		     "[nfvisor-vmm: serial output reached %" PRIu64
		     " bytes (--serial-limit); earlier output discarded, cut %" PRIu64 "]\n",
		     s->out_limit, s->out_cuts);
	s->out_bytes = 0;
	if (n > 0 && (uint64_t)n < s->out_limit && write(s->out_fd, note, (size_t)n) == n)
		s->out_bytes = (uint64_t)n;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return;
	}
	if (!s->out_stuck && s->out_limit && s->out_bytes >= s->out_limit)
		out_cut(s);
	if (s->out_stuck) {
		s->tx_lost++;
		return;
	}
	/* One attempt: a console that fails (or a write interrupted by the
	 * vCPU kick signal at stop) loses the byte rather than holding the
	 * vCPU. */
	if (write(s->out_fd, &c, 1) != 1)
		s->tx_lost++;
	else
		s->out_bytes++;
}

/* In loopback the modem inputs follow the modem outputs. */
static uint8_t msr_value(const struct serial *s)
{
	uint8_t v = s->msr & MSR_DELTA;

	if (!(s->mcr & MCR_LOOP))
		return s->msr;
	if (s->mcr & MCR_DTR)
		v |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		v |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		v |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

static void serial_write(struct serial *s, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_RX_TX:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		/* The byte leaves at once, so THR is empty again right away;
		 * dropping and re-raising the interrupt gives an edge per byte. */
		s->thr_ipending = false;
		update_irq(s);
		transmit(s, v);
		s->thr_ipending = true;
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI while THR is empty raises it immediately. */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_ipending = true;
		s->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		if (v & FCR_CLEAR_RX)
			rx_clear(s);
		s->fcr = v & (FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_LSR:
		break; /* read-only on a 16550 */
	case UART_MSR:
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
	update_irq(s);
}

static uint8_t serial_read(struct serial *s, unsigned reg)
{
	uint8_t v = 0;

	switch (reg) {
	case UART_RX_TX:
		v = (s->lcr & LCR_DLAB) ? s->dll : rx_pop(s);
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		v = pending_iir(s);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if (v == IIR_THRI)
			s->thr_ipending = false;
		if (s->fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = s->lsr;
		s->lsr &= (uint8_t)~LSR_OE;
		break;
	case UART_MSR:
		v = msr_value(s);
		s->msr &= (uint8_t)~MSR_DELTA;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	return v;
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	if (offset >= SERIAL_NPORTS || len == 0)
		return;
	/* The registers are bytes; wider accesses use the low byte. */
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		serial_write(s, (unsigned)offset, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = serial_read(s, (unsigned)offset);
	}
	pthread_mutex_unlock(&s->lock);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the line is disconnected: outside bytes are lost, as on
	 * the real chip. */
	if (s->mcr & MCR_LOOP)
		n = len;
	while (n < len && s->rx_count < SERIAL_FIFO_LEN)
		rx_push(s, buf[n++]);
	if (n < len)
		s->rx_waiting = true;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}
