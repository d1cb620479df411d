/* SPDX-License-Identifier: MIT */
/*
 * Benchmark modes behind `nfvisor bench vm2vm` (contract: guest/README.md):
 *   benchgen   bench/nfv-trafgen's RFC 2544 / RFC 9971 style search run
 *              inside a VM: paced trials of frame_size= frames to the sink
 *              VM; the sink's count for each trial comes back in a RESULT
 *              frame, so the search needs no host in the packet path.
 *   benchsink  counts the frames of each trial, measures one-way latency
 *              (the TSC in the frame against its own) and answers every END
 *              with the RESULT of that trial.
 * The two VMs' TSCs tick at one rate but from different origins: before
 * the search the generator measures the offset NTP-style through the DUT
 * (SYNC probes at idle; the one with the shortest round trip wins, its
 * error is at most half that round trip) and writes its TSC into data
 * frames already converted to the sink's clock.
 * Frames are EtherType 0x88b5. Data frames carry nfv-trafgen's header
 * (magic "NFVT", trial, sequence, TSC); control frames magic "NFVC", a
 * type, the trial and up to eight 64-bit values. Lost control frames are
 * repeated (END every 20 ms until its RESULT comes; RESULT on every END).
 */
#include "guest/benchnet.h"
#include "guest/benchstat.h"
#include "guest/bootinfo.h"
#include "guest/cmdline.h"
#include "guest/errno.h"
#include "guest/format.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/nfguest.h"
#include "guest/printk.h"
#include "guest/timer.h"
#include "guest/vnet.h"

#define ETH_TYPE_TEST 0x88b5
#define MAGIC_DATA    0x4e465654u /* "NFVT", as nfv-trafgen */
#define MAGIC_CTRL    0x4e465643u /* "NFVC" */
#define BATCH	      32
#define HDR_OFF	      14
#define CTRL_LEN      (HDR_OFF + (int)sizeof(struct bn_ctrl))
#define END_EVERY_US  20000
#define HELLO_US      100000
#define DRAIN_IDLE_US 50000   /* the sink's drain: 50 ms without a frame */
#define DRAIN_MAX_US  1000000 /* ... at most 1 s, as nfv-trafgen */
#define MAX_POINTS    8

#define SYNC_PROBES  64 /* at most: it stops after SYNC_ENOUGH answers */
#define SYNC_ENOUGH  16
#define SYNC_WAIT_US 100000

enum ctrl_type {
	CTRL_HELLO = 1,
	CTRL_END = 2,
	CTRL_RESULT = 3,
	CTRL_BYE = 4,
	CTRL_SYNC = 5,	     /* gen -> sink: v[0] = t1 (gen TSC) */
	CTRL_SYNC_REPLY = 6, /* sink -> gen: v[0] = t1, v[1] = t2 rx, v[2] = t3 tx (sink TSC) */
};

struct bn_data {
	uint32_t magic;
	uint32_t trial;
	uint64_t seq;
	uint64_t tsc;
} __attribute__((packed));

/* RESULT values: rx, reorder, p50, p90, p99, p99.9 (ns), skew, samples. */
struct bn_ctrl {
	uint32_t magic;
	uint32_t type;
	uint32_t trial;
	uint32_t flags;
	uint64_t v[8];
} __attribute__((packed));

struct trial_res {
	uint64_t offered, tx, rx, reorder, dur_us, late;
	uint64_t p50, p90, p99, p999, skew;
};

static struct vnet bn_nic;
static uint16_t filled[VQ_MAX_SIZE];   /* frame length whose payload a TX buffer holds */
static uint64_t hist[BS_HIST_BUCKETS]; /* latency in TSC cycles (benchstat.h) */

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int bring_up(const char *mode)
{
	char mac[18];
	int n = vnet_probe(&bn_nic, 1, 0);

	if (n < 1) {
		if (n == 0)
			printk("nfguest: %s needs a virtio-net device, found none\n", mode);
		return -ENODEV;
	}
	vnet_mac_str(bn_nic.mac, mac);
	printk("nfguest: %s ready %s mac=%s rxq=%u txq=%u poll tsc_khz=%lu\n", mode, bn_nic.name,
	       mac, bn_nic.rx.size, bn_nic.tx.size, (unsigned long)timer_tsc_khz());
	return 0;
}

