// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-pci-epf: virtio devices implemented by a PCIe endpoint function.
 *
 * An endpoint function that registers a device on the vhost bus, which a
 * client (vhost_bus_net, vhost_rpmsg, ...) implements, and presents it to
 * the root complex, where the virtio-pci-epf transport
 * (drivers/virtio/virtio_pci_epf.c) and the stock virtio drivers run. The
 * layout is specified in Documentation/driver-api/virtio/virtio_pci_epf.rst.
 *
 * Each side reads only its own memory. BAR 0 is ours: the root complex
 * writes the notify words, the driver block, the descriptor tables, the
 * driver rings and the buffers the device reads there. The host region is
 * the root complex's: we map it once per connection, with
 * pci_epc_mem_map(), and write the device block, the device rings and the
 * buffers the device writes there. Those are wire rings; their device side
 * (drivers/vhost/vhost_wire.c) implements the vhost bus operations.
 *
 * An endpoint controller has no interrupt for writes to a BAR: a thread
 * polls the notify words, without pause while they change and backing
 * off when they do not.
 */

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci-epc.h>
#include <linux/pci-epf.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vhost_wire.h>
#include <linux/virtio_pci_epf.h>
#include <linux/workqueue.h>

/* The bytes of BAR 0 the function asks for. */
#define VHOST_EPF_BAR_SIZE	SZ_1M
/* The most entries per virtqueue the device offers. */
#define VHOST_EPF_QUEUE_SIZE	256
/* Interrupt vectors the function asks for, MSI and MSI-X. */
#define VHOST_EPF_VECTORS	16

/*
 * The poller: polls that find nothing before it sleeps, and how long it
 * sleeps then, doubling from the shortest to the longest while nothing
 * happens.
 */
#define VHOST_EPF_SPIN		32
#define VHOST_EPF_SLEEP_MIN_US	20
#define VHOST_EPF_SLEEP_MAX_US	4000
/*
 * How often every queue is kicked whatever its notify word says, so that a
 * lost or skipped notification costs time, not a stalled queue.
 */
#define VHOST_EPF_SWEEP		msecs_to_jiffies(100)

/**
 * struct vhost_epf - one vhost-pci-epf endpoint function
 * @wire: the device on the vhost bus, on wire rings: BAR 0 is the region
 *	the root complex writes, the host region the one we write.
 * @epf: the endpoint function.
 * @features: what its controller offers.
 * @header: its configuration header.
 * @bar: BAR 0, our memory.
 * @session: the session of the identity block, new each time the
 *	function starts.
 * @map: the host region, mapped while connected.
 * @rc_session: the root complex's session of the connection, 0 for none.
 * @ctrl: the last even ctrl notify word handled.
 * @notify: the last notify word seen of each queue.
 * @sweep: when the poller next kicks every queue.
 * @irq_type: the interrupts the root complex enabled, as PCI_IRQ_*.
 * @nvectors: how many.
 * @irq_pending: the vectors to raise.
 * @irq_work: raises them: pci_epc_raise_irq() may sleep.
 * @poller: polls the notify words while the controller is initialised.
 * @stats: what the data path did, per CPU, in debugfs.
 * @debugfs: our directory there.
 *
 * &vhost_wire.lock protects the connection: @map, @rc_session, @irq_type
 * and @nvectors. Only @poller changes it, and the controller events once
 * @poller is stopped.
 */
struct vhost_epf {
	struct vhost_wire wire;
	struct pci_epf *epf;
	const struct pci_epc_features *features;
	struct pci_epf_header header;
	void *bar;
	u32 session;
	struct pci_epc_map map;
	u32 rc_session;
	u32 ctrl;
	u32 notify[VIRTIO_PCI_EPF_MAX_QUEUES];
	unsigned long sweep;
	unsigned int irq_type;
	unsigned int nvectors;
	DECLARE_BITMAP(irq_pending, VIRTIO_PCI_EPF_MAX_VECTORS);
	struct work_struct irq_work;
	struct task_struct *poller;
	struct virtio_wire_stats __percpu *stats;
	struct dentry *debugfs;
};

static struct dentry *vhost_epf_debugfs;

DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats);

static inline struct vhost_epf *to_vhost_epf(struct vhost_wire *wire)
{
	return container_of(wire, struct vhost_epf, wire);
}

static struct virtio_pci_epf_notify *
vhost_epf_notify_words(struct vhost_epf *vepf)
{
	return vepf->bar + VIRTIO_PCI_EPF_NOTIFY;
}

