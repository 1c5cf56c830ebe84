// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device side of wire rings: the vhost bus operations of a device
 * whose frontend put each part of a ring in the memory of its reader.
 *
 * The transport (vhost-ntb, vhost-pci-epf) owns the two regions and the
 * connection; this keeps the device block the frontend reads, takes the
 * frontend's status writes to the bus core, checks the rings and the
 * buffer addresses the frontend gives against the regions, and moves the
 * client's data with the CPU. The client walks the rings with
 * vringh_*_mmio().
 */

#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/vhost_wire.h>
#include <linux/virtio_config.h>

static inline struct vhost_wire *to_vhost_wire(struct vhost_bus_device *vdev)
{
	return container_of(vdev, struct vhost_wire, vdev);
}

/**
 * vhost_wire_publish() - write part of the device block across
 * @wire: the device, with &vhost_wire.lock held.
 * @offset: the offset of the part in the device block.
 * @len: its length.
 *
 * Writes what &vhost_wire.shadow holds there, if connected. The transport
 * uses it for the words of the device block that are its own.
 */
void vhost_wire_publish(struct vhost_wire *wire, size_t offset, size_t len)
{
	lockdep_assert_held(&wire->lock);

	if (wire->connected)
		memcpy_toio(wire->peer + offset, (void *)&wire->shadow + offset,
			    len);
}
EXPORT_SYMBOL_GPL(vhost_wire_publish);

/* Write one field of the shadow device block across, if connected. */
static void vhost_wire_publish_field(struct vhost_wire *wire,
				     const void *field, size_t len)
{
	vhost_wire_publish(wire, field - (const void *)&wire->shadow, len);
}

static void vhost_wire_ring_ctrl(struct vhost_wire *wire)
{
	lockdep_assert_held(&wire->lock);

	if (wire->connected)
		wire->ops->ring_ctrl(wire);
}

/*
 * The whole device block, the device id and magic last, so that the
 * frontend sees a device only once everything else is there.
 */
static void vhost_wire_publish_all(struct vhost_wire *wire)
{
	struct virtio_wire_device_block *s = &wire->shadow;

	lockdep_assert_held(&wire->lock);

	s->version = cpu_to_le32(wire->version);
	s->vendor_id = cpu_to_le32(wire->vdev.id.vendor);
	s->device_id = 0;
	s->magic = 0;
	vhost_wire_publish(wire, 0, sizeof(*s));
	if (!wire->enabled)
		return;

	s->device_id = cpu_to_le32(wire->vdev.id.device);
	s->magic = cpu_to_le32(wire->magic);
	/* Write-combining reorders: the block, the device id, the magic. */
	wmb();
	vhost_wire_publish_field(wire, &wire->shadow.device_id,
				 sizeof(wire->shadow.device_id));
	/* The device id before the magic. */
	wmb();
	vhost_wire_publish_field(wire, &wire->shadow.magic,
				 sizeof(wire->shadow.magic));
}

/* --- vhost bus configuration operations ----------------------------------- */

static int vhost_wire_create_vqs(struct vhost_bus_device *vdev,
				 unsigned int nvqs, struct vhost_bus_vq *vqs)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);
	unsigned int i;

	if (nvqs > VIRTIO_WIRE_MAX_QUEUES)
		return -EINVAL;

	mutex_lock(&wire->lock);
	wire->shadow.num_queues = cpu_to_le16(nvqs);
	for (i = 0; i < VIRTIO_WIRE_MAX_QUEUES; i++)
		wire->shadow.queue_size_max[i] =
			cpu_to_le16(i < nvqs ? vqs[i].num_max : 0);
	vhost_wire_publish_field(wire, &wire->shadow.num_queues,
				 sizeof(wire->shadow.num_queues));
	vhost_wire_publish_field(wire, &wire->shadow.queue_size_max,
				 sizeof(wire->shadow.queue_size_max));
	mutex_unlock(&wire->lock);

	spin_lock_irq(&wire->vq_lock);
	wire->vqs = vqs;
	wire->nvqs = nvqs;
	spin_unlock_irq(&wire->vq_lock);
	return 0;
}

