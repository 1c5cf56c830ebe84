// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-pci-epf: virtio devices implemented by a PCIe endpoint function.
 *
 * A PCI driver on the root complex. An endpoint that runs Linux implements
 * virtio devices with the vhost-pci-epf function; this presents each as a
 * virtio device, and the stock virtio driver binds to it. The function
 * cannot add PCI capabilities and its BAR is plain memory, so stock
 * virtio-pci cannot drive it; the layout is specified in
 * Documentation/driver-api/virtio/virtio_pci_epf.rst.
 *
 * Each side writes across the link and reads only its own memory: the
 * queues are wire rings (drivers/virtio/virtio_wire.c), their
 * driver-written parts in the BAR area of the function's BAR 0, their
 * device rings in the host region, RC memory the function writes. The
 * register access is the library in virtio_pci_epf_dev.c.
 */

#include <linux/debugfs.h>
#include <linux/genalloc.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci_epf.h>
#include <linux/virtio_wire.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* How long a status write waits for the device (virtio_pci_epf.rst). */
#define VIRTIO_PCI_EPF_STATUS_TIMEOUT	(5 * HZ)
/* How often the identity block is read while the driver is bound. */
#define VIRTIO_PCI_EPF_IDENT_PERIOD	HZ
/* How often the device block and every queue are checked with INTx. */
#define VIRTIO_PCI_EPF_INTX_PERIOD	msecs_to_jiffies(10)

static unsigned int host_size = SZ_1M;
module_param(host_size, uint, 0444);
MODULE_PARM_DESC(host_size, "Bytes of host memory each function may write: device rings and buffers (default 1 MiB, 64 KiB to 64 MiB)");

struct virtio_pci_epf_vdev;

/**
 * struct virtio_pci_epf - one vhost-pci-epf function
 * @pdev: the PCI device.
 * @vpd: its registers and host region.
 * @area: the BAR area, mapped write-combining: descriptor tables, driver
 *	rings and the buffers the device reads.
 * @bar_pool: the allocator of @area, by BAR offset.
 * @host_pool: the allocator of the host area, by host region offset.
 * @irq_kind: the interrupts enabled: VIRTIO_PCI_EPF_IRQ_*.
 * @nvectors: how many.
 * @irq_base: the Linux interrupt number of vector 0; the others follow.
 * @lock: protects the connection, @vd, @refused, @stalled and @dying.
 * @connected: the driver block of a connection is written.
 * @refused: the device block broke a limit of the protocol; it is ignored
 *	until the device goes or the connection is new.
 * @stalled: the device did not acknowledge a status write in this
 *	connection: it is not waited for any more.
 * @dying: the driver is being unbound: no new device, no waiting.
 * @vd: the registered virtio device, or NULL. Read under RCU by the
 *	interrupt handlers.
 * @ctrl_work: handles vector 0: connection, device arrival, removal,
 *	NEEDS_RESET and configuration changes.
 * @poll_work: reads the identity block once a second, and with INTx
 *	checks everything every 10 ms.
 * @wq: runs @ctrl_work and @poll_work. They wait for the device, for the
 *	driver's probe and remove, which a shared workqueue must not.
 * @ack_wq: where a status write waits for the device's acknowledgment.
 * @last_ident: when @poll_work last read the identity block.
 * @stats: what the data path did, per CPU, in debugfs.
 * @debugfs: our directory there.
 */
struct virtio_pci_epf {
	struct pci_dev *pdev;
	struct virtio_pci_epf_device vpd;
	void __iomem *area;
	struct gen_pool *bar_pool;
	struct gen_pool *host_pool;
	unsigned int irq_kind;
	unsigned int nvectors;
	unsigned int irq_base;
	struct mutex lock;		/* connection state */
	bool connected;
	bool refused;
	bool stalled;
	bool dying;
	struct virtio_pci_epf_vdev __rcu *vd;
	struct work_struct ctrl_work;
	struct delayed_work poll_work;
	struct workqueue_struct *wq;
	wait_queue_head_t ack_wq;
	unsigned long last_ident;
	struct virtio_wire_stats __percpu *stats;
	struct dentry *debugfs;
};

