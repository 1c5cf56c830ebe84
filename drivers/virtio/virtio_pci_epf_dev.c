// SPDX-License-Identifier: GPL-2.0-only
/*
 * The root complex side of virtio-pci-epf: access to the registers of a
 * vhost-pci-epf endpoint function and to the device block it writes in our
 * memory, for a virtio transport or a vDPA parent driver.
 *
 * Everything the endpoint publishes is checked here, once, before a driver
 * may use it: the endpoint is another host and may be buggy, restarting or
 * hostile. The layout is specified in
 * Documentation/driver-api/virtio/virtio_pci_epf.rst.
 */

#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/io.h>
/* 64-bit fields low half first: a bridge need not carry 64-bit writes. */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/virtio_pci_epf.h>

/* What an endpoint function reads as when the link is down or it is gone. */
#define VIRTIO_PCI_EPF_GONE		0xffffffff

#define vpd_ident(vpd, field)						\
	((vpd)->bar + VIRTIO_PCI_EPF_IDENT +				\
	 offsetof(struct virtio_pci_epf_ident, field))
#define vpd_driver(vpd, field)						\
	((vpd)->bar + VIRTIO_PCI_EPF_DRIVER +				\
	 offsetof(struct virtio_pci_epf_driver_block, field))
#define vpd_notify(vpd, field)						\
	((vpd)->bar + VIRTIO_PCI_EPF_NOTIFY +				\
	 offsetof(struct virtio_pci_epf_notify, field))

/**
 * virtio_pci_epf_check_ident() - read and check the identity block
 * @vpd: the function, with @vpd->bar and @vpd->bar_len set.
 *
 * Reads the identity block across the link, so call it off the data path:
 * at probe, and before each connection.
 *
 * Also reads the ctrl notify word, once, so that this driver counts on
 * from what an earlier one left there and its writes always change it.
 *
 * Return: 0, with @vpd->ep_session, @vpd->bar_size and @vpd->ctrl set;
 * -EAGAIN if the function is starting (its magic is still 0); -ENODEV if
 * it reads as all ones (link down, or gone); -EPROTONOSUPPORT for a wrong
 * magic or version; -EINVAL for a bad size, session or doorbell kind.
 */
int virtio_pci_epf_check_ident(struct virtio_pci_epf_device *vpd)
{
	u32 magic, version, session, bar_size, doorbell;

	magic = ioread32(vpd_ident(vpd, magic));
	if (magic == VIRTIO_PCI_EPF_GONE)
		return -ENODEV;
	if (!magic)
		return -EAGAIN;
	/* The EP wrote the rest before the magic. */
	rmb();
	version = ioread32(vpd_ident(vpd, version));
	if (magic != VIRTIO_PCI_EPF_MAGIC ||
	    version != VIRTIO_PCI_EPF_VERSION) {
		dev_err(vpd->dev,
			"not a vhost-pci-epf function of version %u: magic %#x, version %u\n",
			VIRTIO_PCI_EPF_VERSION, magic, version);
		return -EPROTONOSUPPORT;
	}

	session = ioread32(vpd_ident(vpd, session));
	bar_size = ioread32(vpd_ident(vpd, bar_size));
	doorbell = ioread32(vpd_ident(vpd, doorbell));
	if (!session || !IS_ALIGNED(bar_size, SZ_4K) ||
	    bar_size < VIRTIO_PCI_EPF_MIN_BAR || bar_size > vpd->bar_len ||
	    doorbell != VIRTIO_PCI_EPF_DOORBELL_POLLED) {
		dev_err(vpd->dev,
			"bad identity: session %#x, %u bytes of a %llu-byte BAR, doorbell %u\n",
			session, bar_size, (u64)vpd->bar_len, doorbell);
		return -EINVAL;
	}

	vpd->ep_session = session;
	vpd->bar_size = bar_size;
	vpd->ctrl = round_up(ioread32(vpd_notify(vpd, ctrl)), 2);
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_check_ident);