static void vhost_wire_del_vqs(struct vhost_bus_device *vdev)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	spin_lock_irq(&wire->vq_lock);
	wire->vqs = NULL;
	wire->nvqs = 0;
	spin_unlock_irq(&wire->vq_lock);

	mutex_lock(&wire->lock);
	wire->shadow.num_queues = 0;
	memset(wire->shadow.queue_size_max, 0,
	       sizeof(wire->shadow.queue_size_max));
	vhost_wire_publish_field(wire, &wire->shadow.num_queues,
				 sizeof(wire->shadow.num_queues));
	vhost_wire_publish_field(wire, &wire->shadow.queue_size_max,
				 sizeof(wire->shadow.queue_size_max));
	mutex_unlock(&wire->lock);
}

/*
 * Which region [@addr, @addr + @len) lies in, past its control part: its
 * region number, with its offset there in @off; or 0 if in neither. Every
 * address the frontend gives is checked here.
 */
static unsigned int vhost_wire_locate(struct vhost_wire *wire, u64 addr,
				      u64 len, u64 *off)
{
	unsigned int region = FIELD_GET(VIRTIO_WIRE_ADDR_REGION, addr);
	unsigned long start;
	size_t size;

	if (region == wire->local_region) {
		start = wire->local_start;
		size = wire->local_size;
	} else if (region == wire->peer_region) {
		start = wire->peer_start;
		size = wire->peer_size;
	} else {
		return 0;
	}

	*off = FIELD_GET(VIRTIO_WIRE_ADDR_OFFSET, addr);
	if (*off < start || *off >= size || len > size - *off)
		return 0;
	return region;
}

/* Is a part of a ring in @region, aligned? Sets @off to its offset there. */
static bool vhost_wire_ring_part(struct vhost_wire *wire, u64 addr, u64 len,
				 u64 align, unsigned int region, u64 *off)
{
	return vhost_wire_locate(wire, addr, len, off) == region &&
	       IS_ALIGNED(addr, align);
}

/*
 * Map the ring the frontend described for @vq (virtio 1.2, "Virtqueues":
 * alignment 16, 2 and 4). Each part is where its reader is: the
 * descriptor table and the driver ring in our region, the device ring in
 * the frontend's, mapped since the connection; so only check them.
 */
static int vhost_wire_start_vq(struct vhost_bus_vq *vq)
{
	struct vhost_wire *wire = to_vhost_wire(vq->vdev);
	u64 desc, avail, used, desc_off, avail_off, used_off;
	const struct virtio_wire_queue *q;
	unsigned int num;

	/* vhost_wire_create_vqs() made no more queues than this. */
	q = &wire->drvblk->queues[vq->index];
	if (!le16_to_cpu(READ_ONCE(q->enable)))
		return -ENOENT;

	num = le16_to_cpu(READ_ONCE(q->size));
	desc = le64_to_cpu(READ_ONCE(q->desc));
	avail = le64_to_cpu(READ_ONCE(q->avail));
	used = le64_to_cpu(READ_ONCE(q->used));

	if (!num || !is_power_of_2(num) || num > vq->num_max ||
	    !vhost_wire_ring_part(wire, desc, 16ULL * num, 16,
				  wire->local_region, &desc_off) ||
	    !vhost_wire_ring_part(wire, avail, 6 + 2ULL * num, 2,
				  wire->local_region, &avail_off) ||
	    !vhost_wire_ring_part(wire, used, 6 + 8ULL * num, 4,
				  wire->peer_region, &used_off)) {
		dev_err(&wire->vdev.dev,
			"queue %u: bad ring: %u entries at %#llx %#llx %#llx\n",
			vq->index, num, desc, avail, used);
		return -EINVAL;
	}

	/*
	 * Our region is memory the frontend writes across the link; the
	 * accessors of vringh_*_mmio() read it as well as they would an I/O
	 * mapping, with the barriers a bus master's writes need.
	 */
	return vringh_init_mmio(&vq->vrh, vhost_get_features(vq->vdev), num,
				(void __iomem __force *)(wire->local + desc_off),
				(void __iomem __force *)(wire->local + avail_off),
				wire->peer + used_off);
}

static void vhost_wire_stop_vq(struct vhost_bus_vq *vq)
{
	/* The frontend's region stays mapped for the whole connection. */
}

/*
 * A buffer address from a ring: in either region. The client copies with
 * vhost_read() and vhost_write(), which check the region again, so the
 * translation here only serves vringh's range checks.
 */
static bool vhost_wire_getrange(struct vhost_bus_vq *vq, u64 addr,
				struct vringh_range *r)
{
	struct vhost_wire *wire = to_vhost_wire(vq->vdev);
	u64 base = addr & VIRTIO_WIRE_ADDR_REGION;
	unsigned int region;
	unsigned long vaddr;
	u64 off;

