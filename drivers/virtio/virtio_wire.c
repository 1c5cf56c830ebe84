// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wire rings: the virtqueues of a virtio transport whose device reaches
 * only a region of the driver's memory and one of its own.
 *
 * The driver's virtqueue is an ordinary one, in our memory, with the
 * physical addresses of its buffers (the device is offered without
 * VIRTIO_F_ACCESS_PLATFORM, so virtio_ring does not use the DMA API). Each
 * queue has a second ring, the one the device sees: its descriptor table
 * and driver ring in the peer region, its device ring in the local one.
 * When the driver notifies a queue, the new chains are copied to the wire
 * ring, with the buffers the device reads copied into the peer region and
 * those it writes given space in the local one; when the device notifies,
 * the used chains are copied back into the driver's ring, with as many
 * bytes as the device wrote. A wire descriptor has the index of the
 * driver's descriptor it stands for, so the two rings share their buffer
 * ids.
 *
 * The transport owns the regions and the connection: it tells the device
 * where the queues are, notifies it, and calls virtio_wire_interrupt()
 * when the device notifies a queue.
 */

#include <linux/bitmap.h>
#include <linux/genalloc.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_wire.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_ids.h>

/* Allocation granule of the region allocators: a cache line. */
#define VIRTIO_WIRE_GRANULE_SHIFT	6

/* Alignment of the wire rings, and of the parts of a vring laid out in them. */
#define VIRTIO_WIRE_ALIGN		SMP_CACHE_BYTES

/* Which region a wire buffer is in: indices of virtio_wire_vq.held. */
enum { VIRTIO_WIRE_READ, VIRTIO_WIRE_WRITE };

/**
 * struct virtio_wire_slot - where the buffer of one descriptor is on the wire
 * @off: its offset in the peer region (a buffer the device reads) or in
 *	the local one (one it writes).
 * @len: its length; 0 for none.
 */
struct virtio_wire_slot {
	u32 off;
	u32 len;
};

/**
 * struct virtio_wire_vq - a virtqueue and its wire ring
 * @vq: the driver's virtqueue.
 * @vring: its ring, in our memory.
 * @wire: the wire rings of the device.
 * @lock: serialises the posting of chains (from the driver's notify) with
 *	their completion (from @work), and protects what follows.
 * @num: the entries of both rings.
 * @desc: the offset of the wire descriptor table in the peer region; the
 *	wire driver ring follows it (virtio_wire_avail()).
 * @used: the offset of the wire device ring in the local region.
 * @last_avail: the next entry of the driver's ring to post.
 * @wire_avail: the index of the wire driver ring, as last written.
 * @last_used: the next entry of the wire device ring to complete.
 * @used_idx: the index of the driver's device ring, as last written.
 * @quota: the most bytes of each region the queue may hold, so that no
 *	queue starves the others.
 * @held: the bytes it holds.
 * @stalled: a chain waits for room in a region.
 * @broken: the device broke the protocol on this queue.
 * @inflight: the heads of the chains the device has.
 * @slots: the wire buffer of each descriptor.
 * @work: completes the used chains, in BH context, or on @wq.
 * @wq: where @work runs: system_bh_wq, or a process context workqueue for
 *	a driver whose callbacks sleep (see virtio_wire_callback_wq()).
 */
struct virtio_wire_vq {
	struct virtqueue *vq;
	const struct vring *vring;
	struct virtio_wire *wire;
	spinlock_t lock;		/* posting vs completion */
	unsigned int num;
	unsigned long desc;
	unsigned long used;
	u16 last_avail;
	u16 wire_avail;
	u16 last_used;
	u16 used_idx;
	size_t quota[2];
	size_t held[2];
	bool stalled;
	bool broken;
	unsigned long *inflight;
	struct virtio_wire_slot *slots;
	struct work_struct work;
	struct workqueue_struct *wq;
};

/* Where offset @off of the peer region is mapped. */
static void __iomem *virtio_wire_peer(const struct virtio_wire *wire,
				      unsigned long off)
{
	return wire->peer + (off - wire->peer_start);
}

/* The offset of the wire driver ring in the peer region. */
static unsigned long virtio_wire_avail(const struct virtio_wire_vq *wvq)
{
	return wvq->desc + sizeof(struct vring_desc) * wvq->num;
}