static struct dentry *virtio_pci_epf_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats);

/**
 * struct virtio_pci_epf_vdev - the virtio device of a connection
 * @vdev: the virtio device.
 * @vepf: the function.
 * @wire: its queues.
 * @info: the device block as read and checked before registration.
 * @generation: the configuration generation last reported to the driver.
 */
struct virtio_pci_epf_vdev {
	struct virtio_device vdev;
	struct virtio_pci_epf *vepf;
	struct virtio_wire wire;
	struct virtio_pci_epf_device_info info;
	u32 generation;
};

static inline struct virtio_pci_epf_vdev *to_vepf_vdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_pci_epf_vdev, vdev);
}

static inline struct virtio_pci_epf *wire_to_vepf(struct virtio_wire *wire)
{
	return container_of(wire, struct virtio_pci_epf_vdev, wire)->vepf;
}

/* --- the wire rings ------------------------------------------------------- */

static void virtio_pci_epf_kick(struct virtio_wire *wire, unsigned int index,
				u16 avail_idx)
{
	virtio_pci_epf_notify_queue(&wire_to_vepf(wire)->vpd, index, avail_idx);
}

static int virtio_pci_epf_set_wire_queue(struct virtio_wire *wire,
					 unsigned int index, u64 desc,
					 u64 avail, u64 used, u16 size)
{
	struct virtio_pci_epf *vepf = wire_to_vepf(wire);
	int err = -ENODEV;

	mutex_lock(&vepf->lock);
	if (vepf->connected) {
		virtio_pci_epf_set_queue(&vepf->vpd, index, desc, avail, used,
					 size);
		err = 0;
	}
	mutex_unlock(&vepf->lock);
	return err;
}

static const struct virtio_wire_ops virtio_pci_epf_wire_ops = {
	.kick		= virtio_pci_epf_kick,
	.set_queue	= virtio_pci_epf_set_wire_queue,
};

/* --- virtio configuration operations -------------------------------------- */

static void virtio_pci_epf_get(struct virtio_device *vdev,
			       unsigned int offset, void *buf,
			       unsigned int len)
{
	virtio_pci_epf_get_config(&to_vepf_vdev(vdev)->vepf->vpd, offset, buf,
				  len);
}

static void virtio_pci_epf_set(struct virtio_device *vdev,
			       unsigned int offset, const void *buf,
			       unsigned int len)
{
	dev_warn_once(&vdev->dev,
		      "the configuration space is read-only on virtio-pci-epf\n");
}

static u32 virtio_pci_epf_generation(struct virtio_device *vdev)
{
	return virtio_pci_epf_config_generation(&to_vepf_vdev(vdev)->vepf->vpd);
}

static u8 virtio_pci_epf_vdev_get_status(struct virtio_device *vdev)
{
	return virtio_pci_epf_get_status(&to_vepf_vdev(vdev)->vepf->vpd);
}

/* Is there a device to answer a status write? */
static bool virtio_pci_epf_present(struct virtio_pci_epf *vepf)
{
	return READ_ONCE(vepf->connected) && !READ_ONCE(vepf->stalled) &&
	       virtio_pci_epf_device_present(&vepf->vpd);
}

/*
 * A status write is a request: write it, and wait until the device
 * acknowledges it, so that the status read back is what the device made
 * of it. The wait ends as soon as the device cannot answer: it went, the
 * connection ended, or the driver is being unbound.
 */
