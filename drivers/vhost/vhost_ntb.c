// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-ntb: virtio devices implemented on this host for a frontend on the
 * other side of a Non-Transparent Bridge.
 *
 * An NTB client on the backend host. It registers a device on the vhost
 * bus, which a client (vhost-net, ...) implements, and carries the
 * frontend's virtio-ntb transport (drivers/virtio/virtio_ntb.c) to it. Each
 * host reads only its own memory: the descriptor tables, the driver rings
 * and the buffers the device reads are in our window, where the frontend
 * writes them; the device rings and the buffers the device writes are in
 * the frontend's, where we write them. The client walks the rings with
 * vringh_*_mmio().
 *
 * The protocol is specified in Documentation/driver-api/virtio/virtio_ntb.rst.
 */

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/ntb.h>
#include <linux/slab.h>
#include <linux/vhost_bus.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ntb.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_ring.h>

/* The most of our inbound window we give to one connection. */
#define VHOST_NTB_MAX_WINDOW	SZ_16M
/* The most entries per virtqueue the device offers. */
#define VHOST_NTB_QUEUE_SIZE	256

/**
 * struct vhost_ntb - the backend side of one NTB device
 * @vdev: the device on the vhost bus.
 * @ntb: the NTB device.
 * @window: our inbound window: the driver block, then the buffers the
 *	device reads, written there by the frontend. Set up at the first link
 *	up, under @lock.
 * @db_bits: the doorbell bits we receive.
 * @lock: protects the fields below, but for @vq_lock, @vqs and @nvqs.
 * @peer: the frontend's window, mapped while connected: the device block,
 *	the rings and the buffers the device writes.
 * @peer_size: its size, as the frontend announced it.
 * @peer_db_bits: the doorbell bits the frontend receives.
 * @session: our session number, new at each link up; 0 while down.
 * @peer_session: the last frontend session seen, 0 for none.
 * @status_seq: the last status write of the frontend handled.
 * @connected: the handshake completed in this link session.
 * @mismatch: a wrong magic, version or role was reported already.
 * @enabled: a client is bound; the device block shows a device.
 * @dying: the NTB device is going away: stop calling the bus core.
 * @shadow: the device block as we publish it, so that we never read it
 *	back across the link.
 * @vq_lock: protects @vqs and @nvqs against the doorbell handler.
 * @vqs: the client's queues, for kicks.
 * @nvqs: the number of @vqs.
 * @ctrl_work: handles doorbell bit 0 and link events.
 * @stats: what the data path did, per CPU, in debugfs.
 * @debugfs: our directory there.
 */
struct vhost_ntb {
	struct vhost_bus_device vdev;
	struct ntb_dev *ntb;
	struct virtio_ntb_window window;
	unsigned int db_bits;

	struct mutex lock;		/* connection and published state */
	void __iomem *peer;
	resource_size_t peer_size;
	unsigned int peer_db_bits;
	u32 session;
	u32 peer_session;
	u32 status_seq;
	bool connected;
	bool mismatch;
	bool enabled;
	bool dying;
	struct virtio_ntb_device_block shadow;

	spinlock_t vq_lock;		/* @vqs against doorbells */
	struct vhost_bus_vq *vqs;
	unsigned int nvqs;

	struct work_struct ctrl_work;
	struct virtio_wire_stats __percpu *stats;
	struct dentry *debugfs;
};

static struct dentry *vhost_ntb_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats);

static inline struct vhost_ntb *to_vhost_ntb(struct vhost_bus_device *vdev)
{
	return container_of(vdev, struct vhost_ntb, vdev);
}

static inline struct virtio_ntb_driver_block *
vhost_ntb_drvblk(struct vhost_ntb *vntb)
{
	return vntb->window.virt;
}

/* Write part of the shadow device block across, if connected. */
static void vhost_ntb_publish(struct vhost_ntb *vntb, size_t offset,
			      size_t len)
{
	lockdep_assert_held(&vntb->lock);

	if (vntb->connected)
		memcpy_toio(vntb->peer + offset, (void *)&vntb->shadow + offset,
			    len);
}

