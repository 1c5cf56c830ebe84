// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-ntb: virtio devices whose implementation is on the other side of
 * a Non-Transparent Bridge.
 *
 * An NTB client on the frontend host. When the backend host (vhost-ntb)
 * presents a device, this registers a virtio device, and the stock virtio
 * driver binds to it. Everything the backend must reach is in the two
 * memory windows, each part where its reader is: the device rings and the
 * buffers the device writes in our window, the descriptor tables, the
 * driver rings and the buffers the device reads in the backend's. The
 * driver's own rings stay in ordinary memory; the transport copies them
 * to the windows (see "the wire rings" below), so it needs no DMA
 * operations of its own.
 *
 * The protocol is specified in Documentation/driver-api/virtio/virtio_ntb.rst.
 */

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/ntb.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ntb.h>
#include <linux/virtio_ring.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_ids.h>

/* Allocation granule of the window allocators: a cache line. */
#define VIRTIO_NTB_GRANULE_SHIFT	6

/* How long a status write waits for the device (virtio_ntb_linux.rst). */
#define VIRTIO_NTB_STATUS_TIMEOUT	(10 * HZ)

/* How long a configuration read waits for the device to finish a write. */
#define VIRTIO_NTB_CONFIG_WAIT_US	1000

/* Alignment of the wire rings, and of the parts of a vring laid out in them. */
#define VIRTIO_NTB_WIRE_ALIGN		SMP_CACHE_BYTES

/* The most of our inbound window we give to one connection. */
#define VIRTIO_NTB_MAX_WINDOW		SZ_16M

struct virtio_ntb_vdev;

/**
 * struct virtio_ntb - the frontend side of one NTB device
 * @ntb: the NTB device.
 * @window: our inbound window: the device block, then rings and the
 *	buffers the device writes. Set up at the first link up, under @lock.
 * @local_pool: allocator of @window past the device block, by offset: the
 *	device rings and the buffers the device writes.
 * @peer: the backend's window, mapped while connected.
 * @peer_size: its size, as the backend announced it.
 * @peer_pool: allocator of @peer past the driver block, by offset: the
 *	descriptor tables, the driver rings and the buffers the device reads.
 * @db_bits: the doorbell bits we receive.
 * @peer_db_bits: the doorbell bits the backend receives.
 * @session: our session number, new at each link up.
 * @peer_session: the last backend session seen, 0 for none.
 * @lock: protects the connection state, the fields above from @peer on,
 *	@vd, @mismatch and @dying.
 * @connected: the handshake completed in this link session.
 * @stalled: the device did not acknowledge a status write in this
 *	connection: it is not waited for any more.
 * @refused: the device block broke a limit of the protocol; it is ignored
 *	until its device id goes to 0 or the connection is new.
 * @dying: the NTB device is going away: no new virtio device, and no
 *	waiting for the device.
 * @mismatch: a wrong magic, version or role was reported already.
 * @vd: the registered virtio device, or NULL. Read under RCU by the
 *	doorbell handler.
 * @ctrl_work: handles doorbell bit 0 and link events.
 * @wq: runs @ctrl_work. It may wait for the device, for the driver's probe
 *	and remove, which a shared workqueue must not.
 * @ack_wq: where a status write waits for the device's acknowledgment.
 * @stats: what the data path did, per CPU, in debugfs.
 * @debugfs: our directory there.
 * @parent: the parent of the virtio device (see virtio_ntb_parent_add()).
 */
struct virtio_ntb {
	struct ntb_dev *ntb;
	struct virtio_ntb_window window;
	struct gen_pool *local_pool;
	void __iomem *peer;
	resource_size_t peer_size;
	struct gen_pool *peer_pool;
	unsigned int db_bits;
	unsigned int peer_db_bits;
	u32 session;
	u32 peer_session;
	struct mutex lock;		/* connection state */
	bool connected;
	bool stalled;
	bool refused;
	bool mismatch;
	bool dying;
	struct virtio_ntb_vdev __rcu *vd;
	struct work_struct ctrl_work;
	struct workqueue_struct *wq;
	wait_queue_head_t ack_wq;
	struct virtio_ntb_stats __percpu *stats;
	struct dentry *debugfs;
	struct device *parent;
};

static struct dentry *virtio_ntb_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_ntb_stats);

/**
 * struct virtio_ntb_vdev - the virtio device of a connection
 * @vdev: the virtio device.
 * @vntb: the NTB side.
 * @vqs: the virtqueues by index, read under RCU by the doorbell handler.
 * @nvqs: the number of entries of @vqs in use.
 * @num_queues: the number of queues the device offered, checked.
 * @queue_size_max: the most entries of each queue, checked.
 * @status_seq: the sequence number of the last status write.
 * @generation: the configuration generation last reported to the driver.
 *
 * What the device published about its queues is read and checked once,
 * before the device is registered: the backend may change the device block
 * at any time, and nothing read from it later may index an array.
 */
struct virtio_ntb_vdev {
	struct virtio_device vdev;
	struct virtio_ntb *vntb;
	struct virtio_ntb_vq __rcu *vqs[VIRTIO_NTB_MAX_QUEUES];
	unsigned int nvqs;
	unsigned int num_queues;
	u16 queue_size_max[VIRTIO_NTB_MAX_QUEUES];
	u32 status_seq;
	u32 generation;
};

static inline struct virtio_ntb_vdev *to_vntb_vdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_ntb_vdev, vdev);
}

static inline struct virtio_ntb_device_block *
virtio_ntb_devblk(struct virtio_ntb *vntb)
{
	return vntb->window.virt;
}

#define virtio_ntb_drvblk(vntb, field) \
	((vntb)->peer + offsetof(struct virtio_ntb_driver_block, field))

static void virtio_ntb_iowrite64(u64 val, void __iomem *addr)
{
	iowrite32(lower_32_bits(val), addr);
	iowrite32(upper_32_bits(val), addr + 4);
}

static inline u64 virtio_ntb_addr(unsigned int window, unsigned long off)
{
	return FIELD_PREP(VIRTIO_NTB_ADDR_WINDOW, window) |
	       FIELD_PREP(VIRTIO_NTB_ADDR_OFFSET, off);
}

/* --- the wire rings --------------------------------------------------------- */

/*
 * The driver's virtqueue is an ordinary one, in our memory, with the
 * physical addresses of its buffers (the device is offered without
 * VIRTIO_F_ACCESS_PLATFORM, so virtio_ring does not use the DMA API). Each
 * queue has a second ring on the wire, the one the backend sees: its
 * descriptor table and driver ring in the backend's window, its device
 * ring in ours. When the driver notifies a queue, the new chains are
 * copied to the wire ring, with the buffers the device reads copied into
 * the backend's window and those it writes given space in ours; when the
 * backend notifies, the used chains are copied back into the driver's
 * ring, with as many bytes as the device wrote. A wire descriptor has the
 * index of the driver's descriptor it stands for, so the two rings share
 * their buffer ids.
 */

/* Which window a wire buffer is in: indices of virtio_ntb_vq.held. */
enum { VIRTIO_NTB_READ, VIRTIO_NTB_WRITE };

/**
 * struct virtio_ntb_slot - where the buffer of one descriptor is on the wire
 * @off: its offset in the backend's window (a buffer the device reads)
 *	or in ours (one it writes).
 * @len: its length; 0 for none.
 */
struct virtio_ntb_slot {
	u32 off;
	u32 len;
};

