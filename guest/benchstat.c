/* SPDX-License-Identifier: MIT */
#include "guest/benchstat.h"

unsigned int bs_hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * BS_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v); /* >= 6 */
	shift = msb - 5;			      /* v >> shift is 32..63 */
	return 2 * BS_HIST_SUB + (msb - 6) * BS_HIST_SUB +
	       (unsigned int)((v >> shift) - BS_HIST_SUB);
}

uint64_t bs_hist_value(unsigned int b)
{
	unsigned int shift;

	if (b < 2 * BS_HIST_SUB)
		return b;
	shift = (b - 2 * BS_HIST_SUB) / BS_HIST_SUB + 1;
	return (((uint64_t)BS_HIST_SUB + (b - 2 * BS_HIST_SUB) % BS_HIST_SUB) << shift) +
	       (1ull << shift) / 2;
}

uint64_t bs_hist_pct(const uint64_t *hist, uint64_t n, uint64_t permille)
{
	uint64_t rank, cum = 0;

	if (!n)
		return 0;
	rank = n / 1000 * permille + (n % 1000 * permille + 999) / 1000;
	if (!rank)
		rank = 1;
	for (unsigned int b = 0; b < BS_HIST_BUCKETS; b++) {
		cum += hist[b];
		if (cum >= rank)
			return bs_hist_value(b);
	}
	return bs_hist_value(BS_HIST_BUCKETS - 1);
}

int bs_clock_offset(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, uint64_t *offset,
		    uint64_t *rtt)
{
	uint64_t turn = t3 - t2, round = t4 - t1;

	if (t3 < t2 || round < turn)
		return -1;
	*rtt = round - turn;
	/* ((t2 - t1) + (t3 - t4)) / 2 = (t2 - t1) - rtt / 2, mod 2^64 */
	*offset = (t2 - t1) - (round - turn) / 2;
	return 0;
}

uint64_t bs_late(uint64_t rate, uint64_t dur_us, uint64_t offered, uint64_t slack)
{
	/* dur_us * rate stays below 2^64 for an hour at 1e9 frames/s */
	uint64_t due = rate ? dur_us * rate / 1000000 : 0;

	return due > offered + slack ? due - offered : 0;
}

uint64_t bs_next_rate(uint64_t lo, uint64_t hi)
{
	uint64_t mid = lo + (hi - lo) / 2;

	return lo > 0 && mid / 2 > lo ? 2 * lo : mid;
}
