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
 * the frontend's, where we write them: wire rings, whose device side
 * (drivers/vhost/vhost_wire.c) implements the vhost bus operations. The
 * client walks the rings with vringh_*_mmio().
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
#include <linux/vhost_wire.h>
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
 * @wire: the device on the vhost bus, on wire rings: our window is the
 *	region the frontend writes, the frontend's the one we write.
 * @ntb: the NTB device.
 * @window: our inbound window: the driver block, then the buffers the
 *	device reads, written there by the frontend. Set up at the first link
 *	up, under &vhost_wire.lock.
 * @db_bits: the doorbell bits we receive.
 * @peer_db_bits: the doorbell bits the frontend receives.
 * @session: our session number, new at each link up; 0 while down.
 * @peer_session: the last frontend session seen, 0 for none.
 * @mismatch: a wrong magic, version or role was reported already.
 * @dying: the NTB device is going away: stop calling the bus core.
 * @ctrl_work: handles doorbell bit 0 and link events.
 * @stats: what the data path did, per CPU, in debugfs.
 * @debugfs: our directory there.
 *
 * &vhost_wire.lock protects the fields from @peer_db_bits to @dying.
 */
struct vhost_ntb {
	struct vhost_wire wire;
	struct ntb_dev *ntb;
	struct virtio_ntb_window window;
	unsigned int db_bits;
	unsigned int peer_db_bits;
	u32 session;
	u32 peer_session;
	bool mismatch;
	bool dying;
	struct work_struct ctrl_work;
	struct virtio_wire_stats __percpu *stats;
	struct dentry *debugfs;
};

static struct dentry *vhost_ntb_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats);

static inline struct vhost_ntb *to_vhost_ntb(struct vhost_wire *wire)
{
	return container_of(wire, struct vhost_ntb, wire);
}