static void virtio_pci_epf_write_vdev_status(struct virtio_pci_epf_vdev *vd,
					     u8 status)
{
	struct virtio_pci_epf *vepf = vd->vepf;
	struct virtio_pci_epf_device_block *blk = vepf->vpd.host;
	u32 seq;

	might_sleep();

	mutex_lock(&vepf->lock);
	if (!virtio_pci_epf_present(vepf))
		goto out_local;
	seq = virtio_pci_epf_write_status(&vepf->vpd, status);
	mutex_unlock(&vepf->lock);

	if (!wait_event_timeout(vepf->ack_wq,
				virtio_pci_epf_status_acked(&vepf->vpd, seq) ||
				!virtio_pci_epf_present(vepf) ||
				READ_ONCE(vepf->dying),
				VIRTIO_PCI_EPF_STATUS_TIMEOUT)) {
		/*
		 * A function that does not answer is not waited for again
		 * in this connection: a probe or a reset writes the status
		 * several times, each would cost the whole timeout. It may
		 * have restarted: the poll work reads its identity soon.
		 */
		dev_err(&vd->vdev.dev,
			"device did not acknowledge status 0x%02x: not waiting for it any more\n",
			status);
		WRITE_ONCE(vepf->stalled, true);
		mod_delayed_work(vepf->wq, &vepf->poll_work, 0);
	}

	mutex_lock(&vepf->lock);
	if (virtio_pci_epf_present(vepf) &&
	    virtio_pci_epf_status_acked(&vepf->vpd, seq)) {
		mutex_unlock(&vepf->lock);
		return;
	}
out_local:
	/*
	 * No device to answer: it does not use the rings any more, so a
	 * reset is complete. The host region is ours to write then.
	 */
	if (!status)
		WRITE_ONCE(blk->status, 0);
	mutex_unlock(&vepf->lock);
}

static void virtio_pci_epf_set_status(struct virtio_device *vdev, u8 status)
{
	/* virtio_pci_epf_reset() writes 0. */
	WARN_ON(!status);
	virtio_pci_epf_write_vdev_status(to_vepf_vdev(vdev), status);
}

static void virtio_pci_epf_reset(struct virtio_device *vdev)
{
	virtio_pci_epf_write_vdev_status(to_vepf_vdev(vdev), 0);
}

static u64 virtio_pci_epf_get_features(struct virtio_device *vdev)
{
	return virtio_wire_get_features(to_vepf_vdev(vdev)->info.features);
}

static int virtio_pci_epf_finalize_features(struct virtio_device *vdev)
{
	struct virtio_pci_epf_vdev *vd = to_vepf_vdev(vdev);
	struct virtio_pci_epf *vepf = vd->vepf;
	u64 features;
	int err;

	err = virtio_wire_finalize_features(vdev, vd->info.features,
					    &features);
	if (err)
		return err;

	mutex_lock(&vepf->lock);
	if (vepf->connected)
		virtio_pci_epf_set_features(&vepf->vpd, features);
	mutex_unlock(&vepf->lock);
	return 0;
}

static int virtio_pci_epf_find_vqs(struct virtio_device *vdev,
				   unsigned int nvqs, struct virtqueue *vqs[],
				   struct virtqueue_info vqs_info[],
				   struct irq_affinity *desc)
{
	return virtio_wire_find_vqs(&to_vepf_vdev(vdev)->wire, nvqs, vqs,
				    vqs_info);
}

static void virtio_pci_epf_del_vqs(struct virtio_device *vdev)
{
	virtio_wire_del_vqs(&to_vepf_vdev(vdev)->wire);
}

static const char *virtio_pci_epf_bus_name(struct virtio_device *vdev)
{
	return pci_name(to_vepf_vdev(vdev)->vepf->pdev);
}

static const struct virtio_config_ops virtio_pci_epf_config_ops = {
	.get			= virtio_pci_epf_get,
	.set			= virtio_pci_epf_set,
	.generation		= virtio_pci_epf_generation,
	.get_status		= virtio_pci_epf_vdev_get_status,
	.set_status		= virtio_pci_epf_set_status,
	.reset			= virtio_pci_epf_reset,
	.find_vqs		= virtio_pci_epf_find_vqs,
	.del_vqs		= virtio_pci_epf_del_vqs,
	.get_features		= virtio_pci_epf_get_features,
	.finalize_features	= virtio_pci_epf_finalize_features,
	.bus_name		= virtio_pci_epf_bus_name,
};