/**
 * struct virtio_ntb_vq - a virtqueue and its wire ring
 * @vq: the driver's virtqueue.
 * @vring: its ring, in our memory.
 * @vntb: the NTB side.
 * @lock: serialises the posting of chains (from the driver's notify) with
 *	their completion (from @work), and protects what follows.
 * @num: the entries of both rings.
 * @desc: the offset of the wire descriptor table in the backend's window;
 *	the wire driver ring follows it (virtio_ntb_wire_avail()).
 * @used: the offset of the wire device ring in our window.
 * @last_avail: the next entry of the driver's ring to post.
 * @wire_avail: the index of the wire driver ring, as last written.
 * @last_used: the next entry of the wire device ring to complete.
 * @used_idx: the index of the driver's device ring, as last written.
 * @quota: the most bytes of each window the queue may hold, so that no
 *	queue starves the others.
 * @held: the bytes it holds.
 * @stalled: a chain waits for room in a window.
 * @broken: the device broke the protocol on this queue.
 * @inflight: the heads of the chains the device has.
 * @slots: the wire buffer of each descriptor.
 * @work: completes the used chains, in BH context, or on @wq.
 * @wq: where @work runs: system_bh_wq, or a process context workqueue for
 *	a driver whose callbacks sleep (see virtio_ntb_callback_wq()).
 */
struct virtio_ntb_vq {
	struct virtqueue *vq;
	const struct vring *vring;
	struct virtio_ntb *vntb;
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
	struct virtio_ntb_slot *slots;
	struct work_struct work;
	struct workqueue_struct *wq;
};

/* The offset of the wire driver ring in the backend's window. */
static unsigned long virtio_ntb_wire_avail(const struct virtio_ntb_vq *nvq)
{
	return nvq->desc + sizeof(struct vring_desc) * nvq->num;
}

/* Copy from our window into the driver's buffer at @phys. */
static void virtio_ntb_copy_from_window(phys_addr_t phys, const void *src,
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

/* Copy the driver's buffer at @phys into the backend's window. */
static void virtio_ntb_copy_to_peer(void __iomem *dst, phys_addr_t phys,
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

static struct gen_pool *virtio_ntb_pool(struct virtio_ntb *vntb, int dir)
{
	return dir == VIRTIO_NTB_WRITE ? vntb->local_pool : vntb->peer_pool;
}

/*
 * Give back the wire buffers of the chain at @head, after copying the
 * first @len bytes the device wrote into the driver's buffers. Return how
 * many it wrote, as far as the chain could hold them.
 */
static u32 virtio_ntb_retire(struct virtio_ntb_vq *nvq, u16 head, u32 len)
{
	struct virtio_device *vdev = nvq->vq->vdev;
	const struct vring_desc *desc = nvq->vring->desc;
	struct virtio_ntb *vntb = nvq->vntb;
	unsigned int i = head, n = 0;
	u32 done = 0;

	for (;;) {
		struct virtio_ntb_slot *slot = &nvq->slots[i];
		u16 flags = virtio16_to_cpu(vdev, READ_ONCE(desc[i].flags));
		int dir = flags & VRING_DESC_F_WRITE ? VIRTIO_NTB_WRITE :
						       VIRTIO_NTB_READ;

		if (dir == VIRTIO_NTB_WRITE && done < len && slot->len) {
			u64 addr = virtio64_to_cpu(vdev, READ_ONCE(desc[i].addr));
			u32 part = min(len - done, slot->len);

			virtio_ntb_copy_from_window(addr,
						    vntb->window.virt + slot->off,
						    part);
			virtio_ntb_stat_add(vntb->stats,
					    VIRTIO_NTB_STAT_BYTES_LOCAL, part);
			done += part;
		}
		if (slot->len) {
			gen_pool_free(virtio_ntb_pool(vntb, dir), slot->off,
				      slot->len);
			nvq->held[dir] -= slot->len;
			slot->len = 0;
		}
		if (!(flags & VRING_DESC_F_NEXT) || ++n >= nvq->num)
			return done;
		i = virtio16_to_cpu(vdev, READ_ONCE(desc[i].next)) & (nvq->num - 1);
	}
}

/*
 * Put the chain at @head on the wire: a wire buffer for each descriptor,
 * the data the device reads copied across, the wire descriptors written.
 * False if a window has no room for it now: nothing is held then.
 */
static bool virtio_ntb_post_chain(struct virtio_ntb_vq *nvq, u16 head)
{
	struct virtio_device *vdev = nvq->vq->vdev;
	const struct vring_desc *desc = nvq->vring->desc;
	struct virtio_ntb *vntb = nvq->vntb;
	unsigned int i = head, n = 0;

	for (;;) {
		struct virtio_ntb_slot *slot = &nvq->slots[i];
		u64 addr = virtio64_to_cpu(vdev, READ_ONCE(desc[i].addr));
		u32 len = virtio32_to_cpu(vdev, READ_ONCE(desc[i].len));
		u16 flags = virtio16_to_cpu(vdev, READ_ONCE(desc[i].flags));
		u16 next = virtio16_to_cpu(vdev, READ_ONCE(desc[i].next));
		int dir = flags & VRING_DESC_F_WRITE ? VIRTIO_NTB_WRITE :
						       VIRTIO_NTB_READ;
		unsigned long off = VIRTIO_NTB_CTRL_SIZE;
		struct vring_desc wire;

		/* virtio_ring builds no indirect chain: it was not offered. */
		if (WARN_ON_ONCE(flags & VRING_DESC_F_INDIRECT))
			goto undo;
		if (len) {
			if (nvq->held[dir] + len > nvq->quota[dir])
				goto undo;
			off = gen_pool_alloc(virtio_ntb_pool(vntb, dir), len);
			if (!off)
				goto undo;
			nvq->held[dir] += len;
			slot->len = len;
		}
		slot->off = off;

		if (dir == VIRTIO_NTB_READ && len) {
			virtio_ntb_copy_to_peer(vntb->peer + off, addr, len);
			virtio_ntb_stat_add(vntb->stats,
					    VIRTIO_NTB_STAT_BYTES_TO_PEER, len);
		}

		wire.addr = cpu_to_virtio64(vdev, virtio_ntb_addr(dir == VIRTIO_NTB_WRITE ?
							VIRTIO_NTB_ADDR_FRONTEND :
							VIRTIO_NTB_ADDR_BACKEND,
							off));
		wire.len = cpu_to_virtio32(vdev, len);
		wire.flags = cpu_to_virtio16(vdev, flags & (VRING_DESC_F_NEXT |
						  VRING_DESC_F_WRITE));
		wire.next = cpu_to_virtio16(vdev, next & (nvq->num - 1));
		memcpy_toio(vntb->peer + nvq->desc + i * sizeof(wire), &wire,
			    sizeof(wire));

		if (!(flags & VRING_DESC_F_NEXT))
			return true;
		/* A loop in our own driver's ring: give up on the chain. */
		if (WARN_ON_ONCE(++n >= nvq->num))
			goto undo;
		i = next & (nvq->num - 1);
	}

undo:
	/* The descriptors not reached yet hold nothing: len is 0. */
	virtio_ntb_retire(nvq, head, 0);
	return false;
}

/*
 * Post the chains the driver made available since the last call, as many
 * as the windows have room for, and ring the backend if there were any.
 * The backend is always rung: an event index written across the link
 * would race with the posted writes that it must order (see "Notifications"
 * in virtio_ntb.rst).
 */
static void virtio_ntb_post(struct virtio_ntb_vq *nvq)
{
	struct virtio_device *vdev = nvq->vq->vdev;
	const struct vring *vr = nvq->vring;
	struct virtio_ntb *vntb = nvq->vntb;
	u16 avail_idx, old = nvq->wire_avail;
	unsigned int bit;

	lockdep_assert_held(&nvq->lock);

	/* This queue or another broke: the device is not used any more. */
	if (nvq->broken || virtqueue_is_broken(nvq->vq))
		return;
	nvq->stalled = false;
	/* The driver's entries after its index (virtio_wmb() on its side). */
	avail_idx = virtio16_to_cpu(vdev, smp_load_acquire(&vr->avail->idx));
	while (nvq->last_avail != avail_idx) {
		u16 head = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->ring[nvq->last_avail &
							(nvq->num - 1)]));

		if (WARN_ON_ONCE(head >= nvq->num ||
				 test_bit(head, nvq->inflight))) {
			nvq->broken = true;
			break;
		}
		if (!virtio_ntb_post_chain(nvq, head)) {
			/* virtio_ntb_complete() tries again. */
			nvq->stalled = true;
			break;
		}
		__set_bit(head, nvq->inflight);
		iowrite16(head, vntb->peer + virtio_ntb_wire_avail(nvq) +
			  offsetof(struct vring_avail,
				   ring[nvq->wire_avail & (nvq->num - 1)]));
		nvq->wire_avail++;
		nvq->last_avail++;
		virtio_ntb_stat_add(vntb->stats, VIRTIO_NTB_STAT_CHAINS, 1);
	}
	if (nvq->wire_avail == old)
		return;

	/* The descriptors, the buffers and the entries before the index. */
	wmb();
	iowrite16(nvq->wire_avail,
		  vntb->peer + virtio_ntb_wire_avail(nvq) +
		  offsetof(struct vring_avail, idx));
	/* Out of the write-combining buffers before the doorbell. */
	wmb();
	bit = virtio_ntb_queue_db(nvq->vq->index, vntb->peer_db_bits);
	ntb_peer_db_set(vntb->ntb, BIT_ULL(bit));
	virtio_ntb_stat_add(vntb->stats, VIRTIO_NTB_STAT_DOORBELLS_SENT, 1);
}