/* Write one field of the shadow device block across, if connected. */
static void vhost_ntb_publish_field(struct vhost_ntb *vntb, const void *field,
				    size_t len)
{
	vhost_ntb_publish(vntb, field - (const void *)&vntb->shadow, len);
}

static void vhost_ntb_ring_ctrl(struct vhost_ntb *vntb)
{
	lockdep_assert_held(&vntb->lock);

	if (vntb->connected) {
		/* What we published before the doorbell. */
		wmb();
		ntb_peer_db_set(vntb->ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
	}
}

/*
 * The whole device block, the device id and magic last, so that the
 * frontend sees a device only once everything else is there.
 */
static void vhost_ntb_publish_all(struct vhost_ntb *vntb)
{
	struct virtio_ntb_device_block *s = &vntb->shadow;

	lockdep_assert_held(&vntb->lock);

	s->version = cpu_to_le32(VIRTIO_NTB_VERSION);
	s->vendor_id = cpu_to_le32(vntb->vdev.id.vendor);
	s->device_id = 0;
	s->magic = 0;
	vhost_ntb_publish(vntb, 0, sizeof(*s));
	if (!vntb->enabled)
		return;

	s->device_id = cpu_to_le32(vntb->vdev.id.device);
	s->magic = cpu_to_le32(VIRTIO_NTB_MAGIC);
	/* Write-combining reorders: the block, the device id, the magic. */
	wmb();
	vhost_ntb_publish_field(vntb, &vntb->shadow.device_id,
				sizeof(vntb->shadow.device_id));
	/* The device id before the magic. */
	wmb();
	vhost_ntb_publish_field(vntb, &vntb->shadow.magic,
				sizeof(vntb->shadow.magic));
}

/* --- vhost bus configuration operations ----------------------------------- */

static int vhost_ntb_create_vqs(struct vhost_bus_device *vdev,
				unsigned int nvqs, struct vhost_bus_vq *vqs)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);
	unsigned int i;

	if (nvqs > VIRTIO_NTB_MAX_QUEUES)
		return -EINVAL;

	mutex_lock(&vntb->lock);
	vntb->shadow.num_queues = cpu_to_le16(nvqs);
	for (i = 0; i < VIRTIO_NTB_MAX_QUEUES; i++)
		vntb->shadow.queue_size_max[i] =
			cpu_to_le16(i < nvqs ? vqs[i].num_max : 0);
	vhost_ntb_publish_field(vntb, &vntb->shadow.num_queues,
				sizeof(vntb->shadow.num_queues));
	vhost_ntb_publish_field(vntb, &vntb->shadow.queue_size_max,
				sizeof(vntb->shadow.queue_size_max));
	mutex_unlock(&vntb->lock);

	spin_lock_irq(&vntb->vq_lock);
	vntb->vqs = vqs;
	vntb->nvqs = nvqs;
	spin_unlock_irq(&vntb->vq_lock);
	return 0;
}

static void vhost_ntb_del_vqs(struct vhost_bus_device *vdev)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	spin_lock_irq(&vntb->vq_lock);
	vntb->vqs = NULL;
	vntb->nvqs = 0;
	spin_unlock_irq(&vntb->vq_lock);

	mutex_lock(&vntb->lock);
	vntb->shadow.num_queues = 0;
	memset(vntb->shadow.queue_size_max, 0,
	       sizeof(vntb->shadow.queue_size_max));
	vhost_ntb_publish_field(vntb, &vntb->shadow.num_queues,
				sizeof(vntb->shadow.num_queues));
	vhost_ntb_publish_field(vntb, &vntb->shadow.queue_size_max,
				sizeof(vntb->shadow.queue_size_max));
	mutex_unlock(&vntb->lock);
}

/* The size of a window, by its VIRTIO_NTB_ADDR_* number, or 0. */
static resource_size_t vhost_ntb_window_size(struct vhost_ntb *vntb,
					     unsigned int window)
{
	switch (window) {
	case VIRTIO_NTB_ADDR_FRONTEND:
		return vntb->peer_size;
	case VIRTIO_NTB_ADDR_BACKEND:
		return vntb->window.size;
	default:
		return 0;
	}
}