/* --- the virtio device ---------------------------------------------------- */

static void virtio_pci_epf_vdev_release(struct device *dev)
{
	kfree(to_vepf_vdev(dev_to_virtio(dev)));
}

static void virtio_pci_epf_add_device(struct virtio_pci_epf *vepf)
{
	struct virtio_pci_epf_vdev *vd;
	struct virtio_wire *wire;
	int err;

	lockdep_assert_held(&vepf->lock);

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return;

	err = virtio_pci_epf_read_device(&vepf->vpd, &vd->info);
	if (err) {
		/* -EAGAIN: the block changed under us; vector 0 comes again. */
		if (err != -EAGAIN)
			vepf->refused = true;
		kfree(vd);
		return;
	}

	vd->vepf = vepf;
	vd->generation = vd->info.generation;
	vd->vdev.id.device = vd->info.device_id;
	vd->vdev.id.vendor = vd->info.vendor_id;
	vd->vdev.config = &virtio_pci_epf_config_ops;
	vd->vdev.dev.parent = &vepf->pdev->dev;
	vd->vdev.dev.release = virtio_pci_epf_vdev_release;

	wire = &vd->wire;
	wire->vdev = &vd->vdev;
	wire->ops = &virtio_pci_epf_wire_ops;
	wire->local = vepf->vpd.host;
	wire->local_start = VIRTIO_PCI_EPF_HOST_AREA;
	wire->local_pool = vepf->host_pool;
	wire->local_region = VIRTIO_PCI_EPF_ADDR_HOST;
	wire->peer = vepf->area;
	wire->peer_start = VIRTIO_PCI_EPF_BAR_AREA;
	wire->peer_pool = vepf->bar_pool;
	wire->peer_region = VIRTIO_PCI_EPF_ADDR_BAR;
	wire->stats = vepf->stats;
	wire->num_queues = vd->info.num_queues;
	memcpy(wire->queue_size_max, vd->info.queue_size_max,
	       sizeof(wire->queue_size_max));

	rcu_assign_pointer(vepf->vd, vd);
	/* The driver's probe writes status: drop the lock for it. */
	mutex_unlock(&vepf->lock);
	err = register_virtio_device(&vd->vdev);
	mutex_lock(&vepf->lock);
	if (err) {
		dev_err(&vepf->pdev->dev,
			"cannot register the virtio device: %d\n", err);
		RCU_INIT_POINTER(vepf->vd, NULL);
		synchronize_rcu();
		put_device(&vd->vdev.dev);
	}
}

static void virtio_pci_epf_remove_device(struct virtio_pci_epf *vepf,
					 bool gone)
{
	struct virtio_pci_epf_vdev *vd;

	lockdep_assert_held(&vepf->lock);

	vd = rcu_dereference_protected(vepf->vd, lockdep_is_held(&vepf->lock));
	if (!vd)
		return;

	/* With the device gone, nothing will complete a buffer any more. */
	if (gone)
		virtio_break_device(&vd->vdev);
	mutex_unlock(&vepf->lock);
	/*
	 * The interrupt handlers read @vd under RCU, and unregistering may
	 * free it; the driver's remove may still wait for an interrupt, so
	 * @vd stays published until then, and alive until no handler sees
	 * it.
	 */
	get_device(&vd->vdev.dev);
	unregister_virtio_device(&vd->vdev);
	mutex_lock(&vepf->lock);
	RCU_INIT_POINTER(vepf->vd, NULL);
	synchronize_rcu();
	put_device(&vd->vdev.dev);
}

/* --- connection ----------------------------------------------------------- */

