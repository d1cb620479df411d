/* SPDX-License-Identifier: MIT */
/*
 * Packet modes over virtio-net (see guest/README.md for the contract):
 *   gen     send count frames of size bytes (at most rate= per second),
 *           then "nfguest: gen tx=N pps=P"
 *   sink    receive and verify count frames (or stop when none came for
 *           idle_ms, or first_ms before the first), then
 *           "nfguest: sink rx=N bad=B pps=P"
 *   reflect swap MACs and send every frame back (until powered off, or
 *           count=/idle_ms= given)
 *   fwd     forward between NIC 0 and NIC 1 unchanged (idem), or with
 *           dst0=/dst1= MACs rewritten for frames leaving that NIC
 * reflect/fwd drop a frame when the TX ring is full, after waiting up to
 * tx_wait_us (default 0) for the device to free a buffer.
 * Test frames: EtherType 0x88b5, "NFGN", a 64-bit sequence number, then
 * byte i of the frame = (i * 7 + 3) & 0xff.
 */
#include "guest/bootinfo.h"
#include "guest/cmdline.h"
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/netmodes.h"
#include "guest/nfguest.h"
#include "guest/pci.h"
#include "guest/printk.h"
#include "guest/timer.h"
#include "guest/vnet.h"

#define ETH_TYPE_TEST 0x88b5
#define HDR_END	      26 /* 14 Ethernet + 4 magic + 8 sequence */
#define FRAME_MIN     60
#define BATCH	      32

static struct vnet nics[VNET_MAX];