/*
 * Which window [@addr, @addr + @len) lies in, past its control block:
 * VIRTIO_NTB_ADDR_FRONTEND or VIRTIO_NTB_ADDR_BACKEND, with its offset
 * there in @off; or 0 if in neither. Every address the frontend gives is
 * checked here.
 */
static unsigned int vhost_ntb_locate(struct vhost_ntb *vntb, u64 addr,
				     u64 len, u64 *off)
{
	unsigned int window = FIELD_GET(VIRTIO_NTB_ADDR_WINDOW, addr);
	resource_size_t size = vhost_ntb_window_size(vntb, window);

	*off = FIELD_GET(VIRTIO_NTB_ADDR_OFFSET, addr);
	if (*off < VIRTIO_NTB_CTRL_SIZE || *off >= size || len > size - *off)
		return 0;
	return window;
}

/* Is a part of a ring in @window, aligned? Sets @off to its offset there. */
static bool vhost_ntb_ring_part(struct vhost_ntb *vntb, u64 addr, u64 len,
				u64 align, unsigned int window, u64 *off)
{
	return vhost_ntb_locate(vntb, addr, len, off) == window &&
	       IS_ALIGNED(addr, align);
}

/*
 * Map the ring the frontend described for @vq (virtio 1.2, "Virtqueues":
 * alignment 16, 2 and 4). Each part is where its reader is: the
 * descriptor table and the driver ring in our window, the device ring in
 * the frontend's, mapped since the connection; so only check them.
 */
static int vhost_ntb_start_vq(struct vhost_bus_vq *vq)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vq->vdev);
	u64 desc, avail, used, desc_off, avail_off, used_off;
	struct virtio_ntb_queue *q;
	void *local;
	unsigned int num;

	/* vhost_ntb_create_vqs() made no more queues than this. */
	q = &vhost_ntb_drvblk(vntb)->queues[vq->index];
	if (!le16_to_cpu(READ_ONCE(q->enable)))
		return -ENOENT;

	num = le16_to_cpu(READ_ONCE(q->size));
	desc = le64_to_cpu(READ_ONCE(q->desc));
	avail = le64_to_cpu(READ_ONCE(q->avail));
	used = le64_to_cpu(READ_ONCE(q->used));

	if (!num || !is_power_of_2(num) || num > vq->num_max ||
	    !vhost_ntb_ring_part(vntb, desc, 16ULL * num, 16,
				 VIRTIO_NTB_ADDR_BACKEND, &desc_off) ||
	    !vhost_ntb_ring_part(vntb, avail, 6 + 2ULL * num, 2,
				 VIRTIO_NTB_ADDR_BACKEND, &avail_off) ||
	    !vhost_ntb_ring_part(vntb, used, 6 + 8ULL * num, 4,
				 VIRTIO_NTB_ADDR_FRONTEND, &used_off)) {
		dev_err(&vntb->vdev.dev,
			"queue %u: bad ring: %u entries at %#llx %#llx %#llx\n",
			vq->index, num, desc, avail, used);
		return -EINVAL;
	}

	/*
	 * Our window is memory the frontend writes through the bridge; the
	 * accessors of vringh_*_mmio() read it as well as they would an I/O
	 * mapping, with the barriers a bus master's writes need.
	 */
	local = vntb->window.virt;
	return vringh_init_mmio(&vq->vrh, vhost_get_features(vq->vdev), num,
				(void __iomem __force *)(local + desc_off),
				(void __iomem __force *)(local + avail_off),
				vntb->peer + used_off);
}

static void vhost_ntb_stop_vq(struct vhost_bus_vq *vq)
{
	/* The frontend's window stays mapped for the whole connection. */
}

/*
 * A buffer address from a ring: in either window. The client copies with
 * vhost_read() and vhost_write(), which check the window again, so the
 * translation here only serves vringh's range checks.
 */