/* The allocators of both regions, of the connection that ends. */
static void virtio_pci_epf_free_pools(struct virtio_pci_epf *vepf)
{
	if (vepf->host_pool)
		gen_pool_destroy(vepf->host_pool);
	if (vepf->bar_pool)
		gen_pool_destroy(vepf->bar_pool);
	vepf->host_pool = NULL;
	vepf->bar_pool = NULL;
}

/* A new connection: a zeroed host region, pools of both regions. */
static int virtio_pci_epf_new_connection(struct virtio_pci_epf *vepf)
{
	struct virtio_pci_epf_device *vpd = &vepf->vpd;

	lockdep_assert_held(&vepf->lock);

	vepf->host_pool = virtio_wire_create_pool(VIRTIO_PCI_EPF_HOST_AREA,
						  vpd->host_size -
						  VIRTIO_PCI_EPF_HOST_AREA);
	vepf->bar_pool = virtio_wire_create_pool(VIRTIO_PCI_EPF_BAR_AREA,
						 vpd->bar_size -
						 VIRTIO_PCI_EPF_BAR_AREA);
	if (!vepf->host_pool || !vepf->bar_pool) {
		virtio_pci_epf_free_pools(vepf);
		return -ENOMEM;
	}

	virtio_pci_epf_connect(vpd, virtio_pci_epf_irq(vepf->irq_kind,
						       vepf->nvectors));
	vepf->refused = false;
	WRITE_ONCE(vepf->stalled, false);
	WRITE_ONCE(vepf->connected, true);
	return 0;
}

/*
 * The function restarted or went: end the connection on our side, without
 * waiting for the function. The host region stays ours to reuse: a
 * function that has not acknowledged writes only what it wrote in this
 * connection, which the next one zeroes first.
 */
static void virtio_pci_epf_end_connection(struct virtio_pci_epf *vepf)
{
	lockdep_assert_held(&vepf->lock);

	if (!vepf->connected)
		return;
	WRITE_ONCE(vepf->connected, false);
	wake_up_all(&vepf->ack_wq);
	virtio_pci_epf_remove_device(vepf, true);
	virtio_pci_epf_free_pools(vepf);
}

static void virtio_pci_epf_ctrl_work(struct work_struct *work)
{
	struct virtio_pci_epf *vepf = container_of(work, struct virtio_pci_epf,
						   ctrl_work);
	struct virtio_pci_epf_device *vpd = &vepf->vpd;
	struct virtio_pci_epf_device_block *blk = vpd->host;
	struct virtio_pci_epf_vdev *vd;
	u32 gen;

	mutex_lock(&vepf->lock);
	if (vepf->dying || !vepf->connected ||
	    !virtio_pci_epf_connected(vpd))
		goto out_unlock;

	vd = rcu_dereference_protected(vepf->vd, lockdep_is_held(&vepf->lock));
	if (!virtio_pci_epf_device_present(vpd)) {
		vepf->refused = false;
		virtio_pci_epf_remove_device(vepf, true);
		goto out_unlock;
	}
	if (!vd) {
		if (!vepf->refused)
			virtio_pci_epf_add_device(vepf);
		goto out_unlock;
	}

	/*
	 * Drivers do not recover from NEEDS_RESET by themselves: remove the
	 * device, which resets it, and probe it again.
	 */
	if (le32_to_cpu(READ_ONCE(blk->status)) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		dev_info(&vd->vdev.dev, "device needs a reset: probing it again\n");
		virtio_pci_epf_remove_device(vepf, true);
		if (!vepf->dying && virtio_pci_epf_device_present(vpd))
			virtio_pci_epf_add_device(vepf);
		goto out_unlock;
	}

	/* An odd generation is a write in progress; its end raises again. */
	gen = le32_to_cpu(READ_ONCE(blk->config_generation));
	if (!(gen & 1) && gen != vd->generation) {
		vd->generation = gen;
		virtio_config_changed(&vd->vdev);
	}

out_unlock:
	mutex_unlock(&vepf->lock);
}