	region = vhost_wire_locate(wire, addr, 1, &off);
	if (!region)
		return false;
	if (region == wire->peer_region) {
		vaddr = (__force unsigned long)wire->peer;
		r->start = base + wire->peer_start;
		r->end_incl = base + wire->peer_size - 1;
	} else {
		vaddr = (unsigned long)wire->local;
		r->start = base + wire->local_start;
		r->end_incl = base + wire->local_size - 1;
	}
	r->offset = vaddr - base;
	return true;
}

/*
 * A read of the frontend's region: it stalls for a round trip, and a
 * frontend following the protocol never asks for one. Count it.
 */
static void vhost_wire_read_across(struct vhost_wire *wire, void *buf,
				   u64 off, size_t len)
{
	memcpy_fromio(buf, wire->peer + off, len);
	virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_READS_ACROSS, 1);
	virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_READ_BYTES_ACROSS,
			     len);
}

static int vhost_wire_xfer(struct vhost_bus_device *vdev,
			   const struct vhost_bus_xfer *xfer)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);
	bool read = xfer->dir == VHOST_BUS_XFER_READ;
	unsigned int i;

	for (i = 0; i < xfer->nr_segs; i++) {
		const struct vhost_bus_xfer_seg *seg = &xfer->segs[i];
		unsigned int region;
		u64 off;

		region = vhost_wire_locate(wire, seg->addr, seg->len, &off);
		if (!region)
			return -EFAULT;
		if (region == wire->peer_region) {
			if (read) {
				vhost_wire_read_across(wire, seg->buf, off,
						       seg->len);
				continue;
			}
			/* Writes across are posted. */
			memcpy_toio(wire->peer + off, seg->buf, seg->len);
			virtio_wire_stat_add(wire->stats,
					     VIRTIO_WIRE_STAT_BYTES_TO_PEER,
					     seg->len);
			continue;
		}
		if (read)
			memcpy(seg->buf, wire->local + off, seg->len);
		else
			memcpy(wire->local + off, seg->buf, seg->len);
		virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_BYTES_LOCAL,
				     seg->len);
	}
	return 0;
}

static void vhost_wire_notify(struct vhost_bus_vq *vq)
{
	struct vhost_wire *wire = to_vhost_wire(vq->vdev);

	wire->ops->notify_vq(wire, vq->index);
	virtio_wire_stat_add(wire->stats, VIRTIO_WIRE_STAT_DOORBELLS_SENT, 1);
}

static void vhost_wire_set_features(struct vhost_bus_device *vdev,
				    u64 features)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	mutex_lock(&wire->lock);
	wire->shadow.device_features = cpu_to_le64(features);
	vhost_wire_publish_field(wire, &wire->shadow.device_features,
				 sizeof(wire->shadow.device_features));
	mutex_unlock(&wire->lock);
}

static u64 vhost_wire_get_features(struct vhost_bus_device *vdev)
{
	return le64_to_cpu(READ_ONCE(to_vhost_wire(vdev)->drvblk->driver_features));
}

static void vhost_wire_set_status(struct vhost_bus_device *vdev, u8 status)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	mutex_lock(&wire->lock);
	wire->shadow.status = cpu_to_le32(status);
	vhost_wire_publish_field(wire, &wire->shadow.status,
				 sizeof(wire->shadow.status));
	mutex_unlock(&wire->lock);
}

static int vhost_wire_get_config(struct vhost_bus_device *vdev,
				 unsigned int offset, void *buf,
				 unsigned int len)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	if (offset > VIRTIO_WIRE_CONFIG_SIZE ||
	    len > VIRTIO_WIRE_CONFIG_SIZE - offset)
		return -EINVAL;

	mutex_lock(&wire->lock);
	memcpy(buf, wire->shadow.config + offset, len);
	mutex_unlock(&wire->lock);
	return 0;
}

static void vhost_wire_bump_generation(struct vhost_wire *wire)
{
	u32 gen = le32_to_cpu(wire->shadow.config_generation);

	wire->shadow.config_generation = cpu_to_le32(gen + 1);
	vhost_wire_publish_field(wire, &wire->shadow.config_generation,
				 sizeof(wire->shadow.config_generation));
}