static bool vhost_ntb_getrange(struct vhost_bus_vq *vq, u64 addr,
			       struct vringh_range *r)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vq->vdev);
	u64 base = addr & VIRTIO_NTB_ADDR_WINDOW;
	unsigned int window;
	unsigned long vaddr;
	u64 off;

	window = vhost_ntb_locate(vntb, addr, 1, &off);
	if (!window)
		return false;
	if (window == VIRTIO_NTB_ADDR_FRONTEND)
		vaddr = (__force unsigned long)vntb->peer;
	else
		vaddr = (unsigned long)vntb->window.virt;

	r->start = base + VIRTIO_NTB_CTRL_SIZE;
	r->end_incl = base + vhost_ntb_window_size(vntb, window) - 1;
	r->offset = vaddr - base;
	return true;
}

/*
 * A read of the frontend's window: it stalls for a round trip, and a
 * frontend following the protocol never asks for one. Count it.
 */
static void vhost_ntb_read_across(struct vhost_ntb *vntb, void *buf, u64 off,
				  size_t len)
{
	memcpy_fromio(buf, vntb->peer + off, len);
	virtio_wire_stat_add(vntb->stats, VIRTIO_WIRE_STAT_READS_ACROSS, 1);
	virtio_wire_stat_add(vntb->stats, VIRTIO_WIRE_STAT_READ_BYTES_ACROSS, len);
}

static int vhost_ntb_xfer(struct vhost_bus_device *vdev,
			  const struct vhost_bus_xfer *xfer)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);
	bool read = xfer->dir == VHOST_BUS_XFER_READ;
	unsigned int i;

	for (i = 0; i < xfer->nr_segs; i++) {
		const struct vhost_bus_xfer_seg *seg = &xfer->segs[i];
		u64 off;

		switch (vhost_ntb_locate(vntb, seg->addr, seg->len, &off)) {
		case VIRTIO_NTB_ADDR_FRONTEND:
			if (read) {
				vhost_ntb_read_across(vntb, seg->buf, off,
						      seg->len);
				break;
			}
			/* Writes across are posted. */
			memcpy_toio(vntb->peer + off, seg->buf, seg->len);
			virtio_wire_stat_add(vntb->stats,
					     VIRTIO_WIRE_STAT_BYTES_TO_PEER,
					     seg->len);
			break;
		case VIRTIO_NTB_ADDR_BACKEND:
			if (read)
				memcpy(seg->buf, vntb->window.virt + off,
				       seg->len);
			else
				memcpy(vntb->window.virt + off, seg->buf,
				       seg->len);
			virtio_wire_stat_add(vntb->stats,
					     VIRTIO_WIRE_STAT_BYTES_LOCAL,
					     seg->len);
			break;
		default:
			return -EFAULT;
		}
	}
	return 0;
}

static void vhost_ntb_notify(struct vhost_bus_vq *vq)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vq->vdev);
	unsigned int bit = virtio_ntb_queue_db(vq->index, vntb->peer_db_bits);

	/* The used ring entries before the interrupt. */
	wmb();
	ntb_peer_db_set(vntb->ntb, BIT_ULL(bit));
	virtio_wire_stat_add(vntb->stats, VIRTIO_WIRE_STAT_DOORBELLS_SENT, 1);
}

static void vhost_ntb_set_features(struct vhost_bus_device *vdev,
				   u64 features)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	mutex_lock(&vntb->lock);
	vntb->shadow.device_features = cpu_to_le64(features);
	vhost_ntb_publish_field(vntb, &vntb->shadow.device_features,
				sizeof(vntb->shadow.device_features));
	mutex_unlock(&vntb->lock);
}

static u64 vhost_ntb_get_features(struct vhost_bus_device *vdev)
{
	struct virtio_ntb_driver_block *blk = vhost_ntb_drvblk(to_vhost_ntb(vdev));

	return le64_to_cpu(READ_ONCE(blk->driver_features));
}