/**
 * virtio_pci_epf_poll_ident() - has the function restarted or gone?
 * @vpd: the function, checked with virtio_pci_epf_check_ident().
 *
 * Two reads across the link: call it at most about once a second while
 * connected, and when the function does not answer in time.
 *
 * Return: 0 if it is the function last checked; -ENODEV if it reads as all
 * ones; -ESTALE if its identity changed (it restarted): check it again
 * before the next connection.
 */
int virtio_pci_epf_poll_ident(struct virtio_pci_epf_device *vpd)
{
	u32 magic = ioread32(vpd_ident(vpd, magic));

	if (magic == VIRTIO_PCI_EPF_GONE)
		return -ENODEV;
	if (magic != VIRTIO_PCI_EPF_MAGIC ||
	    ioread32(vpd_ident(vpd, session)) != vpd->ep_session)
		return -ESTALE;
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_poll_ident);

/**
 * virtio_pci_epf_connect() - announce the host region to the function
 * @vpd: the function, its identity checked, with the host region set
 *	(@vpd->host, @vpd->host_addr, @vpd->host_size).
 * @irq: the interrupts enabled, see virtio_pci_epf_irq().
 *
 * Zeroes the host region and writes the driver block of a new connection:
 * from then on, the function may write the host region. The device block
 * comes when the endpoint has a device for it, with an interrupt on vector
 * 0; see virtio_pci_epf_device_present().
 *
 * Context: the caller serialises the calls on @vpd.
 */
void virtio_pci_epf_connect(struct virtio_pci_epf_device *vpd, u32 irq)
{
	u32 session;

	/* Never the session of the connection before. */
	do {
		session = get_random_u32();
	} while (!session || session == vpd->session);

	memset(vpd->host, 0, vpd->host_size);
	vpd->status_seq = 0;

	/*
	 * A seqlock writer: ctrl odd while the block changes, even when it is
	 * whole. The control part of BAR 0 is mapped uncached, and MMIO
	 * writes to it arrive in program order, after the zeroed region.
	 */
	iowrite32(++vpd->ctrl, vpd_notify(vpd, ctrl));
	/* The EP compares each notify word with the last it saw: from 0. */
	memset_io(vpd_notify(vpd, queue), 0,
		  sizeof_field(struct virtio_pci_epf_notify, queue));
	iowrite32(0, vpd_driver(vpd, magic));
	memset_io(vpd->bar + VIRTIO_PCI_EPF_DRIVER, 0,
		  sizeof(struct virtio_pci_epf_driver_block));
	iowrite32(VIRTIO_PCI_EPF_VERSION, vpd_driver(vpd, version));
	iowrite64_lo_hi(vpd->host_addr, vpd_driver(vpd, host_addr));
	iowrite32(vpd->host_size, vpd_driver(vpd, host_size));
	iowrite32(irq, vpd_driver(vpd, irq));
	iowrite32(vpd->ep_session, vpd_driver(vpd, ep_session));
	iowrite32(session, vpd_driver(vpd, session));
	iowrite32(VIRTIO_PCI_EPF_MAGIC, vpd_driver(vpd, magic));
	iowrite32(++vpd->ctrl, vpd_notify(vpd, ctrl));
	vpd->session = session;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_connect);

/**
 * virtio_pci_epf_disconnect() - end the connection
 * @vpd: the function.
 *
 * Tells the function to stop using the host region; the rest of the
 * driver block stays, so that a function that never connected can still
 * acknowledge. The region may be freed only once
 * virtio_pci_epf_disconnect_acked() is true, or the function is gone:
 * virtio_pci_epf_remove() waits for that.
 *
 * Context: the caller serialises the calls on @vpd.
 */
void virtio_pci_epf_disconnect(struct virtio_pci_epf_device *vpd)
{
	iowrite32(0, vpd_driver(vpd, magic));
	vpd->ctrl += 2;
	iowrite32(vpd->ctrl, vpd_notify(vpd, ctrl));
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_disconnect);

/**
 * virtio_pci_epf_connected() - has the function taken the connection?
 * @vpd: the function.
 *
 * Return: true once the function wrote the session of the current
 * connection in the device block: it has mapped the host region.
 */