static void eth_hdr(uint8_t *f, const uint8_t *dst)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, bn_nic.mac, 6);
	f[12] = ETH_TYPE_TEST >> 8;
	f[13] = ETH_TYPE_TEST & 0xff;
}

/* send_ctrl: one control frame; -ENOSPC when the TX ring is full (the
 * caller repeats control frames anyway). */
static int send_ctrl(const uint8_t *dst, uint32_t type, uint32_t trial, const uint64_t *v,
		     unsigned int nv)
{
	struct bn_ctrl c = {.magic = MAGIC_CTRL, .type = type, .trial = trial};
	uint16_t id;
	uint8_t *f = vnet_tx_get(&bn_nic, &id);

	if (!f)
		return -ENOSPC;
	memcpy(c.v, v, nv * sizeof(*v));
	eth_hdr(f, dst);
	memcpy(f + HDR_OFF, &c, sizeof(c));
	filled[id] = 0;
	vnet_tx_put(&bn_nic, id, CTRL_LEN);
	vnet_tx_flush(&bn_nic);
	return 0;
}

/* parse: 1 = data frame (*d), 2 = control frame (*c), 0 = not ours. */
static int parse(const uint8_t *f, uint32_t len, struct bn_data *d, struct bn_ctrl *c)
{
	uint32_t magic;

	if (len < HDR_OFF + sizeof(*d) || f[12] != (ETH_TYPE_TEST >> 8) ||
	    f[13] != (ETH_TYPE_TEST & 0xff))
		return 0;
	memcpy(&magic, f + HDR_OFF, 4);
	if (magic == MAGIC_DATA) {
		memcpy(d, f + HDR_OFF, sizeof(*d));
		return 1;
	}
	if (magic == MAGIC_CTRL && len >= (uint32_t)CTRL_LEN) {
		memcpy(c, f + HDR_OFF, sizeof(*c));
		return 2;
	}
	return 0;
}

/* recv_ctrl: the next control frame of the given type on the RX ring into
 * *c, its source MAC into src and the TSC at its arrival into *tsc (each
 * unless NULL); every other frame on the way is dropped. Returns 1 with a
 * frame, 0 once the ring is empty (its buffers then go back to the device). */
static int recv_ctrl(uint32_t type, struct bn_ctrl *c, uint8_t *src, uint64_t *tsc)
{
	uint8_t *f;
	uint32_t len;
	uint16_t id;
	struct bn_data d;

	while (vnet_recv(&bn_nic, &f, &len, &id)) {
		uint64_t now = rdtsc();
		int mine = parse(f, len, &d, c) == 2 && c->type == type;

		if (mine && src)
			memcpy(src, f + 6, 6);
		vnet_rx_done(&bn_nic, id);
		if (mine) {
			if (tsc)
				*tsc = now;
			return 1;
		}
	}
	vnet_rx_flush(&bn_nic);
	return 0;
}

static uint64_t pps(uint64_t frames, uint64_t us)
{
	return us ? frames * 1000000ull / us : 0;
}

/* ---- generator ---------------------------------------------------------- */

struct gen {
	uint8_t dst[6];
	uint64_t size, trial_ms, loss_ppm, res_ppm, min_rate, result_ms;
	uint64_t points[MAX_POINTS];
	unsigned int npoints;
	uint32_t trial;
	int failed;
	uint64_t offset; /* sink TSC - generator TSC (mod 2^64) */
	uint64_t sync_rtt;
};

static void gen_rx_drop(void)
{
	uint8_t *f;
	uint32_t len;
	uint16_t id;
	unsigned int k = 0;

	while (k < BATCH && vnet_recv(&bn_nic, &f, &len, &id)) {
		vnet_rx_done(&bn_nic, id);
		k++;
	}
	if (k)
		vnet_rx_flush(&bn_nic);
}