static void vhost_ntb_set_status(struct vhost_bus_device *vdev, u8 status)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	mutex_lock(&vntb->lock);
	vntb->shadow.status = cpu_to_le32(status);
	vhost_ntb_publish_field(vntb, &vntb->shadow.status,
				sizeof(vntb->shadow.status));
	mutex_unlock(&vntb->lock);
}

static int vhost_ntb_get_config(struct vhost_bus_device *vdev,
				unsigned int offset, void *buf,
				unsigned int len)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	if (offset > VIRTIO_NTB_CONFIG_SIZE ||
	    len > VIRTIO_NTB_CONFIG_SIZE - offset)
		return -EINVAL;

	mutex_lock(&vntb->lock);
	memcpy(buf, vntb->shadow.config + offset, len);
	mutex_unlock(&vntb->lock);
	return 0;
}

static void vhost_ntb_bump_generation(struct vhost_ntb *vntb)
{
	u32 gen = le32_to_cpu(vntb->shadow.config_generation);

	vntb->shadow.config_generation = cpu_to_le32(gen + 1);
	vhost_ntb_publish_field(vntb, &vntb->shadow.config_generation,
				sizeof(vntb->shadow.config_generation));
}

static int vhost_ntb_set_config(struct vhost_bus_device *vdev,
				unsigned int offset, const void *buf,
				unsigned int len)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);
	u16 end = offset + len;

	if (offset > VIRTIO_NTB_CONFIG_SIZE ||
	    len > VIRTIO_NTB_CONFIG_SIZE - offset)
		return -EINVAL;

	mutex_lock(&vntb->lock);
	memcpy(vntb->shadow.config + offset, buf, len);
	if (end > le16_to_cpu(vntb->shadow.config_len))
		vntb->shadow.config_len = cpu_to_le16(end);
	/*
	 * A seqlock writer (virtio_ntb.rst, "Configuration space"): the
	 * generation odd, the bytes, the generation even. Write-combining
	 * reorders posted writes, so each step is fenced.
	 */
	vhost_ntb_bump_generation(vntb);
	/* The odd generation before the bytes. */
	wmb();
	vhost_ntb_publish(vntb,
			  offsetof(struct virtio_ntb_device_block, config) +
			  offset, len);
	vhost_ntb_publish_field(vntb, &vntb->shadow.config_len,
				sizeof(vntb->shadow.config_len));
	/* The bytes before the even generation. */
	wmb();
	vhost_ntb_bump_generation(vntb);
	mutex_unlock(&vntb->lock);
	return 0;
}

/*
 * The generation on the wire is ours (a sequence count, even when stable),
 * not the bus core's: only the doorbell is left to do.
 */
static void vhost_ntb_config_changed(struct vhost_bus_device *vdev,
				     u32 generation)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	mutex_lock(&vntb->lock);
	vhost_ntb_ring_ctrl(vntb);
	mutex_unlock(&vntb->lock);
}

static void vhost_ntb_enable(struct vhost_bus_device *vdev)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	mutex_lock(&vntb->lock);
	vntb->enabled = true;
	vhost_ntb_publish_all(vntb);
	vhost_ntb_ring_ctrl(vntb);
	mutex_unlock(&vntb->lock);
}

static void vhost_ntb_disable(struct vhost_bus_device *vdev)
{
	struct vhost_ntb *vntb = to_vhost_ntb(vdev);

	mutex_lock(&vntb->lock);
	vntb->enabled = false;
	vntb->shadow.device_id = 0;
	vhost_ntb_publish_field(vntb, &vntb->shadow.device_id,
				sizeof(vntb->shadow.device_id));
	vhost_ntb_ring_ctrl(vntb);
	mutex_unlock(&vntb->lock);
}