bool virtio_pci_epf_connected(struct virtio_pci_epf_device *vpd)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;

	return vpd->session &&
	       le32_to_cpu(READ_ONCE(blk->session)) == vpd->session;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_connected);

/**
 * virtio_pci_epf_disconnect_acked() - has the function let the region go?
 * @vpd: the function, after virtio_pci_epf_disconnect().
 *
 * Return: true once the function acknowledged the end of the current
 * connection: it will not write the host region any more.
 */
bool virtio_pci_epf_disconnect_acked(struct virtio_pci_epf_device *vpd)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;

	return vpd->session &&
	       le32_to_cpu(READ_ONCE(blk->disconnect_ack)) == vpd->session;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_disconnect_acked);

/**
 * virtio_pci_epf_device_present() - is there a device in this connection?
 * @vpd: the function, connected.
 *
 * Reads only our memory.
 *
 * Return: true if the device block is valid for the current connection and
 * shows a device.
 */
bool virtio_pci_epf_device_present(struct virtio_pci_epf_device *vpd)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;

	if (le32_to_cpu(READ_ONCE(blk->magic)) != VIRTIO_PCI_EPF_MAGIC)
		return false;
	/* The EP wrote the rest before the magic. */
	dma_rmb();
	return virtio_pci_epf_connected(vpd) && READ_ONCE(blk->device_id);
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_device_present);

/**
 * virtio_pci_epf_read_device() - read and check the device block
 * @vpd: the function, with virtio_pci_epf_device_present() true.
 * @info: where to put the checked copy.
 *
 * Reads each value once and checks it against the limits of the protocol.
 * The endpoint may change the block at any time: use @info, never the block,
 * for what sizes or indexes anything. Status writes are numbered on from
 * the acknowledgment the block holds.
 *
 * Return: 0; -EINVAL if a value is out of bounds (logged): the device must
 * then be refused; -EAGAIN if the block changed while it was read: read it
 * again when the function next raises vector 0.
 */
int virtio_pci_epf_read_device(struct virtio_pci_epf_device *vpd,
			       struct virtio_pci_epf_device_info *info)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;
	unsigned int q, num, config_len;

	/* The caller saw the magic: what the device wrote before it. */
	dma_rmb();
	if (le32_to_cpu(READ_ONCE(blk->version)) != VIRTIO_PCI_EPF_VERSION) {
		dev_err(vpd->dev, "device block of version %u: refused\n",
			le32_to_cpu(READ_ONCE(blk->version)));
		return -EINVAL;
	}
	info->device_id = le32_to_cpu(READ_ONCE(blk->device_id));
	info->vendor_id = le32_to_cpu(READ_ONCE(blk->vendor_id));
	info->features = le64_to_cpu(READ_ONCE(blk->device_features));
	info->status_ack = le32_to_cpu(READ_ONCE(blk->status_ack));
	info->generation = le32_to_cpu(READ_ONCE(blk->config_generation));
	info->num_queues = le16_to_cpu(READ_ONCE(blk->num_queues));
	config_len = le16_to_cpu(READ_ONCE(blk->config_len));

	if (info->num_queues > VIRTIO_PCI_EPF_MAX_QUEUES) {
		dev_err(vpd->dev, "device offers %u queues, more than %u: refused\n",
			info->num_queues, VIRTIO_PCI_EPF_MAX_QUEUES);
		return -EINVAL;
	}
	if (config_len > VIRTIO_PCI_EPF_CONFIG_SIZE) {
		dev_err(vpd->dev,
			"device configuration of %u bytes, more than %u: refused\n",
			config_len, VIRTIO_PCI_EPF_CONFIG_SIZE);
		return -EINVAL;
	}
	memset(info->queue_size_max, 0, sizeof(info->queue_size_max));
	for (q = 0; q < info->num_queues; q++) {
		num = le16_to_cpu(READ_ONCE(blk->queue_size_max[q]));
		if (num && (!is_power_of_2(num) ||
			    num > VIRTIO_PCI_EPF_MAX_QUEUE_SIZE)) {
			dev_err(vpd->dev, "queue %u: bad size %u: device refused\n",
				q, num);
			return -EINVAL;
		}
		info->queue_size_max[q] = num;
	}

	/* The block read above, before what says it is still the same. */
	dma_rmb();
	if (le32_to_cpu(READ_ONCE(blk->magic)) != VIRTIO_PCI_EPF_MAGIC ||
	    le32_to_cpu(READ_ONCE(blk->session)) != vpd->session ||
	    le32_to_cpu(READ_ONCE(blk->device_id)) != info->device_id ||
	    !info->device_id)
		return -EAGAIN;
	vpd->status_seq = info->status_ack;
	return 0;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_read_device);