/* gen_send: put up to want data frames on the ring; returns how many. */
static unsigned int gen_send(struct gen *g, unsigned int want, uint64_t *seq)
{
	uint32_t len = (uint32_t)g->size - 4; /* the size counts the FCS */
	struct bn_data d = {.magic = MAGIC_DATA, .trial = g->trial};
	unsigned int k;

	for (k = 0; k < want; k++) {
		uint16_t id;
		uint8_t *f = vnet_tx_get(&bn_nic, &id);

		if (!f)
			break;
		if (filled[id] != len) {
			for (uint32_t i = HDR_OFF + sizeof(d); i < len; i++)
				f[i] = (uint8_t)i;
			eth_hdr(f, g->dst);
			filled[id] = (uint16_t)len;
		}
		d.seq = (*seq)++;
		d.tsc = rdtsc() + g->offset; /* in the sink's clock */
		memcpy(f + HDR_OFF, &d, sizeof(d));
		vnet_tx_put(&bn_nic, id, len);
	}
	if (k)
		vnet_tx_flush(&bn_nic);
	return k;
}

/* gen_trial: one trial at rate frames/s (0 = unpaced) for trial_ms, then
 * END until the sink's RESULT. Frames the TX ring refuses are offered and
 * lost (the ring is the DUT's input queue), as in nfv-trafgen. */
static int gen_trial(struct gen *g, uint64_t rate, struct trial_res *r)
{
	uint64_t khz = timer_tsc_khz(), start, cycles = g->trial_ms * khz, seq = 0;
	uint64_t deadline, last_end;

	memset(r, 0, sizeof(*r));
	g->trial++;
	gen_rx_drop();
	start = rdtsc();
	for (;;) {
		uint64_t el = rdtsc() - start, want;

		if (el >= cycles)
			break;
		if (rate) {
			uint64_t due = el * 1000 / khz * rate / 1000000;

			want = due > r->offered ? due - r->offered : 0;
			if (want > BATCH)
				want = BATCH;
		} else {
			want = BATCH;
		}
		if (want) {
			r->tx += gen_send(g, (unsigned int)want, &seq);
			r->offered += want;
		}
		gen_rx_drop();
	}
	r->dur_us = timer_us_since(start);
	/* Frames due that the generator did not get to (its vCPU did not run):
	 * offered and lost, so a rate passes only if it was really offered. */
	r->late = bs_late(rate, r->dur_us, r->offered, BATCH);
	r->offered += r->late;
	deadline = timer_deadline(g->result_ms * 1000);
	last_end = 0;
	while (!timer_expired(deadline)) {
		struct bn_ctrl c;
		int got = 0;

		if (!last_end || timer_us_since(last_end) >= END_EVERY_US) {
			uint64_t v[1] = {r->offered};

			send_ctrl(g->dst, CTRL_END, g->trial, v, 1);
			last_end = rdtsc();
		}
		while (recv_ctrl(CTRL_RESULT, &c, 0, 0)) {
			if (c.trial != g->trial)
				continue;
			r->rx = c.v[0];
			r->reorder = c.v[1];
			r->p50 = c.v[2];
			r->p90 = c.v[3];
			r->p99 = c.v[4];
			r->p999 = c.v[5];
			r->skew = c.v[6];
			got = 1;
		}
		if (got)
			return 0;
		cpu_relax();
	}
	printk("nfguest: benchgen: no RESULT for trial %u within %lu ms: the sink VM stopped "
	       "or the DUT drops every control frame\n",
	       g->trial, (unsigned long)g->result_ms);
	return -ETIMEDOUT;
}

static uint64_t lost(const struct trial_res *r)
{
	return r->offered > r->rx ? r->offered - r->rx : 0;
}

static int within(const struct trial_res *r, uint64_t tol_ppm)
{
	return r->offered && lost(r) * 1000000ull <= tol_ppm * r->offered;
}