static const struct vhost_bus_config_ops vhost_ntb_ops = {
	.create_vqs	= vhost_ntb_create_vqs,
	.del_vqs	= vhost_ntb_del_vqs,
	.start_vq	= vhost_ntb_start_vq,
	.stop_vq	= vhost_ntb_stop_vq,
	.getrange	= vhost_ntb_getrange,
	.xfer		= vhost_ntb_xfer,
	.notify		= vhost_ntb_notify,
	.set_features	= vhost_ntb_set_features,
	.get_features	= vhost_ntb_get_features,
	.set_status	= vhost_ntb_set_status,
	.get_config	= vhost_ntb_get_config,
	.set_config	= vhost_ntb_set_config,
	.config_changed	= vhost_ntb_config_changed,
	.enable		= vhost_ntb_enable,
	.disable	= vhost_ntb_disable,
};

/* --- connection ----------------------------------------------------------- */

/*
 * Forget the frontend: reset the device as if it had written 0, so that the
 * client stops using the rings, then unmap its window. Called without
 * &vhost_ntb.lock, which the bus core's callbacks take.
 */
static void vhost_ntb_disconnect(struct vhost_ntb *vntb)
{
	bool was, dying;

	mutex_lock(&vntb->lock);
	was = vntb->connected;
	dying = vntb->dying;
	vntb->connected = false;
	mutex_unlock(&vntb->lock);
	if (!was)
		return;

	if (!dying)
		vhost_bus_frontend_set_status(&vntb->vdev, 0);

	mutex_lock(&vntb->lock);
	iounmap(vntb->peer);
	vntb->peer = NULL;
	vntb->status_seq = 0;
	mutex_unlock(&vntb->lock);
}

static int vhost_ntb_connect(struct vhost_ntb *vntb, u32 window)
{
	void __iomem *peer;
	resource_size_t size;

	lockdep_assert_held(&vntb->lock);

	peer = virtio_ntb_map_peer_window(vntb->ntb, window, &size);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	vntb->peer = peer;
	vntb->peer_size = size;
	vntb->status_seq = 0;
	vntb->connected = true;

	vntb->shadow.status = cpu_to_le32(vhost_get_status(&vntb->vdev));
	vntb->shadow.status_ack = 0;
	vhost_ntb_publish_all(vntb);
	vhost_ntb_ring_ctrl(vntb);
	return 0;
}

static void vhost_ntb_hello(struct vhost_ntb *vntb)
{
	struct virtio_ntb_hello hello;

	lockdep_assert_held(&vntb->lock);

	memset(vntb->window.virt, 0, VIRTIO_NTB_CTRL_SIZE);
	virtio_ntb_new_hello(&hello, vntb->db_bits, vntb->window.widx,
			     vntb->window.size);
	vntb->session = hello.session;
	vntb->peer_session = 0;
	vntb->mismatch = false;

	virtio_ntb_announce(vntb->ntb, VIRTIO_NTB_ROLE_BACKEND, &hello);
}

/* Handle a status write of the frontend, if there is a new one. */
static void vhost_ntb_status_work(struct vhost_ntb *vntb)
{
	struct virtio_ntb_driver_block *blk = vhost_ntb_drvblk(vntb);
	u32 seq, status;

	mutex_lock(&vntb->lock);
	seq = le32_to_cpu(READ_ONCE(blk->status_seq));
	if (!vntb->connected || seq == vntb->status_seq) {
		mutex_unlock(&vntb->lock);
		return;
	}
	/* The status and what the frontend wrote before it, after seq. */
	dma_rmb();
	status = le32_to_cpu(READ_ONCE(blk->status));
	vntb->status_seq = seq;
	mutex_unlock(&vntb->lock);

	/* The core publishes the outcome through vhost_ntb_set_status(). */
	vhost_bus_frontend_set_status(&vntb->vdev, status & 0xff);

	mutex_lock(&vntb->lock);
	vntb->shadow.status_ack = cpu_to_le32(seq);
	/* The status before its acknowledgment. */
	wmb();
	vhost_ntb_publish_field(vntb, &vntb->shadow.status_ack,
				sizeof(vntb->shadow.status_ack));
	vhost_ntb_ring_ctrl(vntb);
	mutex_unlock(&vntb->lock);
}