static int vhost_wire_set_config(struct vhost_bus_device *vdev,
				 unsigned int offset, const void *buf,
				 unsigned int len)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);
	u16 end = offset + len;

	if (offset > VIRTIO_WIRE_CONFIG_SIZE ||
	    len > VIRTIO_WIRE_CONFIG_SIZE - offset)
		return -EINVAL;

	mutex_lock(&wire->lock);
	memcpy(wire->shadow.config + offset, buf, len);
	if (end > le16_to_cpu(wire->shadow.config_len))
		wire->shadow.config_len = cpu_to_le16(end);
	/*
	 * A seqlock writer: the generation odd, the bytes, the generation
	 * even. Write-combining reorders posted writes, so each step is
	 * fenced.
	 */
	vhost_wire_bump_generation(wire);
	/* The odd generation before the bytes. */
	wmb();
	vhost_wire_publish(wire,
			   offsetof(struct virtio_wire_device_block, config) +
			   offset, len);
	vhost_wire_publish_field(wire, &wire->shadow.config_len,
				 sizeof(wire->shadow.config_len));
	/* The bytes before the even generation. */
	wmb();
	vhost_wire_bump_generation(wire);
	mutex_unlock(&wire->lock);
	return 0;
}

/*
 * The generation on the wire is ours (a sequence count, even when stable),
 * not the bus core's: only the notification is left to do.
 */
static void vhost_wire_config_changed(struct vhost_bus_device *vdev,
				      u32 generation)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	mutex_lock(&wire->lock);
	vhost_wire_ring_ctrl(wire);
	mutex_unlock(&wire->lock);
}

static void vhost_wire_enable(struct vhost_bus_device *vdev)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	mutex_lock(&wire->lock);
	wire->enabled = true;
	vhost_wire_publish_all(wire);
	vhost_wire_ring_ctrl(wire);
	mutex_unlock(&wire->lock);
}

static void vhost_wire_disable(struct vhost_bus_device *vdev)
{
	struct vhost_wire *wire = to_vhost_wire(vdev);

	mutex_lock(&wire->lock);
	wire->enabled = false;
	wire->shadow.device_id = 0;
	vhost_wire_publish_field(wire, &wire->shadow.device_id,
				 sizeof(wire->shadow.device_id));
	vhost_wire_ring_ctrl(wire);
	mutex_unlock(&wire->lock);
}

static const struct vhost_bus_config_ops vhost_wire_config_ops = {
	.create_vqs	= vhost_wire_create_vqs,
	.del_vqs	= vhost_wire_del_vqs,
	.start_vq	= vhost_wire_start_vq,
	.stop_vq	= vhost_wire_stop_vq,
	.getrange	= vhost_wire_getrange,
	.xfer		= vhost_wire_xfer,
	.notify		= vhost_wire_notify,
	.set_features	= vhost_wire_set_features,
	.get_features	= vhost_wire_get_features,
	.set_status	= vhost_wire_set_status,
	.get_config	= vhost_wire_get_config,
	.set_config	= vhost_wire_set_config,
	.config_changed	= vhost_wire_config_changed,
	.enable		= vhost_wire_enable,
	.disable	= vhost_wire_disable,
};

/**
 * __vhost_wire_alloc_device() - allocate a device on wire rings
 * @size: the size of the transport's structure, which starts with a
 *	&struct vhost_wire.
 * @parent: the transport's device, the parent of the new one.
 *
 * Use vhost_wire_alloc_device(). The device's operations are those of the
 * wire rings; see vhost_bus_alloc_device() for the lifetime.
 *
 * Return: the zeroed structure, or NULL.
 */
void *__vhost_wire_alloc_device(size_t size, struct device *parent)
{
	return __vhost_bus_alloc_device(size, parent, &vhost_wire_config_ops);
}
EXPORT_SYMBOL_GPL(__vhost_wire_alloc_device);

/* --- connection ----------------------------------------------------------- */

/**
 * vhost_wire_init() - initialise the device's state
 * @wire: the device, allocated with vhost_wire_alloc_device(), the fields
 *	up to &vhost_wire.stats filled in.
 */
void vhost_wire_init(struct vhost_wire *wire)
{
	mutex_init(&wire->lock);
	spin_lock_init(&wire->vq_lock);
	wire->vdev.num_queues = VIRTIO_WIRE_MAX_QUEUES;
	wire->vdev.transport_features = VIRTIO_WIRE_FEATURES;
	wire->vdev.atomic_data_path = true;
}
EXPORT_SYMBOL_GPL(vhost_wire_init);

