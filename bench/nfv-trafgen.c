/* SPDX-License-Identifier: MIT */
/* nfv-trafgen: paced DPDK traffic generator and sink for nfvisor bench.
 *
 * One lcore transmits frames on --tx-port at a TSC-paced offered rate and
 * receives them back on --rx-port. Every frame carries a magic, a trial id,
 * a sequence number and the TSC at transmit time, so the sink counts loss,
 * reordering and one-way latency (same clock on both ends).
 *
 * Modes:
 *   --rate PPS        one trial at PPS (0 = unpaced)
 *   --search          RFC 2544 / RFC 9971 style: one unpaced trial (the
 *                     generator's ceiling against this DUT), then a binary
 *                     search for the highest rate with zero loss (NDR) and,
 *                     with --loss PCT > 0, with loss <= PCT (PDR); then
 *                     latency trials at --lat-points percent of the NDR.
 * Every trial prints one line on stdout:
 *   trial phase=P size=S rate=R offered=N tx=N rx=N lost=N loss_pct=X
 *         reorder=N dur_s=X offered_pps=X rx_pps=X p50_ns=N p90_ns=N
 *         p99_ns=N p999_ns=N late=N
 * (late: frames due at the rate that the generator did not get to send in
 * time; counted as offered and lost) and --search ends with
 *   result size=S ndr_pps=R pdr_pps=R max_offered_pps=R max_rx_pps=R
 * Frames the DUT's input ring refuses (tx burst short) count as offered and
 * lost: the ring is the DUT's input queue.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define TG_MAGIC      0x4e465654u /* "NFVT" */
#define TG_ETHERTYPE  0x88b5	  /* IEEE local experimental */
#define TG_BURST      32
#define TG_RX_BURST   64
#define TG_NB_MBUF    16383
#define TG_RING	      1024
#define TG_LAT_CAP    (1u << 22)
#define TG_MAX_POINTS 8

struct tg_hdr {
	uint32_t magic;
	uint32_t trial;
	uint64_t seq;
	uint64_t tsc;
} __attribute__((packed));

struct tg_opts {
	uint16_t tx_port, rx_port;
	uint32_t size;
	double trial_sec;
	double loss_pct;
	double resolution_pct;
	double rate;
	bool search;
	unsigned int nb_points;
	double points[TG_MAX_POINTS];
	double min_rate;
	const char *wait_file;
	bool have_dst;
	struct rte_ether_addr dst; /* --dst-mac: first hop (e.g. a VM's VF), not the rx port */
};

struct tg_result {
	uint64_t offered, tx, rx, reorder, late;
	double dur_s;
	uint64_t p50, p90, p99, p999;
};

static volatile sig_atomic_t tg_stop;
static struct rte_mempool *tg_pool;
static uint32_t tg_trial_id;
static uint32_t *tg_lat;
static uint64_t tg_hz;