static void vhost_ntb_ring_ctrl(struct vhost_wire *wire)
{
	/* What was published before the doorbell. */
	wmb();
	ntb_peer_db_set(to_vhost_ntb(wire)->ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
}

static void vhost_ntb_notify_vq(struct vhost_wire *wire, unsigned int index)
{
	struct vhost_ntb *vntb = to_vhost_ntb(wire);

	/* The used ring entries before the interrupt. */
	wmb();
	ntb_peer_db_set(vntb->ntb,
			BIT_ULL(virtio_ntb_queue_db(index, vntb->peer_db_bits)));
}

static const struct vhost_wire_ops vhost_ntb_wire_ops = {
	.ring_ctrl	= vhost_ntb_ring_ctrl,
	.notify_vq	= vhost_ntb_notify_vq,
};

/* --- connection ----------------------------------------------------------- */

/*
 * Forget the frontend: reset the device as if it had written 0, so that the
 * client stops using the rings, then unmap its window. Called without
 * &vhost_wire.lock, which the bus core's callbacks take.
 */
static void vhost_ntb_disconnect(struct vhost_ntb *vntb)
{
	void __iomem *peer;
	bool dying;

	mutex_lock(&vntb->wire.lock);
	dying = vntb->dying;
	mutex_unlock(&vntb->wire.lock);

	peer = vhost_wire_disconnect(&vntb->wire, !dying);
	if (peer)
		iounmap(peer);
}

static int vhost_ntb_connect(struct vhost_ntb *vntb, u32 window)
{
	void __iomem *peer;
	resource_size_t size;

	lockdep_assert_held(&vntb->wire.lock);

	peer = virtio_ntb_map_peer_window(vntb->ntb, window, &size);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	vhost_wire_connect(&vntb->wire, peer, size);
	return 0;
}

/* Our window: the region the frontend writes, the driver block first. */
static int vhost_ntb_setup_window(struct vhost_ntb *vntb)
{
	struct vhost_wire *wire = &vntb->wire;
	int err;

	err = virtio_ntb_window_setup(vntb->ntb, VHOST_NTB_MAX_WINDOW,
				      &vntb->window);
	if (err)
		return err;
	wire->local = vntb->window.virt;
	wire->local_size = vntb->window.size;
	wire->drvblk = vntb->window.virt;
	return 0;
}

static void vhost_ntb_hello(struct vhost_ntb *vntb)
{
	struct virtio_ntb_hello hello;

	lockdep_assert_held(&vntb->wire.lock);

	memset(vntb->window.virt, 0, VIRTIO_NTB_CTRL_SIZE);
	virtio_ntb_new_hello(&hello, vntb->db_bits, vntb->window.widx,
			     vntb->window.size);
	vntb->session = hello.session;
	vntb->peer_session = 0;
	vntb->mismatch = false;

	virtio_ntb_announce(vntb->ntb, VIRTIO_NTB_ROLE_BACKEND, &hello);
}

static void vhost_ntb_ctrl_work(struct work_struct *work)
{
	struct vhost_ntb *vntb = container_of(work, struct vhost_ntb,
					      ctrl_work);
	struct ntb_dev *ntb = vntb->ntb;
	struct virtio_ntb_hello peer;
	int err;

	mutex_lock(&vntb->wire.lock);
	if (vntb->dying)
		goto out_unlock;
	if (!ntb_link_is_up(ntb, NULL, NULL)) {
		vntb->session = 0;
		mutex_unlock(&vntb->wire.lock);
		vhost_ntb_disconnect(vntb);
		return;
	}
	/* Window alignment is only known with the link up. */
	if (!vntb->window.virt) {
		err = vhost_ntb_setup_window(vntb);
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
		mutex_unlock(&vntb->wire.lock);
		vhost_ntb_disconnect(vntb);
		mutex_lock(&vntb->wire.lock);
		vntb->peer_session = peer.session;
		ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_ECHO, peer.session);
		ntb_peer_db_set(ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
	}

	if (!vntb->wire.connected) {
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
	mutex_unlock(&vntb->wire.lock);

	vhost_wire_status(&vntb->wire);
	return;

out_unlock:
	mutex_unlock(&vntb->wire.lock);
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
	unsigned int q;

	ntb_db_clear(vntb->ntb, db);

	if (db & BIT_ULL(VIRTIO_NTB_DB_CTRL))
		schedule_work(&vntb->ctrl_work);

	for (q = 0; q < VIRTIO_NTB_MAX_QUEUES; q++)
		if (db & BIT_ULL(virtio_ntb_queue_db(q, vntb->db_bits)))
			vhost_wire_kick(&vntb->wire, q);
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

	vntb = vhost_wire_alloc_device(struct vhost_ntb, wire, &ntb->dev);
	if (!vntb)
		return -ENOMEM;

	vntb->ntb = ntb;
	vntb->db_bits = virtio_ntb_db_bits(valid);
	INIT_WORK(&vntb->ctrl_work, vhost_ntb_ctrl_work);
	stats = alloc_percpu(struct virtio_wire_stats);
	if (!stats) {
		vhost_bus_put_device(&vntb->wire.vdev);
		return -ENOMEM;
	}
	vntb->stats = stats;

	vntb->wire.ops = &vhost_ntb_wire_ops;
	vntb->wire.magic = VIRTIO_NTB_MAGIC;
	vntb->wire.version = VIRTIO_NTB_VERSION;
	vntb->wire.local_start = VIRTIO_NTB_CTRL_SIZE;
	vntb->wire.local_region = VIRTIO_NTB_ADDR_BACKEND;
	vntb->wire.peer_start = VIRTIO_NTB_CTRL_SIZE;
	vntb->wire.peer_region = VIRTIO_NTB_ADDR_FRONTEND;
	vntb->wire.stats = stats;
	vhost_wire_init(&vntb->wire);
	vntb->wire.vdev.queue_size = VHOST_NTB_QUEUE_SIZE;

	/* Events may use the device as soon as the context is set. */
	err = vhost_register_device(&vntb->wire.vdev);
	if (err) {
		vhost_bus_put_device(&vntb->wire.vdev);
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
	vhost_unregister_device(&vntb->wire.vdev);
	free_percpu(stats);
	return err;
}

static void vhost_ntb_remove(struct ntb_client *client, struct ntb_dev *ntb)
{
	struct vhost_ntb *vntb = ntb->ctx;

	/* Keep the memory past vhost_unregister_device(). */
	get_device(&vntb->wire.vdev.dev);
	debugfs_remove(vntb->debugfs);

	mutex_lock(&vntb->wire.lock);
	vntb->dying = true;
	mutex_unlock(&vntb->wire.lock);
	cancel_work_sync(&vntb->ctrl_work);

	/* The client goes, and the frontend learns the device went. */
	vhost_unregister_device(&vntb->wire.vdev);

	ntb_link_disable(ntb);
	ntb_db_set_mask(ntb, ntb_db_valid_mask(ntb));
	ntb_clear_ctx(ntb);
	cancel_work_sync(&vntb->ctrl_work);
	vhost_ntb_disconnect(vntb);

	virtio_ntb_window_free(ntb, &vntb->window);
	free_percpu(vntb->stats);
	put_device(&vntb->wire.vdev.dev);
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