/*
 * The backend broke the protocol on @nvq: stop using the device, all its
 * queues (virtio_ntb.rst, "Errors"). This runs in BH context, where
 * virtio_break_device() must not be called: it takes the device's queue
 * list lock, which virtio_ring takes with BHs enabled. The queues are
 * reached through @vd->vqs instead, which del_vqs clears and waits for
 * before it frees them.
 */
static void virtio_ntb_vq_broken(struct virtio_ntb_vq *nvq, const char *what,
				 unsigned int val)
{
	struct virtio_ntb_vdev *vd = to_vntb_vdev(nvq->vq->vdev);
	unsigned int q;

	lockdep_assert_held(&nvq->lock);

	if (!nvq->broken)
		dev_err(&vd->vdev.dev, "queue %u: device %s %u: broken\n",
			nvq->vq->index, what, val);
	nvq->broken = true;

	rcu_read_lock();
	for (q = 0; q < VIRTIO_NTB_MAX_QUEUES; q++) {
		struct virtio_ntb_vq *other = rcu_dereference(vd->vqs[q]);

		if (other)
			__virtqueue_break(other->vq);
	}
	rcu_read_unlock();
}

/*
 * Copy the chains the device used into the driver's device ring. Return
 * true if there were any and the driver wants to hear of them.
 */