/*
 * The function restarted (a new session) or is gone (all ones): remove the
 * device without waiting for it, and connect again once it is back.
 */
static void virtio_pci_epf_check_function(struct virtio_pci_epf *vepf)
{
	struct virtio_pci_epf_device *vpd = &vepf->vpd;
	int err;

	lockdep_assert_held(&vepf->lock);

	if (vepf->connected) {
		err = virtio_pci_epf_poll_ident(vpd);
		if (!err)
			return;
		dev_info(&vepf->pdev->dev, "function %s: disconnected\n",
			 err == -ENODEV ? "gone" : "restarted");
		virtio_pci_epf_end_connection(vepf);
	}

	if (virtio_pci_epf_check_ident(vpd))
		return;
	/* A restarted function lost its interrupt settings. */
	pci_restore_state(vepf->pdev);
	err = virtio_pci_epf_new_connection(vepf);
	if (err)
		dev_err(&vepf->pdev->dev, "cannot connect: %d\n", err);
}

static void virtio_pci_epf_poll_work(struct work_struct *work)
{
	struct virtio_pci_epf *vepf = container_of(to_delayed_work(work),
						   struct virtio_pci_epf,
						   poll_work);
	struct virtio_pci_epf_vdev *vd;
	unsigned long delay = VIRTIO_PCI_EPF_IDENT_PERIOD;
	unsigned int q;

	mutex_lock(&vepf->lock);
	if (vepf->dying) {
		mutex_unlock(&vepf->lock);
		return;
	}
	if (time_after_eq(jiffies, vepf->last_ident +
				   VIRTIO_PCI_EPF_IDENT_PERIOD) ||
	    vepf->stalled || !vepf->connected) {
		vepf->last_ident = jiffies;
		virtio_pci_epf_check_function(vepf);
	}
	mutex_unlock(&vepf->lock);

	/* INTx pulses may be lost: look at everything every 10 ms. */
	if (vepf->irq_kind == VIRTIO_PCI_EPF_IRQ_INTX) {
		delay = VIRTIO_PCI_EPF_INTX_PERIOD;
		queue_work(vepf->wq, &vepf->ctrl_work);
		rcu_read_lock();
		vd = rcu_dereference(vepf->vd);
		for (q = 0; vd && q < VIRTIO_PCI_EPF_MAX_QUEUES; q++)
			virtio_wire_interrupt(&vd->wire, q);
		rcu_read_unlock();
	}
	queue_delayed_work(vepf->wq, &vepf->poll_work, delay);
}

/* --- interrupts ----------------------------------------------------------- */

/* Used buffers on the queues of @vector; vector 0 also the device block. */
static irqreturn_t virtio_pci_epf_interrupt(int irq, void *data)
{
	struct virtio_pci_epf *vepf = data;
	unsigned int vector = irq - vepf->irq_base;
	struct virtio_pci_epf_vdev *vd;
	unsigned int q;

	if (vector == VIRTIO_PCI_EPF_VECTOR_CTRL) {
		wake_up_all(&vepf->ack_wq);
		queue_work(vepf->wq, &vepf->ctrl_work);
	}

	/* The copies of the used buffers are for BH context, not here. */
	rcu_read_lock();
	vd = rcu_dereference(vepf->vd);
	for (q = 0; vd && q < vd->wire.nvqs; q++)
		if (virtio_pci_epf_queue_vector(q, vepf->nvectors) == vector)
			virtio_wire_interrupt(&vd->wire, q);
	rcu_read_unlock();
	return IRQ_HANDLED;
}

/*
 * MSI-X, else MSI, else INTx: one vector for the device block and one per
 * queue if the function has them, down to a single one.
 */