static void on_signal(int sig)
{
	(void)sig;
	tg_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfv-trafgen [EAL options] -- [--tx-port N] [--rx-port N] [--size B]\n"
		"         [--trial-sec S] (--rate PPS | --search [--loss PCT]\n"
		"         [--resolution PCT] [--lat-points 10,50,90] [--min-rate PPS])\n"
		"         [--wait-file PATH]  (start the trials once PATH exists, at most 600 s)\n"
		"         [--dst-mac MAC]  (destination MAC of the frames; default the rx port's)\n"
		"  --size is the frame size with FCS (64..1518); frames are sent 4 bytes\n"
		"  shorter because the port adds no FCS on virtio.\n");
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_points(const char *s, struct tg_opts *o)
{
	char buf[128], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	o->nb_points = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nb_points == TG_MAX_POINTS)
			return -EINVAL;
		if (parse_double(tok, 1, 100, &o->points[o->nb_points]))
			return -EINVAL;
		o->nb_points++;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct tg_opts *o)
{
	static const struct option lo[] = {
	    {"tx-port", required_argument, NULL, 't'},
	    {"rx-port", required_argument, NULL, 'r'},
	    {"size", required_argument, NULL, 's'},
	    {"trial-sec", required_argument, NULL, 'd'},
	    {"loss", required_argument, NULL, 'l'},
	    {"resolution", required_argument, NULL, 'R'},
	    {"rate", required_argument, NULL, 'p'},
	    {"search", no_argument, NULL, 'S'},
	    {"lat-points", required_argument, NULL, 'L'},
	    {"min-rate", required_argument, NULL, 'm'},
	    {"wait-file", required_argument, NULL, 'w'},
	    {"dst-mac", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	double v;
	bool have_rate = false;
	int c;

	*o = (struct tg_opts){.tx_port = 0,
			      .rx_port = 1,
			      .size = 64,
			      .trial_sec = 1,
			      .loss_pct = 0,
			      .resolution_pct = 2,
			      .nb_points = 3,
			      .points = {10, 50, 90},
			      .min_rate = 1000};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'r':
			if (parse_double(optarg, 0, RTE_MAX_ETHPORTS - 1, &v)) {
				fprintf(stderr, "nfv-trafgen: bad port \"%s\": give a port index\n",
					optarg);
				return -EINVAL;
			}
			if (c == 't')
				o->tx_port = (uint16_t)v;
			else
				o->rx_port = (uint16_t)v;
			break;
		case 's':
			if (parse_double(optarg, 64, 1518, &v)) {
				fprintf(stderr, "nfv-trafgen: bad --size \"%s\": 64..1518\n",
					optarg);
				return -EINVAL;
			}
			o->size = (uint32_t)v;
			break;
		case 'd':
			if (parse_double(optarg, 0.05, 3600, &o->trial_sec)) {
				fprintf(stderr, "nfv-trafgen: bad --trial-sec \"%s\": 0.05..3600\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			if (parse_double(optarg, 0, 50, &o->loss_pct)) {
				fprintf(stderr, "nfv-trafgen: bad --loss \"%s\": percent 0..50\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'R':
			if (parse_double(optarg, 0.1, 50, &o->resolution_pct)) {
				fprintf(stderr,
					"nfv-trafgen: bad --resolution \"%s\": percent 0.1..50\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_double(optarg, 0, 1e9, &o->rate)) {
				fprintf(stderr, "nfv-trafgen: bad --rate \"%s\": pps 0..1e9\n",
					optarg);
				return -EINVAL;
			}
			have_rate = true;
			break;
		case 'S':
			o->search = true;
			break;
		case 'L':
			if (parse_points(optarg, o)) {
				fprintf(stderr,
					"nfv-trafgen: bad --lat-points \"%s\": up to %d percents "
					"1..100, "
					"comma separated\n",
					optarg, TG_MAX_POINTS);
				return -EINVAL;
			}
			break;
		case 'm':
			if (parse_double(optarg, 1, 1e9, &o->min_rate)) {
				fprintf(stderr, "nfv-trafgen: bad --min-rate \"%s\": pps 1..1e9\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'w':
			o->wait_file = optarg;
			break;
		case 'D':
			if (rte_ether_unformat_addr(optarg, &o->dst)) {
				fprintf(stderr,
					"nfv-trafgen: bad --dst-mac \"%s\": expected a MAC like "
					"52:54:00:12:34:56\n",
					optarg);
				return -EINVAL;
			}
			o->have_dst = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || have_rate == o->search) {
		fprintf(stderr, "nfv-trafgen: give exactly one of --rate PPS or --search\n");
		usage(stderr);
		return -EINVAL;
	}
	if (o->tx_port == o->rx_port) {
		fprintf(stderr, "nfv-trafgen: --tx-port and --rx-port are both %u: use two ports\n",
			o->tx_port);
		return -EINVAL;
	}
	return 0;
}

static int port_setup(uint16_t port)
{
	struct rte_eth_conf conf;
	int ret;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "nfv-trafgen: port %u does not exist: give --vdev for it\n", port);
		return -ENODEV;
	}
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (!ret)
		ret = rte_eth_rx_queue_setup(port, 0, TG_RING, rte_eth_dev_socket_id(port), NULL,
					     tg_pool);
	if (!ret)
		ret = rte_eth_tx_queue_setup(port, 0, TG_RING, rte_eth_dev_socket_id(port), NULL);
	if (!ret)
		ret = rte_eth_dev_start(port);
	if (ret)
		fprintf(stderr, "nfv-trafgen: port %u setup failed: %s\n", port, strerror(-ret));
	return ret;
}

static int wait_link(uint16_t port, double timeout_s)
{
	struct rte_eth_link link;
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(timeout_s * (double)tg_hz);

	while (!tg_stop && rte_get_tsc_cycles() < end) {
		if (!rte_eth_link_get_nowait(port, &link) && link.link_status)
			return 0;
		rte_delay_ms(10);
	}
	fprintf(stderr,
		"nfv-trafgen: port %u link still down after %.0f s: is the DUT connected?\n", port,
		timeout_s);
	return -ETIMEDOUT;
}

/* Fills m with the frame template: dst = rx port, src = tx port. */
static void frame_fill(struct rte_mbuf *m, const uint8_t *tmpl, uint32_t len, uint64_t seq)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct tg_hdr h = {.magic = TG_MAGIC, .trial = tg_trial_id, .seq = seq};

	rte_memcpy(p, tmpl, len);
	h.tsc = rte_rdtsc();
	memcpy(p + 14, &h, sizeof(h));
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

static void frame_template(uint8_t *t, uint32_t len, const struct rte_ether_addr *dst,
			   const struct rte_ether_addr *src)
{
	memset(t, 0, len);
	memcpy(t, dst, 6);
	memcpy(t + 6, src, 6);
	t[12] = TG_ETHERTYPE >> 8;
	t[13] = TG_ETHERTYPE & 0xff;
	for (uint32_t i = 14 + sizeof(struct tg_hdr); i < len; i++)
		t[i] = (uint8_t)i;
}

/* Sends a few frames from the rx port so a learning switch knows its MAC. */
static void prime(const struct tg_opts *o, const struct rte_ether_addr *rx_mac,
		  const struct rte_ether_addr *tx_mac)
{
	static const struct rte_ether_addr bcast = {
	    .addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct rte_mbuf *m[4];
	uint8_t t[64];
	uint16_t n;

	(void)tx_mac;
	frame_template(t, 60, &bcast, rx_mac);
	if (rte_pktmbuf_alloc_bulk(tg_pool, m, 4))
		return;
	for (int i = 0; i < 4; i++) {
		rte_memcpy(rte_pktmbuf_mtod(m[i], void *), t, 60);
		m[i]->data_len = 60;
		m[i]->pkt_len = 60;
	}
	n = rte_eth_tx_burst(o->rx_port, 0, m, 4);
	for (uint16_t i = n; i < 4; i++)
		rte_pktmbuf_free(m[i]);
}

static void drain(uint16_t port)
{
	struct rte_mbuf *m[TG_RX_BURST];
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, 0, m, TG_RX_BURST)) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint32_t *v, uint64_t n, double p)
{
	uint64_t i;

	if (!n)
		return 0;
	i = (uint64_t)ceil(p / 100.0 * (double)n);
	if (i)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

struct tg_rx_state {
	uint64_t rx, reorder, next_seq, nlat;
	bool want_lat;
};

static void rx_poll(const struct tg_opts *o, struct tg_rx_state *s)
{
	struct rte_mbuf *m[TG_RX_BURST];
	uint16_t n = rte_eth_rx_burst(o->rx_port, 0, m, TG_RX_BURST);
	uint64_t now = rte_rdtsc();
	struct tg_hdr h;

	for (uint16_t i = 0; i < n; i++) {
		if (rte_pktmbuf_data_len(m[i]) >= 14 + sizeof(h)) {
			memcpy(&h, rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14), sizeof(h));
			if (h.magic == TG_MAGIC && h.trial == tg_trial_id) {
				s->rx++;
				if (h.seq < s->next_seq)
					s->reorder++;
				else
					s->next_seq = h.seq + 1;
				if (s->want_lat && s->nlat < TG_LAT_CAP && now >= h.tsc) {
					uint64_t ns = (now - h.tsc) * 1000000000ull / tg_hz;
					tg_lat[s->nlat++] =
					    ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
				}
			}
		}
	}
	if (n)
		rte_pktmbuf_free_bulk(m, n);
	drain(o->tx_port);
}

/* One trial at rate pps (0 = unpaced) for o->trial_sec. */
static void trial(const struct tg_opts *o, double rate, bool want_lat, const uint8_t *tmpl,
		  struct tg_result *r)
{
	struct tg_rx_state s = {.want_lat = want_lat};
	struct rte_mbuf *m[TG_BURST];
	uint32_t len = o->size - 4;
	uint64_t start, end, now, next, last_rx, seq = 0, offered = 0, tx = 0;
	double interval = rate > 0 ? (double)TG_BURST * (double)tg_hz / rate : 0;
	double next_f;

	tg_trial_id++;
	drain(o->rx_port);
	drain(o->tx_port);
	start = rte_rdtsc();
	end = start + (uint64_t)(o->trial_sec * (double)tg_hz);
	next_f = (double)start;
	next = start;
	while (!tg_stop && (now = rte_rdtsc()) < end) {
		if (interval == 0 || now >= next) {
			if (!rte_pktmbuf_alloc_bulk(tg_pool, m, TG_BURST)) {
				uint16_t sent;

				for (int i = 0; i < TG_BURST; i++)
					frame_fill(m[i], tmpl, len, seq++);
				sent = rte_eth_tx_burst(o->tx_port, 0, m, TG_BURST);
				if (sent < TG_BURST)
					rte_pktmbuf_free_bulk(m + sent, TG_BURST - sent);
				offered += TG_BURST;
				tx += sent;
				next_f += interval;
				next = (uint64_t)next_f;
			}
		}
		rx_poll(o, &s);
	}
	r->dur_s = (double)(rte_rdtsc() - start) / (double)tg_hz;
	/* Frames due that the generator did not get to (its core was taken
	 * away): offered and lost, so a rate passes only if it was really
	 * offered. One burst of slack. */
	r->late = 0;
	if (rate > 0) {
		uint64_t due = (uint64_t)(rate * r->dur_s);

		if (due > offered + TG_BURST) {
			r->late = due - offered;
			offered = due;
		}
	}
	/* Drain: frames still in the DUT arrive within a few ms; stop after
	 * 50 ms without one (at most 1 s). */
	last_rx = rte_rdtsc();
	end = last_rx + tg_hz;
	while (!tg_stop && (now = rte_rdtsc()) < end && now - last_rx < tg_hz / 20) {
		uint64_t before = s.rx;

		rx_poll(o, &s);
		if (s.rx != before)
			last_rx = now;
	}
	r->offered = offered;
	r->tx = tx;
	r->rx = s.rx;
	r->reorder = s.reorder;
	r->p50 = r->p90 = r->p99 = r->p999 = 0;
	if (want_lat && s.nlat) {
		qsort(tg_lat, s.nlat, sizeof(*tg_lat), cmp_u32);
		r->p50 = pct(tg_lat, s.nlat, 50);
		r->p90 = pct(tg_lat, s.nlat, 90);
		r->p99 = pct(tg_lat, s.nlat, 99);
		r->p999 = pct(tg_lat, s.nlat, 99.9);
	}
}

static double loss_pct(const struct tg_result *r)
{
	if (!r->offered)
		return 100;
	if (r->rx >= r->offered)
		return 0;
	return 100.0 * (double)(r->offered - r->rx) / (double)r->offered;
}

static void report(const char *phase, const struct tg_opts *o, double rate,
		   const struct tg_result *r)
{
	printf("trial phase=%s size=%u rate=%.0f offered=%" PRIu64 " tx=%" PRIu64 " rx=%" PRIu64
	       " lost=%" PRIu64 " loss_pct=%.6f reorder=%" PRIu64
	       " dur_s=%.4f offered_pps=%.0f rx_pps=%.0f p50_ns=%" PRIu64 " p90_ns=%" PRIu64
	       " p99_ns=%" PRIu64 " p999_ns=%" PRIu64 " late=%" PRIu64 "\n",
	       phase, o->size, rate, r->offered, r->tx, r->rx,
	       r->offered > r->rx ? r->offered - r->rx : 0, loss_pct(r), r->reorder, r->dur_s,
	       (double)r->offered / r->dur_s, (double)r->rx / r->dur_s, r->p50, r->p90, r->p99,
	       r->p999, r->late);
	fflush(stdout);
	fprintf(stderr, "nfv-trafgen: %-4s %4u B  rate %12.0f pps  rx %12.0f pps  loss %.4f%%\n",
		phase, o->size, rate, (double)r->rx / r->dur_s, loss_pct(r));
}

/* Binary search for the highest rate in [lo, hi] with loss <= tol. lo is
 * known to pass (or is 0), hi is known to fail; steps up from a passing
 * rate are at most a doubling. */
static double search(const struct tg_opts *o, const char *phase, double tol, double lo, double hi,
		     double guess, const uint8_t *tmpl)
{
	struct tg_result r;
	double rate = guess;

	while (!tg_stop && hi - lo > hi * o->resolution_pct / 100.0 && hi > o->min_rate) {
		if (rate <= lo || rate >= hi)
			rate = (lo + hi) / 2;
		trial(o, rate, false, tmpl, &r);
		report(phase, o, rate, &r);
		if (loss_pct(&r) <= tol)
			lo = rate;
		else
			hi = rate;
		/* Bisection, but above a passing rate at most double it (an
		 * external search as in RFC 9971): the unpaced trial's offered
		 * rate is often far above anything the DUT forwards. */
		rate = (lo + hi) / 2;
		if (lo > 0 && rate > 2 * lo)
			rate = 2 * lo;
	}
	return lo;
}

static int wait_file(const char *path)
{
	for (int i = 0; i < 60000 && !tg_stop; i++) {
		if (!access(path, F_OK))
			return 0;
		rte_delay_ms(10);
	}
	fprintf(stderr, "nfv-trafgen: %s did not appear within 600 s: is the DUT up?\n", path);
	return -ETIMEDOUT;
}

static int run(const struct tg_opts *o)
{
	struct rte_ether_addr txm, rxm;
	struct tg_result r;
	uint8_t tmpl[1518];
	double max_off, max_rx, ndr, pdr;
	int ret;

	ret = rte_eth_macaddr_get(o->tx_port, &txm);
	if (!ret)
		ret = rte_eth_macaddr_get(o->rx_port, &rxm);
	if (ret) {
		fprintf(stderr, "nfv-trafgen: cannot read port MACs: %s\n", strerror(-ret));
		return ret;
	}
	frame_template(tmpl, o->size - 4, o->have_dst ? &o->dst : &rxm, &txm);
	prime(o, &rxm, &txm);
	rte_delay_ms(50);
	if (!o->search) {
		trial(o, o->rate, true, tmpl, &r);
		report("fixed", o, o->rate, &r);
		return 0;
	}
	/* The unpaced trial: what the generator can offer, and the DUT's
	 * receive rate under overload. */
	trial(o, 0, false, tmpl, &r);
	report("max", o, 0, &r);
	max_off = (double)r.offered / r.dur_s;
	max_rx = (double)r.rx / r.dur_s;
	if (loss_pct(&r) == 0)
		ndr = max_off;
	else
		ndr = search(o, "ndr", 0, 0, max_off, max_rx, tmpl);
	pdr = ndr;
	if (o->loss_pct > 0) {
		if (loss_pct(&r) <= o->loss_pct)
			pdr = max_off;
		else
			pdr = search(o, "pdr", o->loss_pct, ndr, max_off, max_rx, tmpl);
	}
	for (unsigned int i = 0; i < o->nb_points && ndr > 0 && !tg_stop; i++) {
		char phase[16];
		double rate = ndr * o->points[i] / 100.0;

		snprintf(phase, sizeof(phase), "lat%.0f", o->points[i]);
		trial(o, rate, true, tmpl, &r);
		report(phase, o, rate, &r);
	}
	printf("result size=%u ndr_pps=%.0f pdr_pps=%.0f max_offered_pps=%.0f max_rx_pps=%.0f\n",
	       o->size, ndr, pdr, max_off, max_rx);
	fflush(stdout);
	return tg_stop ? -EINTR : 0;
}

int main(int argc, char **argv)
{
	struct tg_opts o;
	int ret, n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "nfv-trafgen: EAL init failed: %s (check --vdev and hugepages)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = parse_args(argc - n, argv + n, &o);
	if (ret)
		goto out_eal;
	tg_hz = rte_get_tsc_hz();
	tg_lat = malloc(TG_LAT_CAP * sizeof(*tg_lat));
	tg_pool = rte_pktmbuf_pool_create("tg_pool", TG_NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (!tg_lat || !tg_pool) {
		fprintf(stderr, "nfv-trafgen: out of memory for %u mbufs (give -m 256 or more)\n",
			TG_NB_MBUF);
		ret = -ENOMEM;
		goto out_mem;
	}
	ret = port_setup(o.tx_port);
	if (!ret)
		ret = port_setup(o.rx_port);
	if (!ret)
		ret = wait_link(o.tx_port, 120);
	if (!ret)
		ret = wait_link(o.rx_port, 120);
	if (!ret && o.wait_file)
		ret = wait_file(o.wait_file);
	if (!ret)
		ret = run(&o);
	rte_eth_dev_stop(o.tx_port);
	rte_eth_dev_stop(o.rx_port);
out_mem:
	free(tg_lat);
out_eal:
	rte_eal_cleanup();
	return ret == 1 ? 0 : (ret ? 1 : 0);
}
