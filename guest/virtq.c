/* SPDX-License-Identifier: MIT */
/* Split virtqueue ring handling (memory only; the one device access is the
 * notify write in virtq_kick). See guest/virtio.h for the contracts. */
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/virtio.h"

#define DESC_F_WRITE	     2
#define AVAIL_F_NO_INTERRUPT 1
#define USED_F_NO_NOTIFY     1

static void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void virtq_init(struct virtq *q, uint16_t index, uint16_t size, int device_writes,
		struct vring_desc *desc, struct vring_avail *avail, struct vring_used *used,
		uint8_t *bufs)
{
	uint16_t i;

	memset(q, 0, sizeof(*q));
	memset(avail, 0, sizeof(*avail));
	memset(used, 0, sizeof(*used));
	q->index = index;
	q->size = size;
	q->device_writes = device_writes;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->bufs = bufs;
	for (i = 0; i < size; i++) {
		q->desc[i].addr = (uint64_t)(uintptr_t)virtq_buf(q, i);
		q->desc[i].len = VQ_BUF_SIZE;
		q->desc[i].flags = device_writes ? DESC_F_WRITE : 0;
		q->desc[i].next = 0;
		q->free_ids[i] = (uint16_t)(size - 1 - i);
	}
	q->nfree = size;
	q->avail->flags = AVAIL_F_NO_INTERRUPT;
}

int virtq_get_free(struct virtq *q)
{
	if (!q->nfree)
		return -1;
	return q->free_ids[--q->nfree];
}

void virtq_free(struct virtq *q, uint16_t id)
{
	if (id < q->size && q->nfree < q->size)
		q->free_ids[q->nfree++] = id;
}

void virtq_post(struct virtq *q, uint16_t id, uint32_t len)
{
	q->desc[id].len = len;
	q->inflight[id] = 1;
	q->avail->ring[q->avail_idx & (q->size - 1)] = id;
	barrier(); /* x86 keeps stores in order; stop the compiler reordering */
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void virtq_kick(struct virtq *q)
{
	mb(); /* avail->idx store before the used->flags load */
	if (!(__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & USED_F_NO_NOTIFY)) {
		mmio_write16(q->notify_addr, q->index);
		q->kicks++;
	}
}

int virtq_has_used(struct virtq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

int virtq_next_used(struct virtq *q, uint16_t *id, uint32_t *len)
{
	uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	unsigned int guard;

	for (guard = 0; q->last_used != used_idx && guard < q->size; guard++) {
		struct vring_used_elem e = q->used->ring[q->last_used & (q->size - 1)];

		q->last_used++;
		if (e.id >= q->size || !q->inflight[e.id] || e.len > VQ_BUF_SIZE) {
			q->bad_used++;
			continue;
		}
		q->inflight[e.id] = 0;
		*id = (uint16_t)e.id;
		*len = e.len;
		return 1;
	}
	return 0;
}

void virtq_interrupts(struct virtq *q, int on)
{
	__atomic_store_n(&q->avail->flags, on ? 0 : AVAIL_F_NO_INTERRUPT, __ATOMIC_RELEASE);
	mb();
}