static struct virtio_pci_epf_driver_block *
vhost_epf_drvblk(struct vhost_epf *vepf)
{
	return vepf->bar + VIRTIO_PCI_EPF_DRIVER;
}

/* --- interrupts ----------------------------------------------------------- */

static void vhost_epf_raise(struct vhost_epf *vepf, unsigned int vector)
{
	set_bit(vector, vepf->irq_pending);
	queue_work(system_highpri_wq, &vepf->irq_work);
}

static void vhost_epf_irq_work(struct work_struct *work)
{
	struct vhost_epf *vepf = container_of(work, struct vhost_epf, irq_work);
	struct pci_epf *epf = vepf->epf;
	unsigned int vector;

	for_each_set_bit(vector, vepf->irq_pending, VIRTIO_PCI_EPF_MAX_VECTORS) {
		clear_bit(vector, vepf->irq_pending);
		/* Never while not connected, nor past what the RC enabled. */
		if (!READ_ONCE(vepf->wire.connected) ||
		    vector >= READ_ONCE(vepf->nvectors))
			continue;
		pci_epc_raise_irq(epf->epc, epf->func_no, epf->vfunc_no,
				  READ_ONCE(vepf->irq_type), vector + 1);
	}
}

static void vhost_epf_ring_ctrl(struct vhost_wire *wire)
{
	/* The device block writes before the interrupt. */
	wmb();
	vhost_epf_raise(to_vhost_epf(wire), VIRTIO_PCI_EPF_VECTOR_CTRL);
}

static void vhost_epf_notify_vq(struct vhost_wire *wire, unsigned int index)
{
	struct vhost_epf *vepf = to_vhost_epf(wire);

	/* The used ring entries before the interrupt. */
	wmb();
	vhost_epf_raise(vepf, virtio_pci_epf_queue_vector(index,
							  READ_ONCE(vepf->nvectors)));
}

static const struct vhost_wire_ops vhost_epf_wire_ops = {
	.ring_ctrl	= vhost_epf_ring_ctrl,
	.notify_vq	= vhost_epf_notify_vq,
};

/* --- connection ----------------------------------------------------------- */

/**
 * struct vhost_epf_announce - the connection fields of the driver block
 * @magic: its magic.
 * @version: its version.
 * @session: the root complex's session.
 * @ep_session: the function session the root complex read.
 * @host_addr: the PCI address of the host region.
 * @host_size: its size.
 * @irq: the interrupts the root complex enabled.
 */
struct vhost_epf_announce {
	u32 magic;
	u32 version;
	u32 session;
	u32 ep_session;
	u64 host_addr;
	u32 host_size;
	u32 irq;
};

/*
 * Read the connection fields as a seqlock reader: false if the root
 * complex was rewriting them, or started again while we read.
 */
static bool vhost_epf_read_announce(struct vhost_epf *vepf, u32 ctrl,
				    struct vhost_epf_announce *a)
{
	const struct virtio_pci_epf_driver_block *blk = vhost_epf_drvblk(vepf);

	if (ctrl & 1)
		return false;
	/* The block after the even ctrl. */
	dma_rmb();
	a->magic = le32_to_cpu(READ_ONCE(blk->magic));
	a->version = le32_to_cpu(READ_ONCE(blk->version));
	a->session = le32_to_cpu(READ_ONCE(blk->session));
	a->ep_session = le32_to_cpu(READ_ONCE(blk->ep_session));
	a->host_addr = le64_to_cpu(READ_ONCE(blk->host_addr));
	a->host_size = le32_to_cpu(READ_ONCE(blk->host_size));
	a->irq = le32_to_cpu(READ_ONCE(blk->irq));
	/* The block before ctrl again. */
	dma_rmb();
	return le32_to_cpu(READ_ONCE(vhost_epf_notify_words(vepf)->ctrl)) ==
	       ctrl;
}