/* Copy from the local region into the driver's buffer at @phys. */
static void virtio_wire_copy_from_local(phys_addr_t phys, const void *src,
					size_t size)
{
	while (size) {
		size_t off = offset_in_page(phys);
		size_t len = min_t(size_t, size, PAGE_SIZE - off);

		memcpy_to_page(pfn_to_page(PHYS_PFN(phys)), off, src, len);
		phys += len;
		src += len;
		size -= len;
	}
}

/* Copy the driver's buffer at @phys into the peer region. */
static void virtio_wire_copy_to_peer(void __iomem *dst, phys_addr_t phys,
				     size_t size)
{
	while (size) {
		size_t off = offset_in_page(phys);
		size_t len = min_t(size_t, size, PAGE_SIZE - off);
		void *p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));

		memcpy_toio(dst, p + off, len);
		kunmap_local(p);
		phys += len;
		dst += len;
		size -= len;
	}
}

static struct gen_pool *virtio_wire_pool(struct virtio_wire *wire, int dir)
{
	return dir == VIRTIO_WIRE_WRITE ? wire->local_pool : wire->peer_pool;
}

/*
 * Give back the wire buffers of the chain at @head, after copying the
 * first @len bytes the device wrote into the driver's buffers. Return how
 * many it wrote, as far as the chain could hold them.
 */
static u32 virtio_wire_retire(struct virtio_wire_vq *wvq, u16 head, u32 len)
{
	struct virtio_device *vdev = wvq->vq->vdev;
	const struct vring_desc *desc = wvq->vring->desc;
	struct virtio_wire *wire = wvq->wire;
	unsigned int i = head, n = 0;
	u32 done = 0;

	for (;;) {
		struct virtio_wire_slot *slot = &wvq->slots[i];
		u16 flags = virtio16_to_cpu(vdev, READ_ONCE(desc[i].flags));
		int dir = flags & VRING_DESC_F_WRITE ? VIRTIO_WIRE_WRITE :
						       VIRTIO_WIRE_READ;

		if (dir == VIRTIO_WIRE_WRITE && done < len && slot->len) {
			u64 addr = virtio64_to_cpu(vdev, READ_ONCE(desc[i].addr));
			u32 part = min(len - done, slot->len);

			virtio_wire_copy_from_local(addr,
						    wire->local + slot->off,
						    part);
			virtio_wire_stat_add(wire->stats,
					     VIRTIO_WIRE_STAT_BYTES_LOCAL, part);
			done += part;
		}
		if (slot->len) {
			gen_pool_free(virtio_wire_pool(wire, dir), slot->off,
				      slot->len);
			wvq->held[dir] -= slot->len;
			slot->len = 0;
		}
		if (!(flags & VRING_DESC_F_NEXT) || ++n >= wvq->num)
			return done;
		i = virtio16_to_cpu(vdev, READ_ONCE(desc[i].next)) & (wvq->num - 1);
	}
}

/*
 * Put the chain at @head on the wire: a wire buffer for each descriptor,
 * the data the device reads copied across, the wire descriptors written.
 * False if a region has no room for it now: nothing is held then.
 */