static int virtio_pci_epf_setup_irqs(struct virtio_pci_epf *vepf)
{
	struct pci_dev *pdev = vepf->pdev;
	unsigned int i;
	int n, err;

	n = pci_alloc_irq_vectors(pdev, 1, VIRTIO_PCI_EPF_MAX_VECTORS,
				  PCI_IRQ_ALL_TYPES);
	if (n < 0)
		return n;
	if (pdev->msix_enabled)
		vepf->irq_kind = VIRTIO_PCI_EPF_IRQ_MSIX;
	else if (pdev->msi_enabled)
		vepf->irq_kind = VIRTIO_PCI_EPF_IRQ_MSI;
	else
		vepf->irq_kind = VIRTIO_PCI_EPF_IRQ_INTX;
	/*
	 * The handler finds its vector from its interrupt number: use the
	 * vectors as far as their numbers are consecutive (those of MSI
	 * always are).
	 */
	vepf->irq_base = pci_irq_vector(pdev, 0);
	for (i = 1; i < n; i++)
		if (pci_irq_vector(pdev, i) != vepf->irq_base + i)
			break;
	vepf->nvectors = i;

	for (i = 0; i < vepf->nvectors; i++) {
		err = request_irq(pci_irq_vector(pdev, i),
				  virtio_pci_epf_interrupt,
				  vepf->irq_kind == VIRTIO_PCI_EPF_IRQ_INTX ?
				  IRQF_SHARED : 0, "virtio-pci-epf", vepf);
		if (err)
			goto err_free;
	}
	return 0;

err_free:
	while (i--)
		free_irq(pci_irq_vector(pdev, i), vepf);
	pci_free_irq_vectors(pdev);
	return err;
}

static void virtio_pci_epf_free_irqs(struct virtio_pci_epf *vepf)
{
	unsigned int i;

	for (i = 0; i < vepf->nvectors; i++)
		free_irq(pci_irq_vector(vepf->pdev, i), vepf);
	pci_free_irq_vectors(vepf->pdev);
}

/* --- probe and remove ----------------------------------------------------- */

static int virtio_pci_epf_probe_pci(struct pci_dev *pdev,
				    const struct pci_device_id *id)
{
	struct virtio_pci_epf *vepf;
	int err;

	vepf = kzalloc(sizeof(*vepf), GFP_KERNEL);
	if (!vepf)
		return -ENOMEM;
	vepf->pdev = pdev;
	mutex_init(&vepf->lock);
	INIT_WORK(&vepf->ctrl_work, virtio_pci_epf_ctrl_work);
	INIT_DELAYED_WORK(&vepf->poll_work, virtio_pci_epf_poll_work);
	init_waitqueue_head(&vepf->ack_wq);
	pci_set_drvdata(pdev, vepf);

	err = pci_enable_device(pdev);
	if (err)
		goto err_free;

	vepf->vpd.host_size = host_size;
	err = virtio_pci_epf_probe(&vepf->vpd, pdev);
	if (err == -EAGAIN)
		err = -EPROBE_DEFER;
	if (err)
		goto err_disable;

	vepf->area = pci_iomap_wc_range(pdev, VIRTIO_PCI_EPF_BAR,
					VIRTIO_PCI_EPF_BAR_AREA,
					vepf->vpd.bar_size -
					VIRTIO_PCI_EPF_BAR_AREA);
	if (!vepf->area) {
		err = -ENOMEM;
		goto err_lib;
	}

	err = -ENOMEM;
	vepf->stats = alloc_percpu(struct virtio_wire_stats);
	if (!vepf->stats)
		goto err_area;
	vepf->wq = alloc_ordered_workqueue("virtio_pci_epf/%s", 0,
					   pci_name(pdev));
	if (!vepf->wq)
		goto err_stats;

	err = virtio_pci_epf_setup_irqs(vepf);
	if (err)
		goto err_wq;
	/* What a restarted function needs again: its interrupt settings. */
	pci_save_state(pdev);

	vepf->debugfs = debugfs_create_dir(pci_name(pdev),
					   virtio_pci_epf_debugfs);
	debugfs_create_file("stats", 0400, vepf->debugfs, &vepf->stats,
			    &virtio_wire_stats_fops);

	mutex_lock(&vepf->lock);
	vepf->last_ident = jiffies;
	err = virtio_pci_epf_new_connection(vepf);
	mutex_unlock(&vepf->lock);
	if (err)
		goto err_debugfs;
	queue_delayed_work(vepf->wq, &vepf->poll_work,
			   vepf->irq_kind == VIRTIO_PCI_EPF_IRQ_INTX ?
			   VIRTIO_PCI_EPF_INTX_PERIOD :
			   VIRTIO_PCI_EPF_IDENT_PERIOD);
	return 0;

err_debugfs:
	debugfs_remove(vepf->debugfs);
	virtio_pci_epf_free_irqs(vepf);
err_wq:
	destroy_workqueue(vepf->wq);
err_stats:
	free_percpu(vepf->stats);
err_area:
	pci_iounmap(pdev, vepf->area);
err_lib:
	virtio_pci_epf_remove(&vepf->vpd, pdev);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(vepf);
	return err;
}