/* The interrupt kind of the driver block, as PCI_IRQ_*, or 0 if refused. */
static unsigned int vhost_epf_irq_type(struct vhost_epf *vepf, u32 irq,
				       unsigned int *vectors)
{
	unsigned int kind = FIELD_GET(VIRTIO_PCI_EPF_IRQ_KIND, irq);

	*vectors = FIELD_GET(VIRTIO_PCI_EPF_IRQ_VECTORS, irq);
	if (!*vectors || *vectors > VIRTIO_PCI_EPF_MAX_VECTORS)
		return 0;
	switch (kind) {
	case VIRTIO_PCI_EPF_IRQ_MSIX:
		return vepf->features->msix_capable ? PCI_IRQ_MSIX : 0;
	case VIRTIO_PCI_EPF_IRQ_MSI:
		return vepf->features->msi_capable ? PCI_IRQ_MSI : 0;
	case VIRTIO_PCI_EPF_IRQ_INTX:
		*vectors = 1;
		return PCI_IRQ_INTX;
	default:
		return 0;
	}
}

/* Map the host region the root complex announced; 0 or an error. */
static int vhost_epf_map_host(struct vhost_epf *vepf,
			      const struct vhost_epf_announce *a,
			      struct pci_epc_map *map)
{
	struct pci_epf *epf = vepf->epf;
	int err;

	if (a->host_size < VIRTIO_PCI_EPF_MIN_HOST ||
	    a->host_size > VIRTIO_PCI_EPF_MAX_HOST ||
	    !IS_ALIGNED(a->host_size, VIRTIO_PCI_EPF_HOST_ALIGN) ||
	    !IS_ALIGNED(a->host_addr, VIRTIO_PCI_EPF_HOST_ALIGN)) {
		dev_err(&epf->dev, "bad host region: %u bytes at %#llx\n",
			a->host_size, a->host_addr);
		return -EINVAL;
	}
	err = pci_epc_mem_map(epf->epc, epf->func_no, epf->vfunc_no,
			      a->host_addr, a->host_size, map);
	if (err)
		return err;
	/* The controller may map less than asked: all of it, or nothing. */
	if (map->pci_size < a->host_size) {
		pci_epc_mem_unmap(epf->epc, epf->func_no, epf->vfunc_no, map);
		return -ENOSPC;
	}
	return 0;
}

/* The last write to the host region in a connection, then unmap it. */
static void vhost_epf_ack_disconnect(struct vhost_epf *vepf,
				     struct pci_epc_map *map, u32 session)
{
	struct pci_epf *epf = vepf->epf;

	iowrite32(session, map->virt_addr +
		  offsetof(struct virtio_pci_epf_device_block, disconnect_ack));
	pci_epc_mem_unmap(epf->epc, epf->func_no, epf->vfunc_no, map);
}

/*
 * Forget the connection: reset the device as if the root complex had
 * written 0, so that the client stops using the rings, stop the
 * interrupts, acknowledge, unmap. Called without &vhost_wire.lock.
 */
static void vhost_epf_disconnect(struct vhost_epf *vepf, bool reset)
{
	void __iomem *peer;
	u32 session;

	peer = vhost_wire_disconnect(&vepf->wire, reset);
	if (!peer)
		return;
	/* No interrupt after the connection. */
	cancel_work_sync(&vepf->irq_work);
	bitmap_zero(vepf->irq_pending, VIRTIO_PCI_EPF_MAX_VECTORS);

	mutex_lock(&vepf->wire.lock);
	session = vepf->rc_session;
	vepf->rc_session = 0;
	mutex_unlock(&vepf->wire.lock);
	vhost_epf_ack_disconnect(vepf, &vepf->map, session);
	dev_dbg(&vepf->epf->dev, "disconnected from session %08x\n", session);
}

static void vhost_epf_connect(struct vhost_epf *vepf,
			      const struct vhost_epf_announce *a)
{
	struct vhost_wire *wire = &vepf->wire;
	struct device *dev = &vepf->epf->dev;
	unsigned int type, vectors;
	int err;

	type = vhost_epf_irq_type(vepf, a->irq, &vectors);
	if (!type) {
		dev_err(dev, "interrupts %#x refused: not what the function offers\n",
			a->irq);
		return;
	}
	err = vhost_epf_map_host(vepf, a, &vepf->map);
	if (err) {
		dev_err(dev, "cannot map the host region of %u bytes at %#llx: %d\n",
			a->host_size, a->host_addr, err);
		return;
	}

	mutex_lock(&wire->lock);
	vepf->rc_session = a->session;
	WRITE_ONCE(vepf->irq_type, type);
	WRITE_ONCE(vepf->nvectors, vectors);
	memset(vepf->notify, 0, sizeof(vepf->notify));
	/* Tells the root complex that we are connected. */
	wire->shadow.transport[0] = cpu_to_le32(a->session);
	vhost_wire_connect(wire, vepf->map.virt_addr, a->host_size);
	mutex_unlock(&wire->lock);
	dev_dbg(dev, "connected, session %08x\n", a->session);
}