static bool virtio_wire_post_chain(struct virtio_wire_vq *wvq, u16 head)
{
	struct virtio_device *vdev = wvq->vq->vdev;
	const struct vring_desc *desc = wvq->vring->desc;
	struct virtio_wire *wire = wvq->wire;
	unsigned int i = head, n = 0;

	for (;;) {
		struct virtio_wire_slot *slot = &wvq->slots[i];
		u64 addr = virtio64_to_cpu(vdev, READ_ONCE(desc[i].addr));
		u32 len = virtio32_to_cpu(vdev, READ_ONCE(desc[i].len));
		u16 flags = virtio16_to_cpu(vdev, READ_ONCE(desc[i].flags));
		u16 next = virtio16_to_cpu(vdev, READ_ONCE(desc[i].next));
		int dir = flags & VRING_DESC_F_WRITE ? VIRTIO_WIRE_WRITE :
						       VIRTIO_WIRE_READ;
		/* A buffer of no bytes still points into its region. */
		unsigned long off = dir == VIRTIO_WIRE_WRITE ?
				    wire->local_start : wire->peer_start;
		struct vring_desc wd;

		/* virtio_ring builds no indirect chain: it was not offered. */
		if (WARN_ON_ONCE(flags & VRING_DESC_F_INDIRECT))
			goto undo;
		if (len) {
			if (wvq->held[dir] + len > wvq->quota[dir])
				goto undo;
			off = gen_pool_alloc(virtio_wire_pool(wire, dir), len);
			if (!off)
				goto undo;
			wvq->held[dir] += len;
			slot->len = len;
		}
		slot->off = off;

		if (dir == VIRTIO_WIRE_READ && len) {
			virtio_wire_copy_to_peer(virtio_wire_peer(wire, off),
						 addr, len);
			virtio_wire_stat_add(wire->stats,
					     VIRTIO_WIRE_STAT_BYTES_TO_PEER, len);
		}

		wd.addr = cpu_to_virtio64(vdev, virtio_wire_addr(dir == VIRTIO_WIRE_WRITE ?
							wire->local_region :
							wire->peer_region,
							off));
		wd.len = cpu_to_virtio32(vdev, len);
		wd.flags = cpu_to_virtio16(vdev, flags & (VRING_DESC_F_NEXT |
							  VRING_DESC_F_WRITE));
		wd.next = cpu_to_virtio16(vdev, next & (wvq->num - 1));
		memcpy_toio(virtio_wire_peer(wire, wvq->desc + i * sizeof(wd)),
			    &wd, sizeof(wd));

		if (!(flags & VRING_DESC_F_NEXT))
			return true;
		/* A loop in our own driver's ring: give up on the chain. */
		if (WARN_ON_ONCE(++n >= wvq->num))
			goto undo;
		i = next & (wvq->num - 1);
	}

undo:
	/* The descriptors not reached yet hold nothing: len is 0. */
	virtio_wire_retire(wvq, head, 0);
	return false;
}

/*
 * Post the chains the driver made available since the last call, as many
 * as the regions have room for, and notify the device if there were any.
 * The device is always notified: an event index written across the link
 * would race with the posted writes that it must order.
 */
static void virtio_wire_post(struct virtio_wire_vq *wvq)
{
	struct virtio_device *vdev = wvq->vq->vdev;
	const struct vring *vr = wvq->vring;
	struct virtio_wire *wire = wvq->wire;
	void __iomem *avail = virtio_wire_peer(wire, virtio_wire_avail(wvq));
	u16 avail_idx, old = wvq->wire_avail;

	lockdep_assert_held(&wvq->lock);

	/* This queue or another broke: the device is not used any more. */
	if (wvq->broken || virtqueue_is_broken(wvq->vq))
		return;
	wvq->stalled = false;
	/* The driver's entries after its index (virtio_wmb() on its side). */
	avail_idx = virtio16_to_cpu(vdev, smp_load_acquire(&vr->avail->idx));
	while (wvq->last_avail != avail_idx) {
		u16 head = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->ring[wvq->last_avail &
							(wvq->num - 1)]));

		if (WARN_ON_ONCE(head >= wvq->num ||
				 test_bit(head, wvq->inflight))) {
			wvq->broken = true;
			break;
		}
		if (!virtio_wire_post_chain(wvq, head)) {
			/* virtio_wire_complete() tries again. */
			wvq->stalled = true;
			break;
		}
		__set_bit(head, wvq->inflight);
		iowrite16(head, avail + offsetof(struct vring_avail,
						 ring[wvq->wire_avail & (wvq->num - 1)]));
		wvq->wire_avail++;
		wvq->last_avail++;
		virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_CHAINS, 1);
	}
	if (wvq->wire_avail == old)
		return;

	/* The descriptors, the buffers and the entries before the index. */
	wmb();
	iowrite16(wvq->wire_avail, avail + offsetof(struct vring_avail, idx));
	wire->ops->kick(wire, wvq->vq->index, wvq->wire_avail);
	virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_DOORBELLS_SENT, 1);
}

