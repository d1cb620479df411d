/* SPDX-License-Identifier: MIT */
/* 16550 register semantics driven through serial_io() without KVM: output
 * to a pipe, divisor latch, scratch, loopback as Linux's probe checks it,
 * THRE and RX interrupts through an injected line callback, IIR with FIFOs,
 * RX FIFO flow control with the wait eventfd, and the output file limit
 * (a flooding guest cannot grow the file past --serial-limit). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/serial.h"

struct line {
	int level;
	int raises;
};

struct ctx {
	struct serial *s;
	struct line irq;
	int pipe[2];
};

static void irq_cb(void *opaque, int level)
{
	struct line *l = opaque;

	if (level && !l->level)
		l->raises++;
	l->level = level;
}

static int setup(void **state)
{
	static struct ctx c;

	c = (struct ctx){0};
	if (pipe2(c.pipe, O_NONBLOCK))
		return -1;
	if (serial_create(c.pipe[1], irq_cb, &c.irq, &c.s))
		return -1;
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	serial_destroy(c->s);
	close(c->pipe[0]);
	close(c->pipe[1]);
	return 0;
}

static void wr(struct ctx *c, unsigned reg, uint8_t v)
{
	serial_io(c->s, reg, &v, 1, true);
}

static uint8_t rd(struct ctx *c, unsigned reg)
{
	uint8_t v = 0xee;

	serial_io(c->s, reg, &v, 1, false);
	return v;
}

static void test_output(void **state)
{
	struct ctx *c = *state;
	char buf[8];

	wr(c, 0, 'h');
	wr(c, 0, 'i');
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(rd(c, 5) & 0x60, 0x60); /* THRE | TEMT */
	assert_int_equal(c->irq.level, 0);	 /* IER is 0: no interrupts */
}

static void test_dlab_scratch(void **state)
{
	struct ctx *c = *state;
	char buf[4];

	wr(c, 3, 0x80); /* DLAB */
	wr(c, 0, 0x01);
	wr(c, 1, 0x02);
	assert_int_equal(rd(c, 0), 0x01);
	assert_int_equal(rd(c, 1), 0x02);
	wr(c, 3, 0x03); /* 8N1, DLAB off */
	assert_int_equal(rd(c, 3), 0x03);
	assert_int_equal(rd(c, 1), 0x00);			  /* IER, not DLM */
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), -1); /* DLL write sent nothing */
	wr(c, 7, 0xa5);
	assert_int_equal(rd(c, 7), 0xa5);
	wr(c, 7, 0x5a);
	assert_int_equal(rd(c, 7), 0x5a);
}

static void test_loopback(void **state)
{
	struct ctx *c = *state;
	char buf[4];

	/* Linux's autoconfig: MCR = LOOP | OUT2 | RTS, expects MSR & 0xf0 == 0x90. */
	wr(c, 4, 0x1a);
	assert_int_equal(rd(c, 6) & 0xf0, 0x90);
	wr(c, 4, 0x1f);
	assert_int_equal(rd(c, 6) & 0xf0, 0xf0);
	/* Data loops back to RBR instead of the output. */
	wr(c, 0, 'x');
	assert_int_equal(rd(c, 5) & 0x01, 0x01);
	assert_int_equal(rd(c, 0), 'x');
	assert_int_equal(rd(c, 5) & 0x01, 0x00);
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), -1);
	wr(c, 4, 0x0b);
	assert_int_equal(rd(c, 6) & 0xf0, 0xb0); /* DCD DSR CTS as power-on */
}

static void test_fifo_iir(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, 2), 0x01); /* no interrupt, FIFOs off */
	wr(c, 2, 0x07);			  /* enable + clear both FIFOs */
	assert_int_equal(rd(c, 2), 0xc1); /* 16550A: FIFO bits set */
	wr(c, 2, 0x00);
	assert_int_equal(rd(c, 2), 0x01);
}

static void test_thre_interrupt(void **state)
{
	struct ctx *c = *state;
	char buf[4];

	wr(c, 1, 0x02); /* enable THRI: THR is empty, so it fires at once */
	assert_int_equal(c->irq.level, 1);
	assert_int_equal(rd(c, 2) & 0x0f, 0x02);
	/* Reading IIR acknowledged it. */
	assert_int_equal(c->irq.level, 0);
	assert_int_equal(rd(c, 2) & 0x0f, 0x01);
	/* Each transmitted byte gives a new edge. */
	wr(c, 0, 'a');
	assert_int_equal(c->irq.level, 1);
	assert_int_equal(c->irq.raises, 2);
	wr(c, 0, 'b');
	assert_int_equal(c->irq.raises, 3);
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), 2);
	wr(c, 1, 0x00);
	assert_int_equal(c->irq.level, 0);
}