/**
 * virtio_pci_epf_set_features() - write the features the driver accepted
 * @vpd: the function, connected.
 * @features: the feature bits.
 *
 * Write them before the status write that sets FEATURES_OK.
 */
void virtio_pci_epf_set_features(struct virtio_pci_epf_device *vpd,
				 u64 features)
{
	iowrite64_lo_hi(features, vpd_driver(vpd, driver_features));
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_set_features);

/**
 * virtio_pci_epf_write_status() - ask the device for a new status
 * @vpd: the function, connected.
 * @status: the device status the driver wants.
 *
 * The device answers with the status it decided in the device block and
 * acknowledges the request; wait for virtio_pci_epf_status_acked(), with a
 * bound, before reading it.
 *
 * Context: the caller serialises the calls on @vpd.
 * Return: the sequence number of the request.
 */
u32 virtio_pci_epf_write_status(struct virtio_pci_epf_device *vpd, u8 status)
{
	u32 seq = ++vpd->status_seq;

	/*
	 * The status, then seq, then ctrl: MMIO writes to the uncached
	 * control part of BAR 0 arrive in program order. ctrl stays even.
	 */
	iowrite32(status, vpd_driver(vpd, status));
	iowrite32(seq, vpd_driver(vpd, status_seq));
	vpd->ctrl += 2;
	iowrite32(vpd->ctrl, vpd_notify(vpd, ctrl));
	return seq;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_write_status);

/**
 * virtio_pci_epf_status_acked() - has the device handled a status write?
 * @vpd: the function, connected.
 * @seq: what virtio_pci_epf_write_status() returned.
 *
 * Return: true once the device acknowledged @seq in this connection.
 */
bool virtio_pci_epf_status_acked(struct virtio_pci_epf_device *vpd, u32 seq)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;

	return virtio_pci_epf_connected(vpd) &&
	       le32_to_cpu(READ_ONCE(blk->status_ack)) == seq;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_status_acked);

/**
 * virtio_pci_epf_get_status() - the device status, as the device decided it
 * @vpd: the function, connected.
 *
 * Return: the status.
 */
u8 virtio_pci_epf_get_status(struct virtio_pci_epf_device *vpd)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;

	/* Ordered after the acknowledgment the caller read. */
	dma_rmb();
	return le32_to_cpu(READ_ONCE(blk->status));
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_get_status);

/**
 * virtio_pci_epf_config_generation() - the configuration generation
 * @vpd: the function, connected.
 *
 * The device writes the configuration space as a seqlock writer. This is
 * the reader's side: an odd generation is waited out, for at most
 * VIRTIO_PCI_EPF_CONFIG_WAIT_US, and the configuration bytes read between
 * two calls are ordered between them.
 *
 * Return: the generation; still odd if the device stopped midway.
 */
u32 virtio_pci_epf_config_generation(struct virtio_pci_epf_device *vpd)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;
	u32 gen;
	int err;

	/* The bytes read before this call, before the generation. */
	dma_rmb();
	err = read_poll_timeout_atomic(le32_to_cpu, gen, !(gen & 1), 1,
				       VIRTIO_PCI_EPF_CONFIG_WAIT_US, false,
				       READ_ONCE(blk->config_generation));
	if (err)
		dev_warn_ratelimited(vpd->dev,
				     "configuration generation %u stays odd\n",
				     gen);
	/* The generation before the bytes read after this call. */
	dma_rmb();
	return gen;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_config_generation);