static bool virtio_ntb_complete(struct virtio_ntb_vq *nvq)
{
	struct virtio_device *vdev = nvq->vq->vdev;
	struct vring_used *used = nvq->vring->used;
	struct vring_used *wire = nvq->vntb->window.virt + nvq->used;
	u16 start = nvq->used_idx, idx;

	lockdep_assert_held(&nvq->lock);

	if (nvq->broken || virtqueue_is_broken(nvq->vq))
		return false;
	idx = virtio16_to_cpu(vdev, READ_ONCE(wire->idx));
	if ((u16)(idx - nvq->last_used) > nvq->num) {
		virtio_ntb_vq_broken(nvq, "used index moved to", idx);
		return false;
	}
	/* The entries the device wrote before its index. */
	dma_rmb();
	while (nvq->last_used != idx) {
		struct vring_used_elem *e =
			&wire->ring[nvq->last_used & (nvq->num - 1)];
		u32 id = virtio32_to_cpu(vdev, READ_ONCE(e->id));
		u32 len = virtio32_to_cpu(vdev, READ_ONCE(e->len));
		struct vring_used_elem *out;

		if (id >= nvq->num || !test_bit(id, nvq->inflight)) {
			virtio_ntb_vq_broken(nvq, "used a buffer it was not given:",
					     id);
			break;
		}
		len = virtio_ntb_retire(nvq, id, len);
		__clear_bit(id, nvq->inflight);

		out = &used->ring[nvq->used_idx & (nvq->num - 1)];
		WRITE_ONCE(out->id, cpu_to_virtio32(vdev, id));
		WRITE_ONCE(out->len, cpu_to_virtio32(vdev, len));
		nvq->used_idx++;
		nvq->last_used++;
	}
	if (nvq->used_idx == start)
		return false;

	/* The entries before the index, for virtqueue_get_buf(). */
	smp_store_release(&used->idx, cpu_to_virtio16(vdev, nvq->used_idx));
	/*
	 * A driver that turned its callback off polls the ring; it turns it
	 * back on, then looks at the index again (virtqueue_poll()), so the
	 * index must be visible before the flag is read.
	 */
	smp_mb();
	return !(virtio16_to_cpu(vdev, READ_ONCE(nvq->vring->avail->flags)) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

static void virtio_ntb_vq_work(struct work_struct *work)
{
	struct virtio_ntb_vq *nvq = container_of(work, struct virtio_ntb_vq,
						 work);
	unsigned long flags;
	bool interrupt;

	spin_lock_irqsave(&nvq->lock, flags);
	interrupt = virtio_ntb_complete(nvq);
	/* Completions may have given room back to a stalled queue. */
	if (nvq->stalled)
		virtio_ntb_post(nvq);
	spin_unlock_irqrestore(&nvq->lock, flags);

	/* Its callback may add buffers and notify, which takes the lock. */
	if (interrupt)
		vring_interrupt(0, nvq->vq);
}

static bool virtio_ntb_notify(struct virtqueue *vq)
{
	struct virtio_ntb_vq *nvq = vq->priv;
	unsigned long flags;

	spin_lock_irqsave(&nvq->lock, flags);
	virtio_ntb_post(nvq);
	spin_unlock_irqrestore(&nvq->lock, flags);
	return !nvq->broken;
}

/* --- virtio configuration operations -------------------------------------- */

/*
 * Past the length the device gave, the configuration space reads as 0. The
 * length may grow (it is written under the generation), so it is read each
 * time, and bounded.
 */
static void virtio_ntb_get(struct virtio_device *vdev, unsigned int offset,
			   void *buf, unsigned int len)
{
	struct virtio_ntb_device_block *blk =
		virtio_ntb_devblk(to_vntb_vdev(vdev)->vntb);
	unsigned int end = min_t(unsigned int, VIRTIO_NTB_CONFIG_SIZE,
				 le16_to_cpu(READ_ONCE(blk->config_len)));
	unsigned int n = 0;

	if (offset < end)
		n = min(len, end - offset);
	memcpy(buf, blk->config + offset, n);
	memset(buf + n, 0, len - n);
}

static void virtio_ntb_set(struct virtio_device *vdev, unsigned int offset,
			   const void *buf, unsigned int len)
{
	dev_warn_once(&vdev->dev,
		      "the configuration space is read-only on virtio-ntb\n");
}

/*
 * The device writes the configuration space as a seqlock writer: the
 * generation odd, the bytes, the generation even (virtio_ntb.rst,
 * "Configuration space"). The virtio core reads the generation before and
 * after the bytes and retries while they differ; for that to be a seqlock
 * reader, an odd generation must not be returned, and the reads of the
 * bytes must stay between the two reads of the generation.
 */
static u32 virtio_ntb_generation(struct virtio_device *vdev)
{
	struct virtio_ntb_device_block *blk =
		virtio_ntb_devblk(to_vntb_vdev(vdev)->vntb);
	u32 gen;
	int err;

	/* The bytes read before this call, before the generation. */
	dma_rmb();
	err = read_poll_timeout_atomic(le32_to_cpu, gen, !(gen & 1), 1,
				       VIRTIO_NTB_CONFIG_WAIT_US, false,
				       READ_ONCE(blk->config_generation));
	if (err)
		dev_warn_ratelimited(&vdev->dev,
				     "configuration generation %u stays odd\n",
				     gen);
	/* The generation before the bytes read after this call. */
	dma_rmb();
	return gen;
}

static u8 virtio_ntb_get_status(struct virtio_device *vdev)
{
	struct virtio_ntb_device_block *blk =
		virtio_ntb_devblk(to_vntb_vdev(vdev)->vntb);

	return le32_to_cpu(READ_ONCE(blk->status));
}

/* Is there a device to answer a status write? */
static bool virtio_ntb_present(struct virtio_ntb *vntb)
{
	return READ_ONCE(vntb->connected) && !READ_ONCE(vntb->stalled) &&
	       le32_to_cpu(READ_ONCE(virtio_ntb_devblk(vntb)->device_id));
}

/*
 * Stop waiting when the device answers, and as soon as it cannot: the link
 * went down (the control work may be busy in this very probe, so the link
 * is asked directly), the device went, or the NTB device is going away.
 */
static bool virtio_ntb_acked(struct virtio_ntb *vntb, u32 seq)
{
	return le32_to_cpu(READ_ONCE(virtio_ntb_devblk(vntb)->status_ack)) ==
	       seq || !virtio_ntb_present(vntb) || READ_ONCE(vntb->dying) ||
	       !ntb_link_is_up(vntb->ntb, NULL, NULL);
}

/*
 * A status write is a request: write it, ring, and wait until the device
 * acknowledges it, so that the status read back is what the device made of
 * it (virtio_ntb.rst, "Device status and feature negotiation").
 */
static void virtio_ntb_write_status(struct virtio_ntb_vdev *vd, u8 status)
{
	struct virtio_ntb *vntb = vd->vntb;
	u32 seq;

	might_sleep();

	mutex_lock(&vntb->lock);
	if (!vntb->connected)
		goto out_local;
	seq = ++vd->status_seq;
	iowrite32(status, virtio_ntb_drvblk(vntb, status));
	/* The status, and the features and queues before it, then seq. */
	wmb();
	iowrite32(seq, virtio_ntb_drvblk(vntb, status_seq));
	/* Out of the write-combining buffers before the doorbell. */
	wmb();
	ntb_peer_db_set(vntb->ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
	mutex_unlock(&vntb->lock);

	if (!wait_event_timeout(vntb->ack_wq, virtio_ntb_acked(vntb, seq),
				VIRTIO_NTB_STATUS_TIMEOUT)) {
		/*
		 * A backend that does not answer is not waited for again in
		 * this connection: a probe or a reset writes the status
		 * several times, each would cost the whole timeout.
		 */
		dev_err(&vd->vdev.dev,
			"device did not acknowledge status 0x%02x: not waiting for it any more\n",
			status);
		WRITE_ONCE(vntb->stalled, true);
	}

	mutex_lock(&vntb->lock);
	if (vntb->connected && virtio_ntb_present(vntb) &&
	    le32_to_cpu(READ_ONCE(virtio_ntb_devblk(vntb)->status_ack)) ==
	    seq) {
		mutex_unlock(&vntb->lock);
		return;
	}
out_local:
	/*
	 * No device to answer: it does not use our memory any more, so a
	 * reset is complete. Our window is ours to write then.
	 */
	if (!status)
		WRITE_ONCE(virtio_ntb_devblk(vntb)->status, 0);
	mutex_unlock(&vntb->lock);
}

static void virtio_ntb_set_status(struct virtio_device *vdev, u8 status)
{
	/* virtio_ntb_reset() writes 0. */
	WARN_ON(!status);
	virtio_ntb_write_status(to_vntb_vdev(vdev), status);
}

static void virtio_ntb_reset(struct virtio_device *vdev)
{
	virtio_ntb_write_status(to_vntb_vdev(vdev), 0);
}

/*
 * The features of the wire ring are the transport's, not the driver's: the
 * buffers are in the windows (VIRTIO_F_ACCESS_PLATFORM) and the other side
 * is a bus master (VIRTIO_F_ORDER_PLATFORM) on the wire only, and neither
 * indirect tables nor the event index are used there (virtio_ntb.rst,
 * "Device status and feature negotiation").
 */
#define VIRTIO_NTB_WIRE_FEATURES	(BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
					 BIT_ULL(VIRTIO_F_ORDER_PLATFORM))
#define VIRTIO_NTB_HIDDEN_FEATURES	(VIRTIO_NTB_WIRE_FEATURES | \
					 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
					 BIT_ULL(VIRTIO_RING_F_EVENT_IDX))

static u64 virtio_ntb_device_features(struct virtio_device *vdev)
{
	struct virtio_ntb_device_block *blk =
		virtio_ntb_devblk(to_vntb_vdev(vdev)->vntb);

	return le64_to_cpu(READ_ONCE(blk->device_features));
}

static u64 virtio_ntb_get_features(struct virtio_device *vdev)
{
	return virtio_ntb_device_features(vdev) & ~VIRTIO_NTB_HIDDEN_FEATURES;
}

static int virtio_ntb_finalize_features(struct virtio_device *vdev)
{
	struct virtio_ntb *vntb = to_vntb_vdev(vdev)->vntb;
	u64 wire = VIRTIO_NTB_WIRE_FEATURES | BIT_ULL(VIRTIO_F_VERSION_1);

	vring_transport_features(vdev);

	if ((virtio_ntb_device_features(vdev) & wire) != wire ||
	    !__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev,
			"device lacks VERSION_1, ACCESS_PLATFORM or ORDER_PLATFORM\n");
		return -EINVAL;
	}

	mutex_lock(&vntb->lock);
	if (vntb->connected)
		virtio_ntb_iowrite64(vdev->features | wire,
				     virtio_ntb_drvblk(vntb, driver_features));
	mutex_unlock(&vntb->lock);
	return 0;
}

/* The descriptor table, then the driver ring, with its event index. */
static size_t virtio_ntb_driver_area(unsigned int num)
{
	return sizeof(struct vring_desc) * num +
	       struct_size_t(struct vring_avail, ring, num) + sizeof(__le16);
}