static void virtio_pci_epf_remove_pci(struct pci_dev *pdev)
{
	struct virtio_pci_epf *vepf = pci_get_drvdata(pdev);

	debugfs_remove(vepf->debugfs);

	/* No new device, no more waiting: a probe in progress ends. */
	mutex_lock(&vepf->lock);
	WRITE_ONCE(vepf->dying, true);
	mutex_unlock(&vepf->lock);
	wake_up_all(&vepf->ack_wq);
	cancel_delayed_work_sync(&vepf->poll_work);
	cancel_work_sync(&vepf->ctrl_work);

	/* Reset the device while the function listens. */
	mutex_lock(&vepf->lock);
	virtio_pci_epf_remove_device(vepf, false);
	mutex_unlock(&vepf->lock);

	virtio_pci_epf_free_irqs(vepf);
	destroy_workqueue(vepf->wq);

	mutex_lock(&vepf->lock);
	WRITE_ONCE(vepf->connected, false);
	virtio_pci_epf_free_pools(vepf);
	mutex_unlock(&vepf->lock);

	pci_iounmap(pdev, vepf->area);
	/* Disconnects, and frees the host region once the function let go. */
	virtio_pci_epf_remove(&vepf->vpd, pdev);
	pci_disable_device(pdev);
	free_percpu(vepf->stats);
	kfree(vepf);
}

/*
 * No ID of its own: the function's vendor and device IDs are the
 * integrator's. Bind with /sys/bus/pci/drivers/virtio-pci-epf/new_id, or
 * with driver_override; the identity block is checked before anything
 * else.
 */
static struct pci_driver virtio_pci_epf_driver = {
	.name		= "virtio-pci-epf",
	.probe		= virtio_pci_epf_probe_pci,
	.remove		= virtio_pci_epf_remove_pci,
};

static int __init virtio_pci_epf_init(void)
{
	int err;

	if (!IS_ALIGNED(host_size, VIRTIO_PCI_EPF_HOST_ALIGN) ||
	    host_size < VIRTIO_PCI_EPF_MIN_HOST ||
	    host_size > VIRTIO_PCI_EPF_MAX_HOST) {
		pr_err("virtio_pci_epf: host_size=%u: not a multiple of 4 KiB from 64 KiB to 64 MiB\n",
		       host_size);
		return -EINVAL;
	}
	virtio_pci_epf_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	err = pci_register_driver(&virtio_pci_epf_driver);
	if (err)
		debugfs_remove(virtio_pci_epf_debugfs);
	return err;
}
module_init(virtio_pci_epf_init);

static void __exit virtio_pci_epf_exit(void)
{
	pci_unregister_driver(&virtio_pci_epf_driver);
	debugfs_remove(virtio_pci_epf_debugfs);
}
module_exit(virtio_pci_epf_exit);

MODULE_DESCRIPTION("virtio devices implemented by a PCIe endpoint function");
MODULE_LICENSE("GPL");