/*
 * The device broke the protocol on @wvq: stop using it, all its queues.
 * This runs in BH context, where virtio_break_device() must not be called:
 * it takes the device's queue list lock, which virtio_ring takes with BHs
 * enabled. The queues are reached through @wire->vqs instead, which
 * virtio_wire_del_vqs() clears and waits for before it frees them.
 */
static void virtio_wire_vq_broken(struct virtio_wire_vq *wvq,
				  const char *what, unsigned int val)
{
	struct virtio_wire *wire = wvq->wire;
	unsigned int q;

	lockdep_assert_held(&wvq->lock);

	if (!wvq->broken)
		dev_err(&wire->vdev->dev, "queue %u: device %s %u: broken\n",
			wvq->vq->index, what, val);
	wvq->broken = true;

	rcu_read_lock();
	for (q = 0; q < VIRTIO_WIRE_MAX_QUEUES; q++) {
		struct virtio_wire_vq *other = rcu_dereference(wire->vqs[q]);

		if (other)
			__virtqueue_break(other->vq);
	}
	rcu_read_unlock();
}

/*
 * Copy the chains the device used into the driver's device ring. Return
 * true if there were any and the driver wants to hear of them.
 */
static bool virtio_wire_complete(struct virtio_wire_vq *wvq)
{
	struct virtio_device *vdev = wvq->vq->vdev;
	struct vring_used *used = wvq->vring->used;
	struct vring_used *wu = wvq->wire->local + wvq->used;
	u16 start = wvq->used_idx, idx;

	lockdep_assert_held(&wvq->lock);

	if (wvq->broken || virtqueue_is_broken(wvq->vq))
		return false;
	idx = virtio16_to_cpu(vdev, READ_ONCE(wu->idx));
	if ((u16)(idx - wvq->last_used) > wvq->num) {
		virtio_wire_vq_broken(wvq, "used index moved to", idx);
		return false;
	}
	/* The entries the device wrote before its index. */
	dma_rmb();
	while (wvq->last_used != idx) {
		struct vring_used_elem *e =
			&wu->ring[wvq->last_used & (wvq->num - 1)];
		u32 id = virtio32_to_cpu(vdev, READ_ONCE(e->id));
		u32 len = virtio32_to_cpu(vdev, READ_ONCE(e->len));
		struct vring_used_elem *out;

		if (id >= wvq->num || !test_bit(id, wvq->inflight)) {
			virtio_wire_vq_broken(wvq, "used a buffer it was not given:",
					      id);
			break;
		}
		len = virtio_wire_retire(wvq, id, len);
		__clear_bit(id, wvq->inflight);

		out = &used->ring[wvq->used_idx & (wvq->num - 1)];
		WRITE_ONCE(out->id, cpu_to_virtio32(vdev, id));
		WRITE_ONCE(out->len, cpu_to_virtio32(vdev, len));
		wvq->used_idx++;
		wvq->last_used++;
	}
	if (wvq->used_idx == start)
		return false;

	/* The entries before the index, for virtqueue_get_buf(). */
	smp_store_release(&used->idx, cpu_to_virtio16(vdev, wvq->used_idx));
	/*
	 * A driver that turned its callback off polls the ring; it turns it
	 * back on, then looks at the index again (virtqueue_poll()), so the
	 * index must be visible before the flag is read.
	 */
	smp_mb();
	return !(virtio16_to_cpu(vdev, READ_ONCE(wvq->vring->avail->flags)) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

static void virtio_wire_vq_work(struct work_struct *work)
{
	struct virtio_wire_vq *wvq = container_of(work, struct virtio_wire_vq,
						  work);
	unsigned long flags;
	bool interrupt;

	spin_lock_irqsave(&wvq->lock, flags);
	interrupt = virtio_wire_complete(wvq);
	/* Completions may have given room back to a stalled queue. */
	if (wvq->stalled)
		virtio_wire_post(wvq);
	spin_unlock_irqrestore(&wvq->lock, flags);

	/* Its callback may add buffers and notify, which takes the lock. */
	if (interrupt)
		vring_interrupt(0, wvq->vq);
}

static bool virtio_wire_notify(struct virtqueue *vq)
{
	struct virtio_wire_vq *wvq = vq->priv;
	unsigned long flags;

	spin_lock_irqsave(&wvq->lock, flags);
	virtio_wire_post(wvq);
	spin_unlock_irqrestore(&wvq->lock, flags);
	return !wvq->broken;
}

/**
 * virtio_wire_interrupt() - the device notified a queue
 * @wire: the wire rings, still registered: the caller is in an RCU read
 *	section that covers its pointer to them.
 * @index: the queue.
 *
 * Completes the queue's used chains in BH context (or process context for
 * a driver whose callbacks sleep), not in the caller's. Callable in any
 * context.
 */
void virtio_wire_interrupt(struct virtio_wire *wire, unsigned int index)
{
	struct virtio_wire_vq *wvq;

	if (index >= VIRTIO_WIRE_MAX_QUEUES)
		return;
	wvq = rcu_dereference(wire->vqs[index]);
	if (!wvq)
		return;
	virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED, 1);
	queue_work(wvq->wq, &wvq->work);
}
EXPORT_SYMBOL_GPL(virtio_wire_interrupt);

/* --- features ------------------------------------------------------------- */

/**
 * virtio_wire_get_features() - the features the driver sees
 * @device_features: the features the device offers.
 *
 * Return: @device_features without those of the wire rings.
 */
u64 virtio_wire_get_features(u64 device_features)
{
	return device_features & ~VIRTIO_WIRE_HIDDEN_FEATURES;
}
EXPORT_SYMBOL_GPL(virtio_wire_get_features);

/**
 * virtio_wire_finalize_features() - check the driver's features
 * @vdev: the virtio device, whose features the driver chose.
 * @device_features: the features the device offers.
 * @wire_features: set to the features to write to the device: the
 *	driver's, and those of the wire rings.
 *
 * Return: 0, or -EINVAL if the device lacks a feature the wire rings need.
 */
int virtio_wire_finalize_features(struct virtio_device *vdev,
				  u64 device_features, u64 *wire_features)
{
	u64 wire = VIRTIO_WIRE_FEATURES | BIT_ULL(VIRTIO_F_VERSION_1);

	vring_transport_features(vdev);

	if ((device_features & wire) != wire ||
	    !__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev,
			"device lacks VERSION_1, ACCESS_PLATFORM or ORDER_PLATFORM\n");
		return -EINVAL;
	}
	*wire_features = vdev->features | VIRTIO_WIRE_FEATURES;
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_wire_finalize_features);