/* The device ring, with its event index. */
static size_t virtio_ntb_device_area(unsigned int num)
{
	return struct_size_t(struct vring_used, ring, num) + sizeof(__le16);
}

/* Free a queue's wire ring; the backend no longer uses it. */
static void virtio_ntb_free_vq(struct virtio_ntb_vq *nvq)
{
	struct virtio_ntb *vntb = nvq->vntb;
	unsigned int head;

	/* The chains the device had: their wire buffers come back. */
	for_each_set_bit(head, nvq->inflight, nvq->num)
		virtio_ntb_retire(nvq, head, 0);
	gen_pool_free(vntb->peer_pool, nvq->desc,
		      virtio_ntb_driver_area(nvq->num));
	gen_pool_free(vntb->local_pool, nvq->used,
		      virtio_ntb_device_area(nvq->num));
	bitmap_free(nvq->inflight);
	kfree(nvq->slots);
	vring_del_virtqueue(nvq->vq);
	kfree(nvq);
}

static void virtio_ntb_del_vqs(struct virtio_device *vdev)
{
	struct virtio_ntb_vdev *vd = to_vntb_vdev(vdev);
	struct virtio_ntb *vntb = vd->vntb;
	struct virtqueue *vq, *tmp;
	unsigned int i;

	for (i = 0; i < vd->nvqs; i++)
		RCU_INIT_POINTER(vd->vqs[i], NULL);
	/* No doorbell handler queues their work any more. */
	synchronize_rcu();

	mutex_lock(&vntb->lock);
	for (i = 0; vntb->connected && i < vd->nvqs; i++)
		iowrite16(0, virtio_ntb_drvblk(vntb, queues[i].enable));
	mutex_unlock(&vntb->lock);
	vd->nvqs = 0;

	list_for_each_entry_safe(vq, tmp, &vdev->vqs, list) {
		struct virtio_ntb_vq *nvq = vq->priv;

		cancel_work_sync(&nvq->work);
		virtio_ntb_free_vq(nvq);
	}
}

/*
 * The wire ring of a queue: the descriptor table and the driver ring in
 * the backend's window, the device ring in ours, each part zeroed before
 * the backend may see it.
 */
static int virtio_ntb_alloc_wire(struct virtio_ntb_vq *nvq)
{
	struct virtio_ntb *vntb = nvq->vntb;
	struct genpool_data_align align = { .align = VIRTIO_NTB_WIRE_ALIGN };
	size_t driver = virtio_ntb_driver_area(nvq->num);
	size_t device = virtio_ntb_device_area(nvq->num);

	nvq->desc = gen_pool_alloc_algo(vntb->peer_pool, driver,
					gen_pool_first_fit_align, &align);
	if (!nvq->desc)
		return -ENOMEM;
	nvq->used = gen_pool_alloc_algo(vntb->local_pool, device,
					gen_pool_first_fit_align, &align);
	if (!nvq->used) {
		gen_pool_free(vntb->peer_pool, nvq->desc, driver);
		return -ENOMEM;
	}

	memset_io(vntb->peer + nvq->desc, 0, driver);
	memset(vntb->window.virt + nvq->used, 0, device);
	return 0;
}

/* Tell the backend where the wire ring of @nvq is, and enable it. */
static void virtio_ntb_publish_queue(struct virtio_ntb_vq *nvq)
{
	void __iomem *q = virtio_ntb_drvblk(nvq->vntb,
					    queues[nvq->vq->index]);

	virtio_ntb_iowrite64(virtio_ntb_addr(VIRTIO_NTB_ADDR_BACKEND, nvq->desc),
			     q + offsetof(struct virtio_ntb_queue, desc));
	virtio_ntb_iowrite64(virtio_ntb_addr(VIRTIO_NTB_ADDR_BACKEND,
					     virtio_ntb_wire_avail(nvq)),
			     q + offsetof(struct virtio_ntb_queue, avail));
	virtio_ntb_iowrite64(virtio_ntb_addr(VIRTIO_NTB_ADDR_FRONTEND, nvq->used),
			     q + offsetof(struct virtio_ntb_queue, used));
	iowrite16(nvq->num, q + offsetof(struct virtio_ntb_queue, size));
	iowrite16(1, q + offsetof(struct virtio_ntb_queue, enable));
}

/*
 * Virtqueue callbacks run in BH context, as virtio drivers expect of an
 * interrupt. virtio_rpmsg_bus is the exception: its callbacks call the
 * rpmsg endpoints', which may sleep, since remoteproc calls them from
 * process context; its queues complete in a work item.
 */
static struct workqueue_struct *virtio_ntb_callback_wq(struct virtio_device *vdev)
{
	return vdev->id.device == VIRTIO_ID_RPMSG ? system_highpri_wq :
						    system_bh_wq;
}

static int virtio_ntb_setup_vq(struct virtio_ntb_vdev *vd, unsigned int index,
			       struct virtqueue_info *info,
			       struct virtio_ntb_vq **out)
{
	struct virtio_ntb *vntb = vd->vntb;
	struct virtio_ntb_vq *nvq;
	struct virtqueue *vq;
	unsigned int num;
	int err = -ENOMEM;

	if (index >= vd->num_queues)
		return -ENOENT;
	num = vd->queue_size_max[index];
	if (!num)
		return -ENOENT;

	nvq = kzalloc(sizeof(*nvq), GFP_KERNEL);
	if (!nvq)
		return -ENOMEM;
	vq = vring_create_virtqueue(index, num, SMP_CACHE_BYTES, &vd->vdev,
				    true, true, info->ctx, virtio_ntb_notify,
				    info->callback, info->name);
	if (!vq)
		goto err_free;
	/* Physical addresses, which are what this transport translates. */
	if (virtqueue_dma_dev(vq)) {
		dev_err(&vd->vdev.dev,
			"virtio_ring maps buffers with the DMA API here: not supported\n");
		err = -EINVAL;
		goto err_vq;
	}

	vq->priv = nvq;
	nvq->vq = vq;
	nvq->vring = virtqueue_get_vring(vq);
	nvq->vntb = vntb;
	nvq->num = virtqueue_get_vring_size(vq);
	spin_lock_init(&nvq->lock);
	INIT_WORK(&nvq->work, virtio_ntb_vq_work);
	nvq->wq = virtio_ntb_callback_wq(&vd->vdev);
	nvq->slots = kcalloc(nvq->num, sizeof(*nvq->slots), GFP_KERNEL);
	nvq->inflight = bitmap_zalloc(nvq->num, GFP_KERNEL);
	if (!nvq->slots || !nvq->inflight)
		goto err_vq;

	mutex_lock(&vntb->lock);
	if (!vntb->connected) {
		err = -ENODEV;
		goto err_unlock;
	}
	err = virtio_ntb_alloc_wire(nvq);
	if (err)
		goto err_unlock;
	virtio_ntb_publish_queue(nvq);
	mutex_unlock(&vntb->lock);

	*out = nvq;
	return 0;

err_unlock:
	mutex_unlock(&vntb->lock);
err_vq:
	bitmap_free(nvq->inflight);
	kfree(nvq->slots);
	vring_del_virtqueue(vq);
err_free:
	kfree(nvq);
	return err;
}

/*
 * Each queue may hold an equal share of what is left of each window once
 * the rings are placed, so that a queue waiting for traffic (a receive
 * queue) cannot take the room another needs to make progress.
 */