static uint8_t pattern_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i, j;

	for (i = 0; i < 6; i++) {
		unsigned int v = 0;

		for (j = 0; j < 2; j++, s++) {
			char c = *s;

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned int)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

/* Probe NICs and print "<mode> ready ..." so a harness knows when to start
 * the peer. Returns the number of NICs, or 0 after printing an error. */
static unsigned int bring_up(const char *mode, unsigned int need)
{
	uint64_t irq;
	unsigned int i, n_pci;
	char mac[18];
	int n;

	if (mode_arg_u64("irq", 0, 0, 1, &irq))
		return 0;
	n = vnet_probe(nics, need, (int)irq);
	if (n < 0)
		return 0;
	if ((unsigned int)n < need) {
		pci_devices(&n_pci);
		printk("nfguest: %s needs %u virtio-net device(s), found %d among %u PCI "
		       "functions (config access: %s)\n",
		       mode, need, n, n_pci, pci_method());
		return 0;
	}
	for (i = 0; i < need; i++) {
		vnet_mac_str(nics[i].mac, mac);
		printk("nfguest: %s ready %s mac=%s rxq=%u txq=%u %s tsc_khz=%lu\n", mode,
		       nics[i].name, mac, nics[i].rx.size, nics[i].tx.size, irq ? "irq" : "poll",
		       (unsigned long)timer_tsc_khz());
	}
	return need;
}

static uint64_t pps(uint64_t frames, uint64_t us)
{
	return us ? frames * 1000000ull / us : 0;
}

/* paced: 1 when frame number 'sent' may leave at 'rate' frames/s (0 = no
 * limit), counted from TSC value start. */
static int paced(uint64_t start, uint64_t sent, uint64_t rate)
{
	if (!rate)
		return 1;
	return (rdtsc() - start) >= sent * (timer_tsc_khz() * 1000 / rate);
}

void mode_gen(void)
{
	char dst_s[32];
	uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static uint16_t filled[VQ_MAX_SIZE];
	uint64_t count, size, timeout_ms, rate, sent = 0, start = 0, last_progress;
	struct vnet *n;
	int err;

	if (mode_arg_u64("count", 1000, 1, 1ull << 40, &count) ||
	    mode_arg_u64("size", FRAME_MIN, FRAME_MIN, VNET_FRAME_MAX, &size) ||
	    mode_arg_u64("tx_timeout_ms", 5000, 1, 600000, &timeout_ms) ||
	    mode_arg_u64("rate", 0, 0, 1000000000, &rate))
		return;
	err = cmdline_get(boot_info.cmdline, "dst", dst_s, sizeof(dst_s));
	if (err != -ENOENT && (err || parse_mac(dst_s, dst))) {
		printk("nfguest: bad dst=%s: expected a MAC address like 52:54:00:12:34:56\n",
		       dst_s);
		return;
	}
	if (!bring_up("gen", 1))
		return;
	n = &nics[0];
	last_progress = rdtsc();
	start = last_progress;
	while (sent < count) {
		unsigned int batch = 0;
		uint16_t id;
		uint8_t *f;

		while (sent < count && batch < BATCH && paced(start, sent, rate) &&
		       (f = vnet_tx_get(n, &id))) {
			if (filled[id] != size) {
				uint32_t i;

				for (i = HDR_END; i < size; i++)
					f[i] = pattern_byte(i);
				filled[id] = (uint16_t)size;
			}
			memcpy(f, dst, 6);
			memcpy(f + 6, n->mac, 6);
			f[12] = ETH_TYPE_TEST >> 8;
			f[13] = ETH_TYPE_TEST & 0xff;
			memcpy(f + 14, "NFGN", 4);
			memcpy(f + 18, &sent, 8);
			vnet_tx_put(n, id, (uint32_t)size);
			sent++;
			batch++;
		}
		if (batch) {
			vnet_tx_flush(n);
			last_progress = rdtsc();
		} else if (!paced(start, sent, rate)) {
			vnet_tx_reclaim(n);
			last_progress = rdtsc();
		} else if (timer_us_since(last_progress) > timeout_ms * 1000) {
			printk("nfguest: gen: the device took no TX buffer for %lu ms after %lu "
			       "frames\n",
			       (unsigned long)timeout_ms, (unsigned long)sent);
			break;
		}
	}
	/* every frame handed back by the device = sent */
	last_progress = rdtsc();
	while (!vnet_tx_idle(n) && timer_us_since(last_progress) < timeout_ms * 1000)
		cpu_relax();
	printk("nfguest: gen kicks=%lu tx_full=%lu\n", (unsigned long)n->tx.kicks,
	       (unsigned long)n->tx_full);
	printk("nfguest: gen tx=%lu pps=%lu\n", (unsigned long)sent,
	       (unsigned long)pps(sent, timer_us_since(start)));
}

static int frame_ok(const uint8_t *f, uint32_t len)
{
	uint32_t i;

	if (len < FRAME_MIN || f[12] != (ETH_TYPE_TEST >> 8) || f[13] != (ETH_TYPE_TEST & 0xff) ||
	    memcmp(f + 14, "NFGN", 4))
		return 0;
	for (i = HDR_END; i < len; i++)
		if (f[i] != pattern_byte(i))
			return 0;
	return 1;
}

void mode_sink(void)
{
	uint64_t count, idle_ms, first_ms, rx = 0, bad = 0, first = 0, last = 0, idle_start;
	struct vnet *n;

	if (mode_arg_u64("count", 1000, 1, 1ull << 40, &count) ||
	    mode_arg_u64("idle_ms", 2000, 1, 3600000, &idle_ms) ||
	    mode_arg_u64("first_ms", 60000, 1, 3600000, &first_ms))
		return;
	if (!bring_up("sink", 1))
		return;
	n = &nics[0];
	idle_start = rdtsc();
	while (rx < count) {
		unsigned int batch = 0;
		uint8_t *f;
		uint32_t len;
		uint16_t id;

		while (rx < count && batch < BATCH && vnet_recv(n, &f, &len, &id)) {
			if (!frame_ok(f, len))
				bad++;
			vnet_rx_done(n, id);
			if (!rx)
				first = rdtsc();
			rx++;
			batch++;
		}
		if (batch) {
			vnet_rx_flush(n);
			last = idle_start = rdtsc();
			continue;
		}
		if (timer_us_since(idle_start) > (rx ? idle_ms : first_ms) * 1000)
			break;
		vnet_wait(nics, 1);
	}
	if (n->irq_mode)
		printk("nfguest: sink irqs=%lu runts=%lu bad_used=%lu\n", (unsigned long)n->irqs,
		       (unsigned long)n->rx_runts, (unsigned long)n->rx.bad_used);
	printk("nfguest: sink kicks=%lu\n", (unsigned long)n->rx.kicks);
	printk("nfguest: sink rx=%lu bad=%lu pps=%lu\n", (unsigned long)rx, (unsigned long)bad,
	       (unsigned long)(rx > 1 ? pps(rx - 1, (last - first) * 1000 / timer_tsc_khz()) : 0));
}

/* Move frames from 'in' to 'out' (swapping MACs if swap); returns frames
 * handled. */
static uint64_t tx_wait_us;
/* fwd dst0=/dst1=: frames leaving NIC i get destination out_dst[i] and NIC
 * i's own MAC as source (testpmd's "mac" forwarding: what an SR-IOV VF's
 * embedded switch and its anti-spoofing check need). */
static uint8_t out_dst[VNET_MAX][6];
static int out_rewrite[VNET_MAX];

static unsigned int relay(struct vnet *in, struct vnet *out, int swap, uint64_t *rx, uint64_t *tx,
			  uint64_t *drop, uint64_t limit)
{
	unsigned int k = 0, sent = 0;
	uint8_t *f, *o;
	uint32_t len;
	uint16_t id, oid;

	while (k < BATCH && *rx < limit && vnet_recv(in, &f, &len, &id)) {
		(*rx)++;
		k++;
		o = vnet_tx_get(out, &oid);
		if (!o && tx_wait_us) {
			/* TX ring full: give the device up to tx_wait_us to drain */
			uint64_t end = timer_deadline(tx_wait_us);

			if (sent) {
				vnet_tx_flush(out);
				sent = 0;
			}
			while (!o && !timer_expired(end)) {
				cpu_relax();
				o = vnet_tx_get(out, &oid);
			}
		}
		if (!o || len > VNET_FRAME_MAX) {
			(*drop)++;
			vnet_rx_done(in, id);
			continue;
		}
		if (swap) {
			memcpy(o, f + 6, 6);
			memcpy(o + 6, f, 6);
			memcpy(o + 12, f + 12, len - 12);
		} else {
			memcpy(o, f, len);
		}
		if (out_rewrite[out - nics] && len >= 12) {
			memcpy(o, out_dst[out - nics], 6);
			memcpy(o + 6, out->mac, 6);
		}
		vnet_rx_done(in, id);
		vnet_tx_put(out, oid, len);
		(*tx)++;
		sent++;
	}
	if (k)
		vnet_rx_flush(in);
	if (sent)
		vnet_tx_flush(out);
	return k;
}

static void forward_loop(const char *mode, unsigned int nnics, int swap)
{
	uint64_t count, idle_ms, rx = 0, tx = 0, drop = 0, idle_start;
	unsigned int k;

	if (mode_arg_u64("count", 0, 0, 1ull << 40, &count) ||
	    mode_arg_u64("idle_ms", 0, 0, 3600000, &idle_ms) ||
	    mode_arg_u64("tx_wait_us", 0, 0, 60000000, &tx_wait_us))
		return;
	for (unsigned int i = 0; i < nnics && !swap; i++) {
		char key[8] = "dst0", val[32];
		int err;

		key[3] = (char)('0' + i);
		err = cmdline_get(boot_info.cmdline, key, val, sizeof(val));
		if (err == -ENOENT)
			continue;
		if (err || parse_mac(val, out_dst[i])) {
			printk("nfguest: bad %s=%s: expected a MAC address like "
			       "52:54:00:12:34:56\n",
			       key, val);
			return;
		}
		out_rewrite[i] = 1;
	}
	if (!bring_up(mode, nnics))
		return;
	if (!count)
		count = UINT64_MAX;
	idle_start = rdtsc();
	while (rx < count) {
		if (nnics == 1)
			k = relay(&nics[0], &nics[0], swap, &rx, &tx, &drop, count);
		else
			k = relay(&nics[0], &nics[1], swap, &rx, &tx, &drop, count) +
			    relay(&nics[1], &nics[0], swap, &rx, &tx, &drop, count);
		if (k) {
			idle_start = rdtsc();
			continue;
		}
		if (idle_ms && timer_us_since(idle_start) > idle_ms * 1000)
			break;
		vnet_wait(nics, nnics);
	}
	/* let the last frames leave before the VM powers off */
	idle_start = rdtsc();
	while (timer_us_since(idle_start) < 1000000 &&
	       !(vnet_tx_idle(&nics[0]) && (nnics == 1 || vnet_tx_idle(&nics[1]))))
		cpu_relax();
	printk("nfguest: %s rx=%lu tx=%lu drop=%lu\n", mode, (unsigned long)rx, (unsigned long)tx,
	       (unsigned long)drop);
}

void mode_reflect(void)
{
	forward_loop("reflect", 1, 1);
}

void mode_fwd(void)
{
	forward_loop("fwd", 2, 0);
}