/* --- queues --------------------------------------------------------------- */

/**
 * virtio_wire_create_pool() - an allocator of a region, by offset
 * @start: the first offset it hands out; not 0, which is its failure.
 * @size: the bytes from @start on.
 *
 * Return: the pool, or NULL; gen_pool_destroy() frees it.
 */
struct gen_pool *virtio_wire_create_pool(unsigned long start, size_t size)
{
	struct gen_pool *pool;

	if (WARN_ON(!start))
		return NULL;
	pool = gen_pool_create(VIRTIO_WIRE_GRANULE_SHIFT, -1);
	if (pool && gen_pool_add(pool, start, size, -1)) {
		gen_pool_destroy(pool);
		pool = NULL;
	}
	return pool;
}
EXPORT_SYMBOL_GPL(virtio_wire_create_pool);

/* The descriptor table, then the driver ring, with its event index. */
static size_t virtio_wire_driver_area(unsigned int num)
{
	return sizeof(struct vring_desc) * num +
	       struct_size_t(struct vring_avail, ring, num) + sizeof(__le16);
}

/* The device ring, with its event index. */
static size_t virtio_wire_device_area(unsigned int num)
{
	return struct_size_t(struct vring_used, ring, num) + sizeof(__le16);
}

/* Free a queue's wire ring; the device no longer uses it. */
static void virtio_wire_free_vq(struct virtio_wire_vq *wvq)
{
	struct virtio_wire *wire = wvq->wire;
	unsigned int head;

	/* The chains the device had: their wire buffers come back. */
	for_each_set_bit(head, wvq->inflight, wvq->num)
		virtio_wire_retire(wvq, head, 0);
	gen_pool_free(wire->peer_pool, wvq->desc,
		      virtio_wire_driver_area(wvq->num));
	gen_pool_free(wire->local_pool, wvq->used,
		      virtio_wire_device_area(wvq->num));
	bitmap_free(wvq->inflight);
	kfree(wvq->slots);
	vring_del_virtqueue(wvq->vq);
	kfree(wvq);
}