static void virtio_ntb_set_quotas(struct virtio_ntb_vdev *vd)
{
	struct virtio_ntb *vntb = vd->vntb;
	size_t local = gen_pool_avail(vntb->local_pool) / vd->nvqs;
	size_t peer = gen_pool_avail(vntb->peer_pool) / vd->nvqs;
	struct virtqueue *vq;

	list_for_each_entry(vq, &vd->vdev.vqs, list) {
		struct virtio_ntb_vq *nvq = vq->priv;

		nvq->quota[VIRTIO_NTB_WRITE] = local;
		nvq->quota[VIRTIO_NTB_READ] = peer;
	}
}

static int virtio_ntb_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			       struct virtqueue *vqs[],
			       struct virtqueue_info vqs_info[],
			       struct irq_affinity *desc)
{
	struct virtio_ntb_vdev *vd = to_vntb_vdev(vdev);
	struct virtio_ntb_vq *nvq;
	unsigned int i, queue = 0;
	int err;

	for (i = 0; i < nvqs; i++) {
		vqs[i] = NULL;
		if (!vqs_info[i].name)
			continue;
		err = virtio_ntb_setup_vq(vd, queue, &vqs_info[i], &nvq);
		if (err)
			goto err_del;
		rcu_assign_pointer(vd->vqs[queue], nvq);
		vqs[i] = nvq->vq;
		vd->nvqs = ++queue;
	}
	if (vd->nvqs)
		virtio_ntb_set_quotas(vd);
	return 0;

err_del:
	virtio_ntb_del_vqs(vdev);
	return err;
}

static const char *virtio_ntb_bus_name(struct virtio_device *vdev)
{
	return dev_name(&to_vntb_vdev(vdev)->vntb->ntb->dev);
}

static const struct virtio_config_ops virtio_ntb_config_ops = {
	.get			= virtio_ntb_get,
	.set			= virtio_ntb_set,
	.generation		= virtio_ntb_generation,
	.get_status		= virtio_ntb_get_status,
	.set_status		= virtio_ntb_set_status,
	.reset			= virtio_ntb_reset,
	.find_vqs		= virtio_ntb_find_vqs,
	.del_vqs		= virtio_ntb_del_vqs,
	.get_features		= virtio_ntb_get_features,
	.finalize_features	= virtio_ntb_finalize_features,
	.bus_name		= virtio_ntb_bus_name,
};

/* --- the virtio device ---------------------------------------------------- */

static void virtio_ntb_vdev_release(struct device *dev)
{
	kfree(to_vntb_vdev(dev_to_virtio(dev)));
}

/*
 * Read what the device block says of the queues, once, and check it against
 * the limits of the protocol (virtio_ntb.rst, "Limits"): the backend is not
 * trusted, and these values size and index arrays.
 */
static int virtio_ntb_read_queues(struct virtio_ntb *vntb,
				  struct virtio_ntb_vdev *vd)
{
	struct virtio_ntb_device_block *blk = virtio_ntb_devblk(vntb);
	struct device *dev = &vntb->ntb->dev;
	unsigned int q, num, config_len;

	vd->num_queues = le16_to_cpu(READ_ONCE(blk->num_queues));
	config_len = le16_to_cpu(READ_ONCE(blk->config_len));
	if (vd->num_queues > VIRTIO_NTB_MAX_QUEUES) {
		dev_err(dev, "device offers %u queues, more than %u: refused\n",
			vd->num_queues, VIRTIO_NTB_MAX_QUEUES);
		return -EINVAL;
	}
	if (config_len > VIRTIO_NTB_CONFIG_SIZE) {
		dev_err(dev, "device configuration of %u bytes, more than %u: refused\n",
			config_len, VIRTIO_NTB_CONFIG_SIZE);
		return -EINVAL;
	}
	for (q = 0; q < vd->num_queues; q++) {
		num = le16_to_cpu(READ_ONCE(blk->queue_size_max[q]));
		if (num && (!is_power_of_2(num) ||
			    num > VIRTIO_NTB_MAX_QUEUE_SIZE)) {
			dev_err(dev, "queue %u: bad size %u: device refused\n",
				q, num);
			return -EINVAL;
		}
		vd->queue_size_max[q] = num;
	}
	return 0;
}

static void virtio_ntb_add_device(struct virtio_ntb *vntb)
{
	struct virtio_ntb_device_block *blk = virtio_ntb_devblk(vntb);
	struct virtio_ntb_vdev *vd;
	int err;

	lockdep_assert_held(&vntb->lock);

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return;

	/* The caller saw the magic: what the device wrote before it. */
	dma_rmb();
	if (virtio_ntb_read_queues(vntb, vd)) {
		vntb->refused = true;
		kfree(vd);
		return;
	}

	vd->vntb = vntb;
	vd->vdev.id.device = le32_to_cpu(READ_ONCE(blk->device_id));
	vd->vdev.id.vendor = le32_to_cpu(READ_ONCE(blk->vendor_id));
	vd->vdev.config = &virtio_ntb_config_ops;
	vd->vdev.dev.parent = vntb->parent;
	vd->vdev.dev.release = virtio_ntb_vdev_release;
	vd->status_seq = le32_to_cpu(READ_ONCE(blk->status_ack));
	vd->generation = le32_to_cpu(READ_ONCE(blk->config_generation));

	rcu_assign_pointer(vntb->vd, vd);
	/* The driver's probe writes status: drop the lock for it. */
	mutex_unlock(&vntb->lock);
	err = register_virtio_device(&vd->vdev);
	mutex_lock(&vntb->lock);
	if (err) {
		dev_err(&vntb->ntb->dev, "cannot register the virtio device: %d\n",
			err);
		RCU_INIT_POINTER(vntb->vd, NULL);
		synchronize_rcu();
		put_device(&vd->vdev.dev);
	}
}

static void virtio_ntb_remove_device(struct virtio_ntb *vntb, bool gone)
{
	struct virtio_ntb_vdev *vd;

	lockdep_assert_held(&vntb->lock);

	vd = rcu_dereference_protected(vntb->vd, lockdep_is_held(&vntb->lock));
	if (!vd)
		return;

	/* With the backend gone, nothing will complete a buffer any more. */
	if (gone)
		virtio_break_device(&vd->vdev);
	mutex_unlock(&vntb->lock);
	/*
	 * The doorbell handler reads @vd under RCU, and unregistering may
	 * free it; the driver's remove may still wait for an interrupt, so
	 * @vd stays published until then, and alive until no handler sees it.
	 */
	get_device(&vd->vdev.dev);
	unregister_virtio_device(&vd->vdev);
	mutex_lock(&vntb->lock);
	RCU_INIT_POINTER(vntb->vd, NULL);
	synchronize_rcu();
	put_device(&vd->vdev.dev);
}

/* Our inbound window, and the pool that hands it out past the block. */
static int virtio_ntb_setup_window(struct virtio_ntb *vntb)
{
	struct ntb_dev *ntb = vntb->ntb;
	resource_size_t size;
	int err;

	err = virtio_ntb_window_setup(ntb, VIRTIO_NTB_MAX_WINDOW, &vntb->window);
	if (err)
		return err;
	size = vntb->window.size;

	vntb->local_pool = gen_pool_create(VIRTIO_NTB_GRANULE_SHIFT, -1);
	if (!vntb->local_pool) {
		err = -ENOMEM;
		goto err_window;
	}
	err = gen_pool_add(vntb->local_pool, VIRTIO_NTB_CTRL_SIZE,
			   size - VIRTIO_NTB_CTRL_SIZE, -1);
	if (err)
		goto err_pool;
	return 0;

err_pool:
	gen_pool_destroy(vntb->local_pool);
err_window:
	virtio_ntb_window_free(ntb, &vntb->window);
	return err;
}