/**
 * virtio_pci_epf_get_config() - read the device configuration space
 * @vpd: the function, connected.
 * @offset: where to start.
 * @buf: where to put the bytes.
 * @len: how many.
 *
 * Past the length the device gave, and past the end of the space, the
 * configuration reads as zeroes. The length is read each time, since it may
 * change with the generation.
 */
void virtio_pci_epf_get_config(struct virtio_pci_epf_device *vpd,
			       unsigned int offset, void *buf, unsigned int len)
{
	const struct virtio_pci_epf_device_block *blk = vpd->host;
	unsigned int end = min_t(unsigned int, VIRTIO_PCI_EPF_CONFIG_SIZE,
				 le16_to_cpu(READ_ONCE(blk->config_len)));
	unsigned int n = 0;

	if (offset < end)
		n = min(len, end - offset);
	memcpy(buf, blk->config + offset, n);
	memset(buf + n, 0, len - n);
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_get_config);

/**
 * virtio_pci_epf_set_queue() - tell the device where a queue is
 * @vpd: the function, connected.
 * @index: the queue, below the checked number of queues.
 * @desc: the bus address of the descriptor table, in the BAR area.
 * @avail: the bus address of the driver ring, in the BAR area.
 * @used: the bus address of the device ring, in the host area.
 * @size: the number of entries; 0 disables the queue.
 *
 * Set every queue before the status write that sets DRIVER_OK.
 */
void virtio_pci_epf_set_queue(struct virtio_pci_epf_device *vpd,
			      unsigned int index, u64 desc, u64 avail,
			      u64 used, u16 size)
{
	void __iomem *q;

	if (WARN_ON_ONCE(index >= VIRTIO_PCI_EPF_MAX_QUEUES))
		return;
	q = vpd->bar + VIRTIO_PCI_EPF_DRIVER +
	    offsetof(struct virtio_pci_epf_driver_block, queues) +
	    index * sizeof(struct virtio_pci_epf_queue);
	iowrite64_lo_hi(desc, q + offsetof(struct virtio_pci_epf_queue, desc));
	iowrite64_lo_hi(avail, q + offsetof(struct virtio_pci_epf_queue, avail));
	iowrite64_lo_hi(used, q + offsetof(struct virtio_pci_epf_queue, used));
	iowrite16(size, q + offsetof(struct virtio_pci_epf_queue, size));
	iowrite16(!!size, q + offsetof(struct virtio_pci_epf_queue, enable));
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_set_queue);

/**
 * virtio_pci_epf_notify_queue() - tell the device of new available buffers
 * @vpd: the function, connected.
 * @index: the queue.
 * @avail_idx: the driver ring index just published.
 *
 * Call it after the index, which it orders before the notification, also
 * when the index was written through a write-combining mapping. The device
 * polls; the notification lets it look sooner.
 */
void virtio_pci_epf_notify_queue(struct virtio_pci_epf_device *vpd,
				 unsigned int index, u16 avail_idx)
{
	if (WARN_ON_ONCE(index >= VIRTIO_PCI_EPF_MAX_QUEUES))
		return;
	/* Out of the write-combining buffers before the notification. */
	wmb();
	iowrite32(avail_idx, vpd_notify(vpd, queue[index]));
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_notify_queue);

/**
 * virtio_pci_epf_probe() - take a vhost-pci-epf function
 * @vpd: the function's state, zeroed but for @vpd->host_size, the size of
 *	the host region to allocate.
 * @pdev: the PCI device, enabled.
 *
 * Maps the control part of BAR 0 (uncached; the BAR area is the caller's
 * to map, write-combining), checks the identity block, allocates the host
 * region, turns Relaxed Ordering off (the protocol relies on posted writes
 * arriving in order) and enables bus mastering. Undo with
 * virtio_pci_epf_remove().
 *
 * Return: 0, -EAGAIN if the function is still starting, or -errno.
 */
int virtio_pci_epf_probe(struct virtio_pci_epf_device *vpd,
			 struct pci_dev *pdev)
{
	int err;