static void vhost_ntb_ctrl_work(struct work_struct *work)
{
	struct vhost_ntb *vntb = container_of(work, struct vhost_ntb,
					      ctrl_work);
	struct ntb_dev *ntb = vntb->ntb;
	struct virtio_ntb_hello peer;
	int err;

	mutex_lock(&vntb->lock);
	if (vntb->dying)
		goto out_unlock;
	if (!ntb_link_is_up(ntb, NULL, NULL)) {
		vntb->session = 0;
		mutex_unlock(&vntb->lock);
		vhost_ntb_disconnect(vntb);
		return;
	}
	/* Window alignment is only known with the link up. */
	if (!vntb->window.virt) {
		err = virtio_ntb_window_setup(vntb->ntb, VHOST_NTB_MAX_WINDOW,
					      &vntb->window);
		if (err) {
			dev_err(&vntb->ntb->dev, "cannot set up window: %d\n",
				err);
			goto out_unlock;
		}
	}
	if (!vntb->session)
		vhost_ntb_hello(vntb);

	if (virtio_ntb_read_hello(ntb, VIRTIO_NTB_ROLE_FRONTEND, &peer,
				  &vntb->mismatch))
		goto out_unlock;

	if (peer.session && peer.session != vntb->peer_session) {
		/* The frontend (re)started: reset the device it drove. */
		mutex_unlock(&vntb->lock);
		vhost_ntb_disconnect(vntb);
		mutex_lock(&vntb->lock);
		vntb->peer_session = peer.session;
		ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_ECHO, peer.session);
		ntb_peer_db_set(ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
	}

	if (!vntb->connected) {
		if (peer.echo != vntb->session || !vntb->peer_session)
			goto out_unlock;
		vntb->peer_db_bits = peer.db_bits;
		err = vhost_ntb_connect(vntb, peer.window);
		if (err) {
			dev_err(&ntb->dev, "cannot connect: %d\n", err);
			goto out_unlock;
		}
		dev_dbg(&ntb->dev, "connected, session %08x, frontend %08x\n",
			vntb->session, vntb->peer_session);
	}
	mutex_unlock(&vntb->lock);

	vhost_ntb_status_work(vntb);
	return;

out_unlock:
	mutex_unlock(&vntb->lock);
}

/* --- NTB events ----------------------------------------------------------- */

static void vhost_ntb_link_event(void *ctx)
{
	struct vhost_ntb *vntb = ctx;

	schedule_work(&vntb->ctrl_work);
}

static void vhost_ntb_db_event(void *ctx, int vector)
{
	struct vhost_ntb *vntb = ctx;
	u64 db = ntb_db_read(vntb->ntb);
	unsigned long flags;
	unsigned int q;

	ntb_db_clear(vntb->ntb, db);

	if (db & BIT_ULL(VIRTIO_NTB_DB_CTRL))
		schedule_work(&vntb->ctrl_work);

	spin_lock_irqsave(&vntb->vq_lock, flags);
	for (q = 0; q < vntb->nvqs; q++) {
		if (db & BIT_ULL(virtio_ntb_queue_db(q, vntb->db_bits))) {
			virtio_wire_stat_add(vntb->stats,
					     VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED, 1);
			vhost_bus_frontend_kick(&vntb->vqs[q]);
		}
	}
	spin_unlock_irqrestore(&vntb->vq_lock, flags);
}

static const struct ntb_ctx_ops vhost_ntb_ctx_ops = {
	.link_event	= vhost_ntb_link_event,
	.db_event	= vhost_ntb_db_event,
};

/* --- probe and remove ----------------------------------------------------- */