/* The root complex wrote the driver block: a connection, or a status. */
static void vhost_epf_ctrl(struct vhost_epf *vepf, u32 ctrl)
{
	struct vhost_epf_announce a;
	struct pci_epc_map map;

	if (!vhost_epf_read_announce(vepf, ctrl, &a))
		return;
	vepf->ctrl = ctrl;

	if (a.magic != VIRTIO_PCI_EPF_MAGIC ||
	    a.version != VIRTIO_PCI_EPF_VERSION ||
	    a.ep_session != vepf->session) {
		/* A disconnection, or a block for an earlier function. */
		if (vepf->rc_session) {
			vhost_epf_disconnect(vepf, true);
			return;
		}
		/*
		 * Acknowledge the disconnection of a session we never
		 * connected to, if we can: the root complex may wait for it.
		 */
		if (!a.magic && a.session && a.ep_session == vepf->session &&
		    !vhost_epf_map_host(vepf, &a, &map))
			vhost_epf_ack_disconnect(vepf, &map, a.session);
		return;
	}

	if (a.session != vepf->rc_session) {
		/* The root complex connected again. */
		vhost_epf_disconnect(vepf, true);
		vhost_epf_connect(vepf, &a);
	}
	vhost_wire_status(&vepf->wire);
}

/* One look at the notify words: true if anything changed. */
static bool vhost_epf_poll(struct vhost_epf *vepf)
{
	struct virtio_pci_epf_notify *words = vhost_epf_notify_words(vepf);
	bool busy = false, sweep;
	unsigned int q;
	u32 ctrl, n;

	ctrl = le32_to_cpu(READ_ONCE(words->ctrl));
	if (ctrl != vepf->ctrl) {
		vhost_epf_ctrl(vepf, ctrl);
		busy = true;
	}
	if (!READ_ONCE(vepf->wire.connected))
		return busy;
	sweep = time_after_eq(jiffies, vepf->sweep);
	if (sweep)
		vepf->sweep = jiffies + VHOST_EPF_SWEEP;
	for (q = 0; q < READ_ONCE(vepf->wire.nvqs); q++) {
		n = le32_to_cpu(READ_ONCE(words->queue[q]));
		if (n != vepf->notify[q]) {
			vepf->notify[q] = n;
			busy = true;
		} else if (!sweep) {
			continue;
		}
		vhost_wire_kick(&vepf->wire, q);
	}
	return busy;
}

/*
 * Poll without pause while the root complex notifies, so that a kick is
 * seen within microseconds under load; back off, doubling the sleep, when
 * it goes quiet, so that an idle function costs little.
 */
static int vhost_epf_poller(void *data)
{
	struct vhost_epf *vepf = data;
	unsigned int idle = 0, us;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			idle = 0;
			continue;
		}
		if (vhost_epf_poll(vepf)) {
			idle = 0;
			cond_resched();
			continue;
		}
		if (++idle < VHOST_EPF_SPIN) {
			cond_resched();
			continue;
		}
		us = VHOST_EPF_SLEEP_MIN_US << min(idle - VHOST_EPF_SPIN, 8U);
		us = min(us, VHOST_EPF_SLEEP_MAX_US);
		usleep_range(us, us + us / 4);
	}
	return 0;
}

/* --- endpoint function events -------------------------------------------- */

/* A new identity, the rest of BAR 0 zeroed, the magic last. */
static void vhost_epf_write_ident(struct vhost_epf *vepf)
{
	struct virtio_pci_epf_ident *id = vepf->bar + VIRTIO_PCI_EPF_IDENT;
	u32 session;

	do {
		session = get_random_u32();
	} while (!session || session == vepf->session);
	vepf->session = session;
	vepf->ctrl = 0;

	memset(vepf->bar, 0, VHOST_EPF_BAR_SIZE);
	id->version = cpu_to_le32(VIRTIO_PCI_EPF_VERSION);
	id->session = cpu_to_le32(session);
	id->bar_size = cpu_to_le32(VHOST_EPF_BAR_SIZE);
	id->doorbell = cpu_to_le32(VIRTIO_PCI_EPF_DOORBELL_POLLED);
	/* The rest before the magic. */
	wmb();
	WRITE_ONCE(id->magic, cpu_to_le32(VIRTIO_PCI_EPF_MAGIC));
}