static void virtio_ntb_free_window(struct virtio_ntb *vntb)
{
	gen_pool_destroy(vntb->local_pool);
	virtio_ntb_window_free(vntb->ntb, &vntb->window);
}

/* --- connection ----------------------------------------------------------- */

static void virtio_ntb_disconnect(struct virtio_ntb *vntb)
{
	lockdep_assert_held(&vntb->lock);

	if (!vntb->connected)
		return;

	WRITE_ONCE(vntb->connected, false);
	wake_up_all(&vntb->ack_wq);
	virtio_ntb_remove_device(vntb, true);

	gen_pool_destroy(vntb->peer_pool);
	vntb->peer_pool = NULL;
	iounmap(vntb->peer);
	vntb->peer = NULL;
}

/* The backend's window is ours to write: map it and set its pool up. */
static int virtio_ntb_connect(struct virtio_ntb *vntb, u32 window)
{
	void __iomem *peer;
	resource_size_t size;
	int err;

	peer = virtio_ntb_map_peer_window(vntb->ntb, window, &size);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	vntb->peer = peer;
	vntb->peer_size = size;

	vntb->peer_pool = gen_pool_create(VIRTIO_NTB_GRANULE_SHIFT, -1);
	if (!vntb->peer_pool) {
		err = -ENOMEM;
		goto err_unmap;
	}
	err = gen_pool_add(vntb->peer_pool, VIRTIO_NTB_CTRL_SIZE,
			   size - VIRTIO_NTB_CTRL_SIZE, -1);
	if (err)
		goto err_pool;

	/* The driver block: everything but magic, then magic. */
	memset_io(vntb->peer, 0, VIRTIO_NTB_CTRL_SIZE);
	iowrite32(VIRTIO_NTB_VERSION, virtio_ntb_drvblk(vntb, version));
	/* Write-combining reorders: the block before its magic. */
	wmb();
	iowrite32(VIRTIO_NTB_MAGIC, virtio_ntb_drvblk(vntb, magic));
	/* And out of the write-combining buffers. */
	wmb();

	WRITE_ONCE(vntb->stalled, false);
	vntb->refused = false;
	WRITE_ONCE(vntb->connected, true);
	return 0;

err_pool:
	gen_pool_destroy(vntb->peer_pool);
	vntb->peer_pool = NULL;
err_unmap:
	iounmap(vntb->peer);
	vntb->peer = NULL;
	return err;
}

static void virtio_ntb_hello(struct virtio_ntb *vntb)
{
	struct virtio_ntb_hello hello;

	lockdep_assert_held(&vntb->lock);

	/* Step 1: a clean device block and a new session. */
	memset(vntb->window.virt, 0, VIRTIO_NTB_CTRL_SIZE);
	virtio_ntb_new_hello(&hello, vntb->db_bits, vntb->window.widx,
			     vntb->window.size);
	vntb->session = hello.session;
	vntb->peer_session = 0;
	vntb->mismatch = false;

	/* Step 2 */
	virtio_ntb_announce(vntb->ntb, VIRTIO_NTB_ROLE_FRONTEND, &hello);
}

/* Steps 3 and 4 of the handshake; true once connected. */
static bool virtio_ntb_handshake(struct virtio_ntb *vntb)
{
	struct ntb_dev *ntb = vntb->ntb;
	struct virtio_ntb_hello peer;
	int err;

	lockdep_assert_held(&vntb->lock);

	if (virtio_ntb_read_hello(ntb, VIRTIO_NTB_ROLE_BACKEND, &peer,
				  &vntb->mismatch))
		return false;

	if (peer.session && peer.session != vntb->peer_session) {
		/* The backend (re)started. */
		virtio_ntb_disconnect(vntb);
		vntb->peer_session = peer.session;
		ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_ECHO, peer.session);
		ntb_peer_db_set(ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
	}

	if (vntb->connected)
		return true;
	if (peer.echo != vntb->session || !vntb->peer_session)
		return false;

	vntb->peer_db_bits = peer.db_bits;
	err = virtio_ntb_connect(vntb, peer.window);
	if (err) {
		dev_err(&ntb->dev, "cannot connect: %d\n", err);
		return false;
	}
	dev_dbg(&ntb->dev, "connected, session %08x, backend %08x\n",
		vntb->session, vntb->peer_session);
	return true;
}

/* Doorbell bit 0, and link events. */
static void virtio_ntb_ctrl_work(struct work_struct *work)
{
	struct virtio_ntb *vntb = container_of(work, struct virtio_ntb,
					       ctrl_work);
	struct virtio_ntb_device_block *blk;
	struct virtio_ntb_vdev *vd;
	bool needs_reset;
	u32 gen;
	int err;

	mutex_lock(&vntb->lock);
	if (vntb->dying)
		goto out_unlock;
	if (!ntb_link_is_up(vntb->ntb, NULL, NULL)) {
		virtio_ntb_disconnect(vntb);
		vntb->session = 0;
		goto out_unlock;
	}
	/* Window alignment is only known with the link up. */
	if (!vntb->window.virt) {
		err = virtio_ntb_setup_window(vntb);
		if (err) {
			dev_err(&vntb->ntb->dev, "cannot set up window: %d\n",
				err);
			goto out_unlock;
		}
	}
	/* Only now is there a device block to look at. */
	blk = virtio_ntb_devblk(vntb);
	if (!vntb->session)
		virtio_ntb_hello(vntb);
	if (!virtio_ntb_handshake(vntb))
		goto out_unlock;

	vd = rcu_dereference_protected(vntb->vd, lockdep_is_held(&vntb->lock));
	if (!le32_to_cpu(READ_ONCE(blk->device_id))) {
		vntb->refused = false;
		virtio_ntb_remove_device(vntb, true);
		goto out_unlock;
	}
	if (!vd) {
		if (le32_to_cpu(READ_ONCE(blk->magic)) == VIRTIO_NTB_MAGIC &&
		    !vntb->refused)
			virtio_ntb_add_device(vntb);
		goto out_unlock;
	}

	/*
	 * Drivers do not recover from NEEDS_RESET by themselves: remove the
	 * device, which resets it, and probe it again. The device uses its
	 * rings no more, so they are broken first: a driver waiting on one
	 * (virtio-net's control queue, under the RTNL) must not wait forever.
	 */
	needs_reset = le32_to_cpu(READ_ONCE(blk->status)) &
		      VIRTIO_CONFIG_S_NEEDS_RESET;
	if (needs_reset) {
		dev_info(&vd->vdev.dev, "device needs a reset: probing it again\n");
		virtio_ntb_remove_device(vntb, true);
		if (le32_to_cpu(READ_ONCE(blk->device_id)) && !vntb->dying &&
		    vntb->connected)
			virtio_ntb_add_device(vntb);
		goto out_unlock;
	}

	/* An odd generation is a write in progress; its end rings again. */
	gen = le32_to_cpu(READ_ONCE(blk->config_generation));
	if (!(gen & 1) && gen != vd->generation) {
		vd->generation = gen;
		virtio_config_changed(&vd->vdev);
	}

out_unlock:
	mutex_unlock(&vntb->lock);
}

/* --- NTB events ----------------------------------------------------------- */