/* report: the line nfv-trafgen prints, "nfguest: " first. */
static void report(const struct gen *g, const char *phase, uint64_t rate, const struct trial_res *r,
		   int lat)
{
	uint64_t l = lost(r), lp = r->offered ? l * 100000000ull / r->offered : 100000000ull;

	/* latency fields are 0 outside the latency trials, as nfv-trafgen's */
	printk("nfguest: trial phase=%s size=%lu rate=%lu offered=%lu tx=%lu rx=%lu lost=%lu "
	       "loss_pct=%lu.%06lu reorder=%lu dur_s=%lu.%06lu offered_pps=%lu rx_pps=%lu "
	       "p50_ns=%lu p90_ns=%lu p99_ns=%lu p999_ns=%lu skew=%lu late=%lu\n",
	       phase, (unsigned long)g->size, (unsigned long)rate, (unsigned long)r->offered,
	       (unsigned long)r->tx, (unsigned long)r->rx, (unsigned long)l,
	       (unsigned long)(lp / 1000000), (unsigned long)(lp % 1000000),
	       (unsigned long)r->reorder, (unsigned long)(r->dur_us / 1000000),
	       (unsigned long)(r->dur_us % 1000000), (unsigned long)pps(r->offered, r->dur_us),
	       (unsigned long)pps(r->rx, r->dur_us), (unsigned long)(lat ? r->p50 : 0),
	       (unsigned long)(lat ? r->p90 : 0), (unsigned long)(lat ? r->p99 : 0),
	       (unsigned long)(lat ? r->p999 : 0), (unsigned long)r->skew, (unsigned long)r->late);
}

/* search: highest rate in [lo, hi] with loss <= tol_ppm; lo passes (or is
 * 0), hi fails. Bisection until hi - lo <= res_ppm of hi. */
static uint64_t search(struct gen *g, const char *phase, uint64_t tol_ppm, uint64_t lo, uint64_t hi,
		       uint64_t guess)
{
	struct trial_res r;
	uint64_t rate = guess;

	while (!g->failed && hi - lo > hi * g->res_ppm / 1000000 && hi > g->min_rate) {
		if (rate <= lo || rate >= hi)
			rate = lo + (hi - lo) / 2;
		if (gen_trial(g, rate, &r)) {
			g->failed = 1;
			break;
		}
		report(g, phase, rate, &r, 0);
		if (within(&r, tol_ppm))
			lo = rate;
		else
			hi = rate;
		rate = bs_next_rate(lo, hi); /* as nfv-trafgen */
	}
	return lo;
}