static void vhost_epf_stop(struct vhost_epf *vepf, bool reset)
{
	if (vepf->poller) {
		kthread_stop(vepf->poller);
		vepf->poller = NULL;
	}
	vhost_epf_disconnect(vepf, reset);
}

static int vhost_epf_epc_init(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);
	const struct pci_epc_features *features = vepf->features;
	struct pci_epc *epc = epf->epc;
	struct task_struct *poller;
	int err;

	vhost_epf_write_ident(vepf);

	if (epf->vfunc_no <= 1) {
		err = pci_epc_write_header(epc, epf->func_no, epf->vfunc_no,
					   epf->header);
		if (err)
			return err;
	}
	err = pci_epc_set_bar(epc, epf->func_no, epf->vfunc_no,
			      &epf->bar[VIRTIO_PCI_EPF_BAR]);
	if (err)
		return err;
	if (features->msi_capable) {
		err = pci_epc_set_msi(epc, epf->func_no, epf->vfunc_no,
				      VHOST_EPF_VECTORS);
		if (err)
			goto err_bar;
	}
	if (features->msix_capable) {
		err = pci_epc_set_msix(epc, epf->func_no, epf->vfunc_no,
				       VHOST_EPF_VECTORS, VIRTIO_PCI_EPF_BAR,
				       VIRTIO_PCI_EPF_MSIX_TABLE);
		if (err)
			goto err_bar;
	}

	poller = kthread_run(vhost_epf_poller, vepf, "vhost-epf/%s",
			     dev_name(&epf->dev));
	if (IS_ERR(poller)) {
		err = PTR_ERR(poller);
		goto err_bar;
	}
	vepf->poller = poller;
	return 0;

err_bar:
	pci_epc_clear_bar(epc, epf->func_no, epf->vfunc_no,
			  &epf->bar[VIRTIO_PCI_EPF_BAR]);
	return err;
}

/* PERST# or the controller stopped: the connection is over. */
static void vhost_epf_epc_deinit(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);

	vhost_epf_stop(vepf, true);
	pci_epc_clear_bar(epf->epc, epf->func_no, epf->vfunc_no,
			  &epf->bar[VIRTIO_PCI_EPF_BAR]);
}

static int vhost_epf_link_down(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);
	struct task_struct *poller = vepf->poller;

	/* The poller is the one that connects: keep it from racing. */
	if (poller) {
		kthread_park(poller);
		vhost_epf_disconnect(vepf, true);
		kthread_unpark(poller);
	}
	return 0;
}

static const struct pci_epc_event_ops vhost_epf_event_ops = {
	.epc_init	= vhost_epf_epc_init,
	.epc_deinit	= vhost_epf_epc_deinit,
	.link_down	= vhost_epf_link_down,
};

static int vhost_epf_bind(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);
	const struct pci_epc_features *features;
	struct pci_epc *epc = epf->epc;

	if (WARN_ON_ONCE(!epc))
		return -EINVAL;
	features = pci_epc_get_features(epc, epf->func_no, epf->vfunc_no);
	if (!features) {
		dev_err(&epf->dev, "the controller reports no features\n");
		return -EOPNOTSUPP;
	}
	if (features->bar[VIRTIO_PCI_EPF_BAR].type == BAR_RESERVED) {
		dev_err(&epf->dev, "BAR %u is reserved on this controller\n",
			VIRTIO_PCI_EPF_BAR);
		return -EOPNOTSUPP;
	}
	vepf->features = features;

	vepf->bar = pci_epf_alloc_space(epf, VHOST_EPF_BAR_SIZE,
					VIRTIO_PCI_EPF_BAR, features,
					PRIMARY_INTERFACE);
	if (!vepf->bar)
		return -ENOMEM;

	vepf->wire.local = vepf->bar;
	vepf->wire.local_size = VHOST_EPF_BAR_SIZE;
	vepf->wire.drvblk = (void *)vhost_epf_drvblk(vepf);
	return 0;
}

static void vhost_epf_unbind(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);

	vhost_epf_stop(vepf, true);
	if (epf->epc->init_complete)
		pci_epc_clear_bar(epf->epc, epf->func_no, epf->vfunc_no,
				  &epf->bar[VIRTIO_PCI_EPF_BAR]);
	pci_epf_free_space(epf, vepf->bar, VIRTIO_PCI_EPF_BAR,
			   PRIMARY_INTERFACE);
	vepf->bar = NULL;
}