static void virtio_ntb_link_event(void *ctx)
{
	struct virtio_ntb *vntb = ctx;

	/* A status write in progress stops waiting at once on link down. */
	wake_up_all(&vntb->ack_wq);
	queue_work(vntb->wq, &vntb->ctrl_work);
}

static void virtio_ntb_db_event(void *ctx, int vector)
{
	struct virtio_ntb *vntb = ctx;
	struct virtio_ntb_vdev *vd;
	u64 db = ntb_db_read(vntb->ntb);
	unsigned int q;

	ntb_db_clear(vntb->ntb, db);

	if (db & BIT_ULL(VIRTIO_NTB_DB_CTRL)) {
		wake_up_all(&vntb->ack_wq);
		queue_work(vntb->wq, &vntb->ctrl_work);
	}

	/* The copies of the used buffers are for BH context, not here. */
	rcu_read_lock();
	vd = rcu_dereference(vntb->vd);
	for (q = 0; vd && q < VIRTIO_NTB_MAX_QUEUES; q++) {
		struct virtio_ntb_vq *nvq;

		if (!(db & BIT_ULL(virtio_ntb_queue_db(q, vntb->db_bits))))
			continue;
		nvq = rcu_dereference(vd->vqs[q]);
		if (nvq) {
			virtio_ntb_stat_add(vntb->stats,
					    VIRTIO_NTB_STAT_DOORBELLS_RECEIVED, 1);
			queue_work(nvq->wq, &nvq->work);
		}
	}
	rcu_read_unlock();
}

static const struct ntb_ctx_ops virtio_ntb_ctx_ops = {
	.link_event	= virtio_ntb_link_event,
	.db_event	= virtio_ntb_db_event,
};

/* --- probe and remove ----------------------------------------------------- */

static void virtio_ntb_parent_release(struct device *dev)
{
	kfree(dev);
}

/*
 * The parent of the virtio device: a device of our own below the NTB
 * device, whose DMA API allocations are ordinary memory.
 * virtio_rpmsg_bus allocates its buffers with dma_alloc_coherent() on the
 * parent, as remoteproc gives it one; the NTB device has no DMA settings,
 * and the device behind it may allocate from a pool that is not in the
 * linear map. This transport copies buffers by their physical address,
 * with the CPU: ordinary memory is what it needs.
 */
static struct device *virtio_ntb_parent_add(struct ntb_dev *ntb)
{
	struct device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	int err;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	device_initialize(dev);
	dev->parent = &ntb->dev;
	dev->release = virtio_ntb_parent_release;
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev->dma_mask = &dev->coherent_dma_mask;
	err = dev_set_name(dev, "virtio_ntb");
	if (!err)
		err = device_add(dev);
	if (err) {
		put_device(dev);
		return ERR_PTR(err);
	}
	return dev;
}

static int virtio_ntb_probe(struct ntb_client *client, struct ntb_dev *ntb)
{
	struct virtio_ntb *vntb;
	u64 valid;
	int err;

	valid = ntb_db_valid_mask(ntb);
	if (ntb_peer_port_count(ntb) != 1 ||
	    ntb_spad_count(ntb) < VIRTIO_NTB_SPAD_COUNT ||
	    !virtio_ntb_db_bits(valid))
		return -ENODEV;

	vntb = kzalloc(sizeof(*vntb), GFP_KERNEL);
	if (!vntb)
		return -ENOMEM;

	vntb->ntb = ntb;
	vntb->db_bits = virtio_ntb_db_bits(valid);
	mutex_init(&vntb->lock);
	INIT_WORK(&vntb->ctrl_work, virtio_ntb_ctrl_work);
	init_waitqueue_head(&vntb->ack_wq);
	vntb->stats = alloc_percpu(struct virtio_ntb_stats);
	if (!vntb->stats) {
		err = -ENOMEM;
		goto err_free;
	}
	vntb->wq = alloc_ordered_workqueue("virtio_ntb/%s", 0,
					   dev_name(&ntb->dev));
	if (!vntb->wq) {
		err = -ENOMEM;
		goto err_stats;
	}
	vntb->parent = virtio_ntb_parent_add(ntb);
	if (IS_ERR(vntb->parent)) {
		err = PTR_ERR(vntb->parent);
		goto err_wq;
	}

	err = ntb_set_ctx(ntb, vntb, &virtio_ntb_ctx_ops);
	if (err)
		goto err_parent;

	ntb_db_clear(ntb, valid);
	ntb_db_clear_mask(ntb, GENMASK_ULL(vntb->db_bits - 1, 0));
	err = ntb_link_enable(ntb, NTB_SPEED_AUTO, NTB_WIDTH_AUTO);
	if (err)
		goto err_ctx;

	vntb->debugfs = debugfs_create_dir(dev_name(&ntb->dev),
					   virtio_ntb_debugfs);
	debugfs_create_file("stats", 0400, vntb->debugfs, &vntb->stats,
			    &virtio_ntb_stats_fops);

	/* The link may be up already. */
	queue_work(vntb->wq, &vntb->ctrl_work);
	return 0;

err_ctx:
	ntb_db_set_mask(ntb, valid);
	ntb_clear_ctx(ntb);
err_parent:
	device_unregister(vntb->parent);
err_wq:
	destroy_workqueue(vntb->wq);
err_stats:
	free_percpu(vntb->stats);
err_free:
	kfree(vntb);
	return err;
}

static void virtio_ntb_remove(struct ntb_client *client, struct ntb_dev *ntb)
{
	struct virtio_ntb *vntb = ntb->ctx;

	debugfs_remove(vntb->debugfs);

	/*
	 * No new device, and no more waiting for the backend: a probe in
	 * progress in the control work ends without it.
	 */
	mutex_lock(&vntb->lock);
	WRITE_ONCE(vntb->dying, true);
	mutex_unlock(&vntb->lock);
	wake_up_all(&vntb->ack_wq);
	cancel_work_sync(&vntb->ctrl_work);

	/*
	 * Reset the device while the link is up, so that the backend learns
	 * of it; our window stays translated until the link is down.
	 */
	mutex_lock(&vntb->lock);
	virtio_ntb_remove_device(vntb, false);
	mutex_unlock(&vntb->lock);

	ntb_link_disable(ntb);
	ntb_db_set_mask(ntb, ntb_db_valid_mask(ntb));
	ntb_clear_ctx(ntb);
	destroy_workqueue(vntb->wq);

	mutex_lock(&vntb->lock);
	virtio_ntb_disconnect(vntb);
	mutex_unlock(&vntb->lock);

	if (vntb->window.virt)
		virtio_ntb_free_window(vntb);
	device_unregister(vntb->parent);
	free_percpu(vntb->stats);
	kfree(vntb);
}

static struct ntb_client virtio_ntb_client = {
	.ops = {
		.probe	= virtio_ntb_probe,
		.remove	= virtio_ntb_remove,
	},
};

static int __init virtio_ntb_init(void)
{
	int err;

	virtio_ntb_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	err = ntb_register_client(&virtio_ntb_client);
	if (err)
		debugfs_remove(virtio_ntb_debugfs);
	return err;
}
module_init(virtio_ntb_init);

static void __exit virtio_ntb_exit(void)
{
	ntb_unregister_client(&virtio_ntb_client);
	debugfs_remove(virtio_ntb_debugfs);
}
module_exit(virtio_ntb_exit);

MODULE_DESCRIPTION("virtio devices across a Non-Transparent Bridge");
MODULE_LICENSE("GPL");