/**
 * virtio_wire_del_vqs() - disable and free the queues
 * @wire: the wire rings.
 *
 * For the &virtio_config_ops.del_vqs of the transport. Disables each queue
 * on the device, if it is still there, before its memory is given back.
 */
void virtio_wire_del_vqs(struct virtio_wire *wire)
{
	struct virtqueue *vq, *tmp;
	unsigned int i, nvqs = wire->nvqs;

	for (i = 0; i < nvqs; i++)
		RCU_INIT_POINTER(wire->vqs[i], NULL);
	/* No interrupt queues their work any more. */
	synchronize_rcu();

	for (i = 0; i < nvqs; i++)
		if (wire->ops->set_queue(wire, i, 0, 0, 0, 0))
			break;
	wire->nvqs = 0;

	list_for_each_entry_safe(vq, tmp, &wire->vdev->vqs, list) {
		struct virtio_wire_vq *wvq = vq->priv;

		cancel_work_sync(&wvq->work);
		virtio_wire_free_vq(wvq);
	}
}
EXPORT_SYMBOL_GPL(virtio_wire_del_vqs);

/*
 * The wire ring of a queue: the descriptor table and the driver ring in
 * the peer region, the device ring in the local one, each part zeroed
 * before the device may see it.
 */
static int virtio_wire_alloc_ring(struct virtio_wire_vq *wvq)
{
	struct virtio_wire *wire = wvq->wire;
	struct genpool_data_align align = { .align = VIRTIO_WIRE_ALIGN };
	size_t driver = virtio_wire_driver_area(wvq->num);
	size_t device = virtio_wire_device_area(wvq->num);

	wvq->desc = gen_pool_alloc_algo(wire->peer_pool, driver,
					gen_pool_first_fit_align, &align);
	if (!wvq->desc)
		return -ENOMEM;
	wvq->used = gen_pool_alloc_algo(wire->local_pool, device,
					gen_pool_first_fit_align, &align);
	if (!wvq->used) {
		gen_pool_free(wire->peer_pool, wvq->desc, driver);
		return -ENOMEM;
	}

	memset_io(virtio_wire_peer(wire, wvq->desc), 0, driver);
	memset(wire->local + wvq->used, 0, device);
	return 0;
}

/*
 * Virtqueue callbacks run in BH context, as virtio drivers expect of an
 * interrupt. virtio_rpmsg_bus is the exception: its callbacks call the
 * rpmsg endpoints', which may sleep, since remoteproc calls them from
 * process context; its queues complete in a work item.
 */
static struct workqueue_struct *virtio_wire_callback_wq(struct virtio_device *vdev)
{
	return vdev->id.device == VIRTIO_ID_RPMSG ? system_highpri_wq :
						    system_bh_wq;
}

static int virtio_wire_setup_vq(struct virtio_wire *wire, unsigned int index,
				struct virtqueue_info *info,
				struct virtio_wire_vq **out)
{
	struct virtio_wire_vq *wvq;
	struct virtqueue *vq;
	unsigned int num;
	int err = -ENOMEM;

	if (index >= wire->num_queues)
		return -ENOENT;
	num = wire->queue_size_max[index];
	if (!num)
		return -ENOENT;

	wvq = kzalloc(sizeof(*wvq), GFP_KERNEL);
	if (!wvq)
		return -ENOMEM;
	vq = vring_create_virtqueue(index, num, SMP_CACHE_BYTES, wire->vdev,
				    true, true, info->ctx, virtio_wire_notify,
				    info->callback, info->name);
	if (!vq)
		goto err_free;
	/* Physical addresses, which are what the wire rings translate. */
	if (virtqueue_dma_dev(vq)) {
		dev_err(&wire->vdev->dev,
			"virtio_ring maps buffers with the DMA API here: not supported\n");
		err = -EINVAL;
		goto err_vq;
	}