static int parse_points(struct gen *g)
{
	char s[64], *p = s;

	g->npoints = 3;
	g->points[0] = 10;
	g->points[1] = 50;
	g->points[2] = 90;
	if (cmdline_get(boot_info.cmdline, "lat", s, sizeof(s)) == -ENOENT)
		return 0;
	g->npoints = 0;
	while (*p) {
		uint64_t v = 0;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (uint64_t)(*p++ - '0');
			digits++;
		}
		if (!digits || v < 1 || v > 100 || g->npoints == MAX_POINTS || (*p && *p != ',')) {
			printk("nfguest: bad lat=%s: expected up to %d percents 1..100, comma "
			       "separated\n",
			       s, MAX_POINTS);
			return -EINVAL;
		}
		g->points[g->npoints++] = v;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* wait_hello: the sink's MAC from its HELLO broadcast. */
static int wait_hello(struct gen *g, uint64_t first_ms)
{
	uint64_t deadline = timer_deadline(first_ms * 1000);

	while (!timer_expired(deadline)) {
		struct bn_ctrl c;
		int got = 0;

		while (recv_ctrl(CTRL_HELLO, &c, g->dst, 0))
			got = 1;
		if (got)
			return 0;
		cpu_relax();
	}
	printk("nfguest: benchgen: no benchsink HELLO within %lu ms: is the sink VM up and on "
	       "the same switch segment?\n",
	       (unsigned long)first_ms);
	return -ETIMEDOUT;
}

/* sync: the sink's TSC offset from the probe with the shortest round trip
 * (NTP's clock filter in its simplest form). */
static int sync(struct gen *g)
{
	unsigned int i, answered = 0;
	uint64_t best = ~0ull;

	for (i = 0; i < SYNC_PROBES && answered < SYNC_ENOUGH; i++) {
		uint64_t t1 = rdtsc(), deadline = timer_deadline(SYNC_WAIT_US);
		int got = 0;

		if (send_ctrl(g->dst, CTRL_SYNC, 0, &t1, 1))
			continue;
		while (!got && !timer_expired(deadline)) {
			struct bn_ctrl c;
			uint64_t t4, off, rtt;

			while (recv_ctrl(CTRL_SYNC_REPLY, &c, 0, &t4)) {
				if (c.v[0] != t1 ||
				    bs_clock_offset(t1, c.v[1], c.v[2], t4, &off, &rtt))
					continue;
				if (rtt < best) {
					best = rtt;
					g->offset = off;
				}
				got = 1;
				answered++;
			}
		}
	}
	if (!answered) {
		printk("nfguest: benchgen: the sink answered none of %u clock probes: is it a "
		       "benchsink?\n",
		       SYNC_PROBES);
		return -ETIMEDOUT;
	}
	g->sync_rtt = best;
	printk("nfguest: benchgen sync probes=%u answered=%u rtt_ns=%lu\n", i, answered,
	       (unsigned long)(best * 1000000ull / timer_tsc_khz()));
	return 0;
}

void mode_benchgen(void)
{
	struct gen g = {0};
	struct trial_res r;
	uint64_t first_ms, max_off, max_rx, ndr, pdr;
	char mac[18];

	if (mode_arg_u64("frame_size", 64, 64, VNET_FRAME_MAX + 4, &g.size) ||
	    mode_arg_u64("trial_ms", 1000, 10, 3600000, &g.trial_ms) ||
	    mode_arg_u64("loss_ppm", 5000, 0, 500000, &g.loss_ppm) ||
	    mode_arg_u64("res_ppm", 20000, 1000, 500000, &g.res_ppm) ||
	    mode_arg_u64("min_rate", 1000, 1, 1000000000, &g.min_rate) ||
	    mode_arg_u64("result_ms", 5000, 100, 600000, &g.result_ms) ||
	    mode_arg_u64("first_ms", 60000, 1, 3600000, &first_ms) || parse_points(&g))
		return;
	if (bring_up("benchgen") || wait_hello(&g, first_ms) || sync(&g))
		return;
	vnet_mac_str(g.dst, mac);
	printk("nfguest: benchgen sink=%s\n", mac);
	/* The unpaced trial: the generator's ceiling and the DUT's rate under
	 * overload (the first guess). */
	if (gen_trial(&g, 0, &r))
		return;
	report(&g, "max", 0, &r, 0);
	max_off = pps(r.offered, r.dur_us);
	max_rx = pps(r.rx, r.dur_us);
	ndr = lost(&r) == 0 ? max_off : search(&g, "ndr", 0, 0, max_off, max_rx);
	pdr = ndr;
	if (g.loss_ppm && !g.failed)
		pdr = within(&r, g.loss_ppm) ? max_off
					     : search(&g, "pdr", g.loss_ppm, ndr, max_off, max_rx);
	for (unsigned int i = 0; i < g.npoints && ndr > 0 && !g.failed; i++) {
		char phase[16];
		uint64_t rate = ndr * g.points[i] / 100;

		fmt_snprintf(phase, sizeof(phase), "lat%lu", (unsigned long)g.points[i]);
		if (gen_trial(&g, rate ? rate : 1, &r)) {
			g.failed = 1;
			break;
		}
		report(&g, phase, rate ? rate : 1, &r, 1);
	}
	for (int i = 0; i < 3; i++) {
		send_ctrl(g.dst, CTRL_BYE, g.trial, 0, 0);
		udelay(10000);
	}
	if (g.failed)
		return;
	printk("nfguest: result size=%lu ndr_pps=%lu pdr_pps=%lu max_offered_pps=%lu "
	       "max_rx_pps=%lu\n",
	       (unsigned long)g.size, (unsigned long)ndr, (unsigned long)pdr,
	       (unsigned long)max_off, (unsigned long)max_rx);
}

/* ---- sink --------------------------------------------------------------- */

struct sink {
	uint32_t cur, answered;
	int draining;
	uint64_t rx, reorder, next_seq, skew, nlat, last_rx, drain_start;
	uint64_t result[8];
};

/* hist_ns: a latency percentile (per mille) in ns. */
static uint64_t hist_ns(uint64_t n, uint64_t permille)
{
	return bs_hist_pct(hist, n, permille) * 1000000ull / timer_tsc_khz();
}

static void sink_reset(struct sink *s, uint32_t trial)
{
	s->cur = trial;
	s->rx = s->reorder = s->next_seq = s->skew = s->nlat = 0;
	s->draining = 0;
	memset(hist, 0, sizeof(hist));
}

static void sink_finish(struct sink *s, const uint8_t *gen_mac)
{
	s->result[0] = s->rx;
	s->result[1] = s->reorder;
	s->result[2] = hist_ns(s->nlat, 500);
	s->result[3] = hist_ns(s->nlat, 900);
	s->result[4] = hist_ns(s->nlat, 990);
	s->result[5] = hist_ns(s->nlat, 999);
	s->result[6] = s->skew;
	s->result[7] = s->nlat;
	s->answered = s->cur;
	s->draining = 0;
	send_ctrl(gen_mac, CTRL_RESULT, s->answered, s->result, 8);
}

void mode_benchsink(void)
{
	struct sink s = {0};
	uint8_t gen_mac[6];
	uint64_t first_ms, start, last_hello = 0, trials = 0;
	int seen_gen = 0, bye = 0;

	if (mode_arg_u64("first_ms", 60000, 1, 3600000, &first_ms))
		return;
	if (bring_up("benchsink"))
		return;
	memcpy(gen_mac, bcast, 6);
	sink_reset(&s, 0);
	start = rdtsc();
	while (!bye) {
		uint8_t *f;
		uint32_t len;
		uint16_t id;
		unsigned int k = 0;

		while (k < BATCH && vnet_recv(&bn_nic, &f, &len, &id)) {
			uint64_t now = rdtsc();
			struct bn_data d = {0};
			struct bn_ctrl c = {0};
			int t = parse(f, len, &d, &c);

			if (t == 1 && d.trial >= s.cur && d.trial != s.answered) {
				if (d.trial > s.cur)
					sink_reset(&s, d.trial);
				s.rx++;
				if (d.seq < s.next_seq)
					s.reorder++;
				else
					s.next_seq = d.seq + 1;
				/* below zero: the clock offset's error exceeds the
				 * latency; counted, not timed */
				if ((int64_t)(now - d.tsc) >= 0) {
					hist[bs_hist_bucket(now - d.tsc)]++;
					s.nlat++;
				} else {
					s.skew++;
				}
				s.last_rx = now;
			} else if (t == 2 && c.type == CTRL_END) {
				memcpy(gen_mac, f + 6, 6);
				if (c.trial == s.answered) {
					send_ctrl(gen_mac, CTRL_RESULT, s.answered, s.result, 8);
				} else if (c.trial >= s.cur && !(s.draining && c.trial == s.cur)) {
					if (c.trial > s.cur)
						sink_reset(&s, c.trial);
					s.draining = 1;
					s.drain_start = s.last_rx = now;
				}
			} else if (t == 2 && c.type == CTRL_SYNC) {
				uint64_t v[3] = {c.v[0], now, 0};

				memcpy(gen_mac, f + 6, 6);
				v[2] = rdtsc();
				send_ctrl(gen_mac, CTRL_SYNC_REPLY, 0, v, 3);
			} else if (t == 2 && c.type == CTRL_BYE) {
				bye = 1;
			}
			seen_gen |= t != 0 && !(t == 2 && c.type == CTRL_HELLO);
			vnet_rx_done(&bn_nic, id);
			k++;
		}
		if (k)
			vnet_rx_flush(&bn_nic);
		if (s.draining && (timer_us_since(s.last_rx) >= DRAIN_IDLE_US ||
				   timer_us_since(s.drain_start) >= DRAIN_MAX_US)) {
			sink_finish(&s, gen_mac);
			trials++;
		}
		if (!seen_gen) {
			if (timer_us_since(start) > first_ms * 1000) {
				printk(
				    "nfguest: benchsink: no benchgen frame within %lu ms: is the "
				    "generator VM up and on the same switch segment?\n",
				    (unsigned long)first_ms);
				return;
			}
			if (!last_hello || timer_us_since(last_hello) >= HELLO_US) {
				send_ctrl(bcast, CTRL_HELLO, 0, 0, 0);
				last_hello = rdtsc();
			}
		}
		if (!k)
			cpu_relax();
	}
	printk("nfguest: benchsink trials=%lu\n", (unsigned long)trials);
}