/**
 * vhost_wire_connect() - a frontend connected
 * @wire: the device, with &vhost_wire.lock held, not connected.
 * @peer: the frontend's region, mapped: the device block at offset 0.
 * @peer_size: its size.
 *
 * Publishes the whole device block and notifies the frontend.
 */
void vhost_wire_connect(struct vhost_wire *wire, void __iomem *peer,
			size_t peer_size)
{
	lockdep_assert_held(&wire->lock);

	wire->peer = peer;
	wire->peer_size = peer_size;
	wire->status_seq = 0;
	wire->connected = true;

	wire->shadow.status = cpu_to_le32(vhost_get_status(&wire->vdev));
	wire->shadow.status_ack = 0;
	vhost_wire_publish_all(wire);
	vhost_wire_ring_ctrl(wire);
}
EXPORT_SYMBOL_GPL(vhost_wire_connect);

/**
 * vhost_wire_disconnect() - forget the frontend
 * @wire: the device, without &vhost_wire.lock, which the bus core's
 *	callbacks take.
 * @reset: reset the device as if the frontend had written 0, so that the
 *	client stops using the rings; false when the device is going away
 *	and the bus core resets it.
 *
 * Return: the mapping of the frontend's region, for the transport to undo
 * once it has written what it writes last there; NULL if not connected.
 */
void __iomem *vhost_wire_disconnect(struct vhost_wire *wire, bool reset)
{
	void __iomem *peer;
	bool was;

	mutex_lock(&wire->lock);
	was = wire->connected;
	wire->connected = false;
	mutex_unlock(&wire->lock);
	if (!was)
		return NULL;

	if (reset)
		vhost_bus_frontend_set_status(&wire->vdev, 0);

	mutex_lock(&wire->lock);
	peer = wire->peer;
	wire->peer = NULL;
	wire->status_seq = 0;
	mutex_unlock(&wire->lock);
	return peer;
}
EXPORT_SYMBOL_GPL(vhost_wire_disconnect);

/**
 * vhost_wire_status() - handle a status write of the frontend
 * @wire: the device, without &vhost_wire.lock.
 *
 * If the frontend wrote a new status, give it to the bus core, then
 * acknowledge it in the device block and notify the frontend.
 */
void vhost_wire_status(struct vhost_wire *wire)
{
	const struct virtio_wire_driver_block *blk = wire->drvblk;
	u32 seq, status;

	mutex_lock(&wire->lock);
	seq = le32_to_cpu(READ_ONCE(blk->status_seq));
	if (!wire->connected || seq == wire->status_seq) {
		mutex_unlock(&wire->lock);
		return;
	}
	/* The status and what the frontend wrote before it, after seq. */
	dma_rmb();
	status = le32_to_cpu(READ_ONCE(blk->status));
	wire->status_seq = seq;
	mutex_unlock(&wire->lock);

	/* The core publishes the outcome through vhost_wire_set_status(). */
	vhost_bus_frontend_set_status(&wire->vdev, status & 0xff);

	mutex_lock(&wire->lock);
	wire->shadow.status_ack = cpu_to_le32(seq);
	/* The status before its acknowledgment. */
	wmb();
	vhost_wire_publish_field(wire, &wire->shadow.status_ack,
				 sizeof(wire->shadow.status_ack));
	vhost_wire_ring_ctrl(wire);
	mutex_unlock(&wire->lock);
}
EXPORT_SYMBOL_GPL(vhost_wire_status);

/**
 * vhost_wire_kick() - the frontend notified a queue
 * @wire: the device.
 * @index: the queue; nothing is done for one the client does not have.
 *
 * Callable in any context.
 */
void vhost_wire_kick(struct vhost_wire *wire, unsigned int index)
{
	unsigned long flags;

	spin_lock_irqsave(&wire->vq_lock, flags);
	if (index < wire->nvqs) {
		virtio_wire_stat_add(wire->stats,
				     VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED, 1);
		vhost_bus_frontend_kick(&wire->vqs[index]);
	}
	spin_unlock_irqrestore(&wire->vq_lock, flags);
}
EXPORT_SYMBOL_GPL(vhost_wire_kick);

MODULE_DESCRIPTION("vhost bus devices on wire rings");
MODULE_LICENSE("GPL");