static int vhost_ntb_probe(struct ntb_client *client, struct ntb_dev *ntb)
{
	struct virtio_wire_stats __percpu *stats;
	struct vhost_ntb *vntb;
	u64 valid;
	int err;

	valid = ntb_db_valid_mask(ntb);
	if (ntb_peer_port_count(ntb) != 1 ||
	    ntb_spad_count(ntb) < VIRTIO_NTB_SPAD_COUNT ||
	    !virtio_ntb_db_bits(valid))
		return -ENODEV;

	vntb = vhost_bus_alloc_device(struct vhost_ntb, vdev, &ntb->dev,
				      &vhost_ntb_ops);
	if (!vntb)
		return -ENOMEM;

	vntb->ntb = ntb;
	vntb->db_bits = virtio_ntb_db_bits(valid);
	mutex_init(&vntb->lock);
	spin_lock_init(&vntb->vq_lock);
	INIT_WORK(&vntb->ctrl_work, vhost_ntb_ctrl_work);

	vntb->vdev.num_queues = VIRTIO_NTB_MAX_QUEUES;
	vntb->vdev.queue_size = VHOST_NTB_QUEUE_SIZE;
	vntb->vdev.transport_features = BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
					BIT_ULL(VIRTIO_F_ORDER_PLATFORM);
	vntb->vdev.atomic_data_path = true;
	stats = alloc_percpu(struct virtio_wire_stats);
	if (!stats) {
		vhost_bus_put_device(&vntb->vdev);
		return -ENOMEM;
	}
	vntb->stats = stats;

	/* Events may use the device as soon as the context is set. */
	err = vhost_register_device(&vntb->vdev);
	if (err) {
		vhost_bus_put_device(&vntb->vdev);
		free_percpu(stats);
		return err;
	}

	err = ntb_set_ctx(ntb, vntb, &vhost_ntb_ctx_ops);
	if (err)
		goto err_unregister;

	ntb_db_clear(ntb, valid);
	ntb_db_clear_mask(ntb, GENMASK_ULL(vntb->db_bits - 1, 0));
	err = ntb_link_enable(ntb, NTB_SPEED_AUTO, NTB_WIDTH_AUTO);
	if (err)
		goto err_ctx;

	vntb->debugfs = debugfs_create_dir(dev_name(&ntb->dev),
					   vhost_ntb_debugfs);
	debugfs_create_file("stats", 0400, vntb->debugfs, &vntb->stats,
			    &virtio_wire_stats_fops);

	/* The link may be up already. */
	schedule_work(&vntb->ctrl_work);
	return 0;

err_ctx:
	ntb_db_set_mask(ntb, valid);
	ntb_clear_ctx(ntb);
err_unregister:
	/* The last reference: @vntb is gone after this. */
	vhost_unregister_device(&vntb->vdev);
	free_percpu(stats);
	return err;
}

static void vhost_ntb_remove(struct ntb_client *client, struct ntb_dev *ntb)
{
	struct vhost_ntb *vntb = ntb->ctx;

	/* Keep the memory past vhost_unregister_device(). */
	get_device(&vntb->vdev.dev);
	debugfs_remove(vntb->debugfs);

	mutex_lock(&vntb->lock);
	vntb->dying = true;
	mutex_unlock(&vntb->lock);
	cancel_work_sync(&vntb->ctrl_work);

	/* The client goes, and the frontend learns the device went. */
	vhost_unregister_device(&vntb->vdev);

	ntb_link_disable(ntb);
	ntb_db_set_mask(ntb, ntb_db_valid_mask(ntb));
	ntb_clear_ctx(ntb);
	cancel_work_sync(&vntb->ctrl_work);
	vhost_ntb_disconnect(vntb);

	virtio_ntb_window_free(ntb, &vntb->window);
	free_percpu(vntb->stats);
	put_device(&vntb->vdev.dev);
}

static struct ntb_client vhost_ntb_client = {
	.ops = {
		.probe	= vhost_ntb_probe,
		.remove	= vhost_ntb_remove,
	},
};

static int __init vhost_ntb_init(void)
{
	int err;

	vhost_ntb_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	err = ntb_register_client(&vhost_ntb_client);
	if (err)
		debugfs_remove(vhost_ntb_debugfs);
	return err;
}
module_init(vhost_ntb_init);

static void __exit vhost_ntb_exit(void)
{
	ntb_unregister_client(&vhost_ntb_client);
	debugfs_remove(vhost_ntb_debugfs);
}
module_exit(vhost_ntb_exit);

MODULE_DESCRIPTION("vhost bus devices for a virtio-ntb frontend across an NTB");
MODULE_LICENSE("GPL");