static void test_rx(void **state)
{
	struct ctx *c = *state;
	uint8_t in[20];
	uint64_t ev;
	struct pollfd pfd = {.fd = serial_rx_wait_fd(c->s), .events = POLLIN};
	int i;

	for (i = 0; i < 20; i++)
		in[i] = (uint8_t)('A' + i);
	wr(c, 1, 0x01); /* RDI */
	assert_int_equal(c->irq.level, 0);
	assert_int_equal(serial_receive(c->s, in, 3), 3);
	assert_int_equal(c->irq.level, 1);
	assert_int_equal(rd(c, 2) & 0x0f, 0x04);
	assert_int_equal(rd(c, 0), 'A');
	assert_int_equal(rd(c, 0), 'B');
	assert_int_equal(rd(c, 0), 'C');
	assert_int_equal(c->irq.level, 0);
	assert_int_equal(rd(c, 5) & 0x01, 0);
	/* The FIFO holds 16; the producer is told to wait. */
	assert_int_equal(serial_receive(c->s, in, 20), SERIAL_FIFO_LEN);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	for (i = 0; i < SERIAL_FIFO_LEN; i++)
		assert_int_equal(rd(c, 0), 'A' + i);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(read(pfd.fd, &ev, sizeof(ev)), 8);
	/* FCR clear empties the RX FIFO. */
	assert_int_equal(serial_receive(c->s, in, 2), 2);
	wr(c, 2, 0x03);
	assert_int_equal(rd(c, 5) & 0x01, 0);
	assert_int_equal(c->irq.level, 0);
}

static void test_overrun_and_odd_access(void **state)
{
	struct ctx *c = *state;
	uint8_t wide[4] = {0xff, 0xff, 0xff, 0xff};
	int i;

	wr(c, 4, 0x10); /* loopback: the 17th byte overruns */
	for (i = 0; i < SERIAL_FIFO_LEN + 1; i++)
		wr(c, 0, (uint8_t)i);
	assert_int_equal(rd(c, 5) & 0x03, 0x03); /* DR | OE */
	assert_int_equal(rd(c, 5) & 0x02, 0x00); /* OE clears on read */
	/* Wide reads return the byte register zero-extended; offsets past
	 * the 8 ports are ignored. */
	serial_io(c->s, 7, wide, 4, false);
	assert_int_equal(wide[1] | wide[2] | wide[3], 0);
	serial_io(c->s, 8, wide, 1, true);
	serial_io(c->s, UINT64_MAX, wide, 1, false);
}

/* A flood into a limited regular file: the file never exceeds the limit,
 * starts with the note after a cut and ends with the newest bytes. */
static void test_out_limit_file(void **state)
{
	char path[] = "/tmp/test_serial.XXXXXX", buf[4096 + 1];
	struct serial *s;
	struct stat st;
	ssize_t n;
	int fd = mkstemp(path), i;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(serial_create(fd, irq_cb, &(struct line){0}, &s), 0);
	serial_set_out_limit(s, 4096);
	for (i = 0; i < 3 * 4096 + 100; i++) {
		uint8_t c = (uint8_t)('a' + i % 26);

		serial_io(s, 0, &c, 1, true);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(st.st_size <= 4096);
	}
	/* The last byte written is the file's last byte. */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 100 && n <= 4096);
	buf[n] = 0;
	assert_int_equal(buf[n - 1], 'a' + (3 * 4096 + 99) % 26);
	assert_non_null(strstr(buf, "[nfvisor-vmm: serial output reached 4096 bytes"));
	assert_non_null(strstr(buf, "cut 3]"));
	serial_destroy(s);
	close(fd);
}

/* An output that cannot be cut (a pipe) stops at the limit. */
static void test_out_limit_pipe(void **state)
{
	struct ctx *c = *state;
	char buf[8192];
	int i;

	serial_set_out_limit(c->s, 4096);
	for (i = 0; i < 6000; i++)
		wr(c, 0, 'x');
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), 4096);
	wr(c, 0, 'y');
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), -1);
	/* No limit again: output flows. */
	serial_set_out_limit(c->s, 0);
	wr(c, 0, 'z');
	assert_int_equal(read(c->pipe[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dlab_scratch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_iir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overrun_and_odd_access, setup, teardown),
	    cmocka_unit_test(test_out_limit_file),
	    cmocka_unit_test_setup_teardown(test_out_limit_pipe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
