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
/* 64-bit fields low half first: a bridge need not carry 64-bit writes. */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/ntb.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ntb.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_wire.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_ids.h>

/* How long a status write waits for the device (virtio_ntb_linux.rst). */
#define VIRTIO_NTB_STATUS_TIMEOUT	(10 * HZ)

/* How long a configuration read waits for the device to finish a write. */
#define VIRTIO_NTB_CONFIG_WAIT_US	1000

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
	struct virtio_wire_stats __percpu *stats;
	struct dentry *debugfs;
	struct device *parent;
};

static struct dentry *virtio_ntb_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats);

/**
 * struct virtio_ntb_vdev - the virtio device of a connection
 * @vdev: the virtio device.
 * @vntb: the NTB side.
 * @wire: its queues; the number of queues and their sizes there are
 *	checked.
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
	struct virtio_wire wire;
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

/* --- the wire rings ------------------------------------------------------ */

/*
 * The queues are wire rings (drivers/virtio/virtio_wire.c): the backend's
 * window is the peer region, ours the local one.
 */

static void virtio_ntb_kick(struct virtio_wire *wire, unsigned int index,
			    u16 avail_idx)
{
	struct virtio_ntb *vntb = container_of(wire, struct virtio_ntb_vdev,
					       wire)->vntb;

	/* Out of the write-combining buffers before the doorbell. */
	wmb();
	ntb_peer_db_set(vntb->ntb,
			BIT_ULL(virtio_ntb_queue_db(index, vntb->peer_db_bits)));
}

/* Tell the backend where the wire ring of queue @index is, or disable it. */
static int virtio_ntb_set_queue(struct virtio_wire *wire, unsigned int index,
				u64 desc, u64 avail, u64 used, u16 size)
{
	struct virtio_ntb *vntb = container_of(wire, struct virtio_ntb_vdev,
					       wire)->vntb;
	void __iomem *q;

	mutex_lock(&vntb->lock);
	if (!vntb->connected) {
		mutex_unlock(&vntb->lock);
		return -ENODEV;
	}
	q = virtio_ntb_drvblk(vntb, queues[index]);
	if (size) {
		iowrite64_lo_hi(desc, q + offsetof(struct virtio_ntb_queue, desc));
		iowrite64_lo_hi(avail, q + offsetof(struct virtio_ntb_queue, avail));
		iowrite64_lo_hi(used, q + offsetof(struct virtio_ntb_queue, used));
		iowrite16(size, q + offsetof(struct virtio_ntb_queue, size));
	}
	iowrite16(!!size, q + offsetof(struct virtio_ntb_queue, enable));
	mutex_unlock(&vntb->lock);
	return 0;
}

static const struct virtio_wire_ops virtio_ntb_wire_ops = {
	.kick		= virtio_ntb_kick,
	.set_queue	= virtio_ntb_set_queue,
};

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
 * The features of the wire rings are the transport's, not the driver's
 * (virtio_ntb.rst, "Device status and feature negotiation").
 */
static u64 virtio_ntb_device_features(struct virtio_device *vdev)
{
	struct virtio_ntb_device_block *blk =
		virtio_ntb_devblk(to_vntb_vdev(vdev)->vntb);

	return le64_to_cpu(READ_ONCE(blk->device_features));
}

static u64 virtio_ntb_get_features(struct virtio_device *vdev)
{
	return virtio_wire_get_features(virtio_ntb_device_features(vdev));
}

static int virtio_ntb_finalize_features(struct virtio_device *vdev)
{
	struct virtio_ntb *vntb = to_vntb_vdev(vdev)->vntb;
	u64 features;
	int err;

	err = virtio_wire_finalize_features(vdev,
					    virtio_ntb_device_features(vdev),
					    &features);
	if (err)
		return err;

	mutex_lock(&vntb->lock);
	if (vntb->connected)
		iowrite64_lo_hi(features,
				virtio_ntb_drvblk(vntb, driver_features));
	mutex_unlock(&vntb->lock);
	return 0;
}

static void virtio_ntb_del_vqs(struct virtio_device *vdev)
{
	virtio_wire_del_vqs(&to_vntb_vdev(vdev)->wire);
}

static int virtio_ntb_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			       struct virtqueue *vqs[],
			       struct virtqueue_info vqs_info[],
			       struct irq_affinity *desc)
{
	return virtio_wire_find_vqs(&to_vntb_vdev(vdev)->wire, nvqs, vqs,
				    vqs_info);
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

	vd->wire.num_queues = le16_to_cpu(READ_ONCE(blk->num_queues));
	config_len = le16_to_cpu(READ_ONCE(blk->config_len));
	if (vd->wire.num_queues > VIRTIO_NTB_MAX_QUEUES) {
		dev_err(dev, "device offers %u queues, more than %u: refused\n",
			vd->wire.num_queues, VIRTIO_NTB_MAX_QUEUES);
		return -EINVAL;
	}
	if (config_len > VIRTIO_NTB_CONFIG_SIZE) {
		dev_err(dev, "device configuration of %u bytes, more than %u: refused\n",
			config_len, VIRTIO_NTB_CONFIG_SIZE);
		return -EINVAL;
	}
	for (q = 0; q < vd->wire.num_queues; q++) {
		num = le16_to_cpu(READ_ONCE(blk->queue_size_max[q]));
		if (num && (!is_power_of_2(num) ||
			    num > VIRTIO_NTB_MAX_QUEUE_SIZE)) {
			dev_err(dev, "queue %u: bad size %u: device refused\n",
				q, num);
			return -EINVAL;
		}
		vd->wire.queue_size_max[q] = num;
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
	vd->wire.vdev = &vd->vdev;
	vd->wire.ops = &virtio_ntb_wire_ops;
	vd->wire.local = vntb->window.virt;
	vd->wire.local_start = VIRTIO_NTB_CTRL_SIZE;
	vd->wire.local_pool = vntb->local_pool;
	vd->wire.local_region = VIRTIO_NTB_ADDR_FRONTEND;
	vd->wire.peer = vntb->peer + VIRTIO_NTB_CTRL_SIZE;
	vd->wire.peer_start = VIRTIO_NTB_CTRL_SIZE;
	vd->wire.peer_pool = vntb->peer_pool;
	vd->wire.peer_region = VIRTIO_NTB_ADDR_BACKEND;
	vd->wire.stats = vntb->stats;

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

	vntb->local_pool = virtio_wire_create_pool(VIRTIO_NTB_CTRL_SIZE,
						   size - VIRTIO_NTB_CTRL_SIZE);
	if (!vntb->local_pool) {
		virtio_ntb_window_free(ntb, &vntb->window);
		return -ENOMEM;
	}
	return 0;
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

	peer = virtio_ntb_map_peer_window(vntb->ntb, window, &size);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	vntb->peer = peer;
	vntb->peer_size = size;

	vntb->peer_pool = virtio_wire_create_pool(VIRTIO_NTB_CTRL_SIZE,
						  size - VIRTIO_NTB_CTRL_SIZE);
	if (!vntb->peer_pool) {
		iounmap(vntb->peer);
		vntb->peer = NULL;
		return -ENOMEM;
	}

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
	for (q = 0; vd && q < VIRTIO_NTB_MAX_QUEUES; q++)
		if (db & BIT_ULL(virtio_ntb_queue_db(q, vntb->db_bits)))
			virtio_wire_interrupt(&vd->wire, q);
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
	vntb->stats = alloc_percpu(struct virtio_wire_stats);
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
			    &virtio_wire_stats_fops);

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