	vq->priv = wvq;
	wvq->vq = vq;
	wvq->vring = virtqueue_get_vring(vq);
	wvq->wire = wire;
	wvq->num = virtqueue_get_vring_size(vq);
	spin_lock_init(&wvq->lock);
	/*
	 * A lockdep class for each context the work runs in: one class for
	 * the queues that complete in BH context and those of
	 * virtio_rpmsg_bus, which complete in process context, would look
	 * like one lock taken both with and without softirqs disabled.
	 */
	wvq->wq = virtio_wire_callback_wq(wire->vdev);
	if (wvq->wq == system_bh_wq)
		INIT_WORK(&wvq->work, virtio_wire_vq_work);
	else
		INIT_WORK(&wvq->work, virtio_wire_vq_work);
	wvq->slots = kcalloc(wvq->num, sizeof(*wvq->slots), GFP_KERNEL);
	wvq->inflight = bitmap_zalloc(wvq->num, GFP_KERNEL);
	if (!wvq->slots || !wvq->inflight)
		goto err_vq;

	err = virtio_wire_alloc_ring(wvq);
	if (err)
		goto err_vq;
	err = wire->ops->set_queue(wire, index,
				   virtio_wire_addr(wire->peer_region, wvq->desc),
				   virtio_wire_addr(wire->peer_region,
						    virtio_wire_avail(wvq)),
				   virtio_wire_addr(wire->local_region, wvq->used),
				   wvq->num);
	if (err)
		goto err_ring;

	*out = wvq;
	return 0;

err_ring:
	gen_pool_free(wire->peer_pool, wvq->desc,
		      virtio_wire_driver_area(wvq->num));
	gen_pool_free(wire->local_pool, wvq->used,
		      virtio_wire_device_area(wvq->num));
err_vq:
	bitmap_free(wvq->inflight);
	kfree(wvq->slots);
	vring_del_virtqueue(vq);
err_free:
	kfree(wvq);
	return err;
}

/*
 * Each queue may hold an equal share of what is left of each region once
 * the rings are placed, so that a queue waiting for traffic (a receive
 * queue) cannot take the room another needs to make progress.
 */
static void virtio_wire_set_quotas(struct virtio_wire *wire)
{
	size_t local = gen_pool_avail(wire->local_pool) / wire->nvqs;
	size_t peer = gen_pool_avail(wire->peer_pool) / wire->nvqs;
	struct virtqueue *vq;

	list_for_each_entry(vq, &wire->vdev->vqs, list) {
		struct virtio_wire_vq *wvq = vq->priv;

		wvq->quota[VIRTIO_WIRE_WRITE] = local;
		wvq->quota[VIRTIO_WIRE_READ] = peer;
	}
}

/**
 * virtio_wire_find_vqs() - set the queues up
 * @wire: the wire rings.
 * @nvqs: the entries of @vqs and @vqs_info.
 * @vqs: set to the virtqueues, NULL for an entry without a name.
 * @vqs_info: what the driver asked for each.
 *
 * For the &virtio_config_ops.find_vqs of the transport: each queue is
 * placed in the regions and given to the device with
 * &virtio_wire_ops.set_queue.
 *
 * Return: 0, -ENOENT for a queue the device does not have, -ENOMEM, or
 * the error of &virtio_wire_ops.set_queue; nothing is set up then.
 */
int virtio_wire_find_vqs(struct virtio_wire *wire, unsigned int nvqs,
			 struct virtqueue *vqs[],
			 struct virtqueue_info *vqs_info)
{
	struct virtio_wire_vq *wvq;
	unsigned int i, queue = 0;
	int err;

	for (i = 0; i < nvqs; i++) {
		vqs[i] = NULL;
		if (!vqs_info[i].name)
			continue;
		err = virtio_wire_setup_vq(wire, queue, &vqs_info[i], &wvq);
		if (err)
			goto err_del;
		rcu_assign_pointer(wire->vqs[queue], wvq);
		vqs[i] = wvq->vq;
		wire->nvqs = ++queue;
	}
	if (wire->nvqs)
		virtio_wire_set_quotas(wire);
	return 0;

err_del:
	virtio_wire_del_vqs(wire);
	return err;
}
EXPORT_SYMBOL_GPL(virtio_wire_find_vqs);

MODULE_DESCRIPTION("Wire rings for virtio transports across a link");
MODULE_LICENSE("GPL");