static const struct pci_epf_ops vhost_epf_ops = {
	.bind	= vhost_epf_bind,
	.unbind	= vhost_epf_unbind,
};

static int vhost_epf_probe(struct pci_epf *epf,
			   const struct pci_epf_device_id *id)
{
	struct virtio_wire_stats __percpu *stats;
	struct vhost_epf *vepf;
	int err;

	vepf = vhost_wire_alloc_device(struct vhost_epf, wire, &epf->dev);
	if (!vepf)
		return -ENOMEM;
	stats = alloc_percpu(struct virtio_wire_stats);
	if (!stats) {
		vhost_bus_put_device(&vepf->wire.vdev);
		return -ENOMEM;
	}

	vepf->epf = epf;
	vepf->stats = stats;
	INIT_WORK(&vepf->irq_work, vhost_epf_irq_work);
	vepf->header.vendorid = PCI_ANY_ID;
	vepf->header.deviceid = PCI_ANY_ID;
	vepf->header.baseclass_code = PCI_BASE_CLASS_COMMUNICATION;
	vepf->header.subclass_code = PCI_CLASS_COMMUNICATION_OTHER & 0xff;
	vepf->header.interrupt_pin = PCI_INTERRUPT_INTA;
	epf->header = &vepf->header;
	epf->event_ops = &vhost_epf_event_ops;

	vepf->wire.ops = &vhost_epf_wire_ops;
	vepf->wire.magic = VIRTIO_PCI_EPF_MAGIC;
	vepf->wire.version = VIRTIO_PCI_EPF_VERSION;
	vepf->wire.local_start = VIRTIO_PCI_EPF_BAR_AREA;
	vepf->wire.local_region = VIRTIO_PCI_EPF_ADDR_BAR;
	vepf->wire.peer_start = VIRTIO_PCI_EPF_HOST_AREA;
	vepf->wire.peer_region = VIRTIO_PCI_EPF_ADDR_HOST;
	vepf->wire.stats = stats;
	vhost_wire_init(&vepf->wire);
	vepf->wire.vdev.queue_size = VHOST_EPF_QUEUE_SIZE;

	/* Keep the memory past vhost_unregister_device() in remove. */
	get_device(&vepf->wire.vdev.dev);
	err = vhost_register_device(&vepf->wire.vdev);
	if (err) {
		put_device(&vepf->wire.vdev.dev);
		vhost_bus_put_device(&vepf->wire.vdev);
		free_percpu(stats);
		return err;
	}
	epf_set_drvdata(epf, vepf);

	vepf->debugfs = debugfs_create_dir(dev_name(&epf->dev),
					   vhost_epf_debugfs);
	debugfs_create_file("stats", 0400, vepf->debugfs, &vepf->stats,
			    &virtio_wire_stats_fops);
	return 0;
}

static void vhost_epf_remove(struct pci_epf *epf)
{
	struct vhost_epf *vepf = epf_get_drvdata(epf);

	debugfs_remove(vepf->debugfs);
	/* The client goes, and the root complex learns the device went. */
	vhost_unregister_device(&vepf->wire.vdev);
	vhost_epf_stop(vepf, false);
	free_percpu(vepf->stats);
	put_device(&vepf->wire.vdev.dev);
}

static const struct pci_epf_device_id vhost_epf_ids[] = {
	{ .name = "pci_epf_vhost" },
	{},
};

static struct pci_epf_driver vhost_epf_driver = {
	.driver.name	= "pci_epf_vhost",
	.probe		= vhost_epf_probe,
	.remove		= vhost_epf_remove,
	.id_table	= vhost_epf_ids,
	.ops		= &vhost_epf_ops,
	.owner		= THIS_MODULE,
};

static int __init vhost_epf_init(void)
{
	int err;

	vhost_epf_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	err = pci_epf_register_driver(&vhost_epf_driver);
	if (err)
		debugfs_remove(vhost_epf_debugfs);
	return err;
}
module_init(vhost_epf_init);

static void __exit vhost_epf_exit(void)
{
	pci_epf_unregister_driver(&vhost_epf_driver);
	debugfs_remove(vhost_epf_debugfs);
}
module_exit(vhost_epf_exit);

MODULE_DESCRIPTION("vhost bus devices for a root complex, as a PCI endpoint function");
MODULE_LICENSE("GPL");