	vpd->dev = &pdev->dev;
	if (!IS_ALIGNED(vpd->host_size, VIRTIO_PCI_EPF_HOST_ALIGN) ||
	    vpd->host_size < VIRTIO_PCI_EPF_MIN_HOST ||
	    vpd->host_size > VIRTIO_PCI_EPF_MAX_HOST)
		return -EINVAL;
	if (!(pci_resource_flags(pdev, VIRTIO_PCI_EPF_BAR) & IORESOURCE_MEM)) {
		dev_err(vpd->dev, "BAR %u is not a memory BAR\n",
			VIRTIO_PCI_EPF_BAR);
		return -ENODEV;
	}

	vpd->bar_len = pci_resource_len(pdev, VIRTIO_PCI_EPF_BAR);
	if (vpd->bar_len < VIRTIO_PCI_EPF_MIN_BAR) {
		dev_err(vpd->dev, "BAR %u of %llu bytes, less than %u\n",
			VIRTIO_PCI_EPF_BAR, (u64)vpd->bar_len,
			VIRTIO_PCI_EPF_MIN_BAR);
		return -ENODEV;
	}

	err = pci_request_region(pdev, VIRTIO_PCI_EPF_BAR, "virtio-pci-epf");
	if (err)
		return err;
	vpd->bar = pci_iomap_range(pdev, VIRTIO_PCI_EPF_BAR, 0,
				   VIRTIO_PCI_EPF_BAR_AREA);
	if (!vpd->bar) {
		err = -ENOMEM;
		goto err_region;
	}

	err = virtio_pci_epf_check_ident(vpd);
	if (err)
		goto err_unmap;

	err = dma_set_mask_and_coherent(vpd->dev, DMA_BIT_MASK(64));
	if (err)
		goto err_unmap;
	vpd->host = dma_alloc_coherent(vpd->dev, vpd->host_size,
				       &vpd->host_addr, GFP_KERNEL);
	if (!vpd->host) {
		err = -ENOMEM;
		goto err_unmap;
	}
	pcie_capability_clear_word(pdev, PCI_EXP_DEVCTL,
				   PCI_EXP_DEVCTL_RELAX_EN);
	pci_set_master(pdev);
	return 0;

err_unmap:
	pci_iounmap(pdev, vpd->bar);
err_region:
	pci_release_region(pdev, VIRTIO_PCI_EPF_BAR);
	return err;
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_probe);

/**
 * virtio_pci_epf_remove() - let a vhost-pci-epf function go
 * @vpd: the function, as virtio_pci_epf_probe() set it up.
 * @pdev: its PCI device.
 *
 * Call it with the device reset and the interrupts freed. Disconnects and
 * waits, for at most VIRTIO_PCI_EPF_DISCONNECT_WAIT_US, for the function
 * to acknowledge; then clears Bus Master Enable. The host region is freed
 * if the function acknowledged, or is gone or restarted; otherwise it is
 * kept, since a function that missed the disconnection could write it
 * once bus mastering is enabled again.
 *
 * Context: process context; sleeps.
 */
void virtio_pci_epf_remove(struct virtio_pci_epf_device *vpd,
			   struct pci_dev *pdev)
{
	bool acked;
	u16 cmd;
	int gone;

	virtio_pci_epf_disconnect(vpd);
	read_poll_timeout(virtio_pci_epf_disconnect_acked, acked,
			  acked || virtio_pci_epf_poll_ident(vpd), USEC_PER_MSEC,
			  VIRTIO_PCI_EPF_DISCONNECT_WAIT_US, false, vpd);
	pci_clear_master(pdev);
	/* Its completion comes after the function's earlier writes. */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	gone = virtio_pci_epf_poll_ident(vpd);

	if (acked || gone)
		dma_free_coherent(vpd->dev, vpd->host_size, vpd->host,
				  vpd->host_addr);
	else
		dev_warn(vpd->dev,
			 "function did not let go of %zu bytes of host memory: not freed\n",
			 vpd->host_size);
	pci_iounmap(pdev, vpd->bar);
	pci_release_region(pdev, VIRTIO_PCI_EPF_BAR);
}
EXPORT_SYMBOL_GPL(virtio_pci_epf_remove);

MODULE_DESCRIPTION("Root complex side of virtio-pci-epf: register access");
MODULE_LICENSE("GPL");
