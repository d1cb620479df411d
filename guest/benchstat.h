/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of nfguest's benchmark modes (benchnet.c), pure so the
 * host unit tests run it: the latency histogram, the clock offset from one
 * NTP-style exchange, the frames a paced trial owed and the search's next
 * rate.
 */
#ifndef NFGUEST_BENCHSTAT_H
#define NFGUEST_BENCHSTAT_H

#include <stdint.h>

/* Log histogram: exact below 64, then 32 buckets per power of two (the
 * middle of a bucket is within 1/64 of every value in it); 1920 buckets
 * cover all of uint64_t. */
#define BS_HIST_SUB	32
#define BS_HIST_BUCKETS (2 * BS_HIST_SUB + 58 * BS_HIST_SUB)

/* bs_hist_bucket: the bucket of value v (< BS_HIST_BUCKETS). */
unsigned int bs_hist_bucket(uint64_t v);

/* bs_hist_value: the middle of bucket b (b < BS_HIST_BUCKETS). */
uint64_t bs_hist_value(unsigned int b);

/* bs_hist_pct: the nearest-rank percentile (per mille: 500, 990, 999) of
 * the n values counted in hist, as bs_hist_value of its bucket; 0 when n is
 * 0. hist has BS_HIST_BUCKETS counters summing to n. */
uint64_t bs_hist_pct(const uint64_t *hist, uint64_t n, uint64_t permille);

/* bs_clock_offset: from one exchange (t1 sent and t4 received on clock A,
 * t2 received and t3 sent on clock B), the offset B - A (mod 2^64) assuming
 * equal one-way delays, and in *rtt the round trip without B's turnaround.
 * Returns -1 (outputs untouched) when the times are inconsistent (t3 < t2
 * or the round trip shorter than the turnaround). */
int bs_clock_offset(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, uint64_t *offset,
		    uint64_t *rtt);

/* bs_late: frames a trial paced at rate frames/s for dur_us owed but did
 * not offer, beyond slack frames; 0 for an unpaced trial (rate 0). */
uint64_t bs_late(uint64_t rate, uint64_t dur_us, uint64_t offered, uint64_t slack);

/* bs_next_rate: the search's next rate between lo (passed, or 0) and hi
 * (failed): the middle, but at most twice lo when lo passed. */
uint64_t bs_next_rate(uint64_t lo, uint64_t hi);

#endif
