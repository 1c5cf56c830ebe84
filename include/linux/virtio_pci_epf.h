/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio between a PCIe Root Complex and an Endpoint: the layout both
 * sides share.
 *
 * The endpoint (EP) implements virtio devices with an endpoint function,
 * vhost-pci-epf; the root complex (RC) drives them with the virtio-pci-epf
 * transport. This header is the one C definition of what they exchange:
 * the identity block, the notify words and the driver block in the
 * function's BAR 0, the device block at the start of the RC's host region,
 * and the bus addresses in the rings.
 * Documentation/driver-api/virtio/virtio_pci_epf.rst specifies it.
 */
#ifndef _LINUX_VIRTIO_PCI_EPF_H
#define _LINUX_VIRTIO_PCI_EPF_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/stddef.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/virtio_wire.h>

struct device;
struct pci_dev;

/* "VEPF", in the identity, driver and device blocks */
#define VIRTIO_PCI_EPF_MAGIC		0x56455046
#define VIRTIO_PCI_EPF_VERSION		1

/*
 * BAR 0: written by the RC, read by the EP in its own memory, but for the
 * identity block, which the EP writes and the RC reads only off the data
 * path.
 */
#define VIRTIO_PCI_EPF_BAR		0
#define VIRTIO_PCI_EPF_IDENT		0x0000
#define VIRTIO_PCI_EPF_NOTIFY		0x0040
#define VIRTIO_PCI_EPF_MSIX_TABLE	0x0400
#define VIRTIO_PCI_EPF_MSIX_PBA		0x0800
#define VIRTIO_PCI_EPF_DRIVER		0x1000
#define VIRTIO_PCI_EPF_BAR_AREA		0x2000
#define VIRTIO_PCI_EPF_MIN_BAR		SZ_64K

/*
 * The host region: RC memory, written by the EP through an outbound
 * mapping, read by the RC. The device block, then the host area.
 */
#define VIRTIO_PCI_EPF_DEVICE		0x0000
#define VIRTIO_PCI_EPF_HOST_AREA	0x1000
#define VIRTIO_PCI_EPF_MIN_HOST		SZ_64K
#define VIRTIO_PCI_EPF_MAX_HOST		SZ_64M
#define VIRTIO_PCI_EPF_HOST_ALIGN	SZ_4K

/* Limits of what the device block and the driver block may hold. */
#define VIRTIO_PCI_EPF_MAX_QUEUES	64
#define VIRTIO_PCI_EPF_CONFIG_SIZE	256
#define VIRTIO_PCI_EPF_MAX_QUEUE_SIZE	32768	/* virtio 1.2, 2.7 */
#define VIRTIO_PCI_EPF_MAX_VECTORS	64

/*
 * Bus addresses. What the driver block and the rings hold names a region
 * and an offset in it; only the EP turns a host region offset into a PCI
 * address.
 */
#define VIRTIO_PCI_EPF_ADDR_REGION	GENMASK_ULL(63, 48)
#define VIRTIO_PCI_EPF_ADDR_OFFSET	GENMASK_ULL(47, 0)
#define VIRTIO_PCI_EPF_ADDR_HOST	1	/* the RC's host region */
#define VIRTIO_PCI_EPF_ADDR_BAR		2	/* the function's BAR 0 */

/* &virtio_pci_epf_driver_block.irq */
#define VIRTIO_PCI_EPF_IRQ_KIND		GENMASK(7, 0)
#define VIRTIO_PCI_EPF_IRQ_VECTORS	GENMASK(15, 8)
#define VIRTIO_PCI_EPF_IRQ_INTX		1
#define VIRTIO_PCI_EPF_IRQ_MSI		2
#define VIRTIO_PCI_EPF_IRQ_MSIX		3

/* &virtio_pci_epf_ident.doorbell */
#define VIRTIO_PCI_EPF_DOORBELL_POLLED	0

/*
 * Interrupt vectors, EP to RC: vector 0 for the device block, queue q on
 * 1 + q % (vectors - 1), or everything on vector 0 with one vector.
 */
#define VIRTIO_PCI_EPF_VECTOR_CTRL	0

/*
 * While an interrupt it skipped because the driver suppressed it may be
 * due, the EP polls at least this often (see "Notifications" in the
 * specification): the driver's write may still be in flight.
 */
#define VIRTIO_PCI_EPF_PENDING_POLL_US	1000

/**
 * struct virtio_pci_epf_ident - who the function is
 * @magic: VIRTIO_PCI_EPF_MAGIC.
 * @version: VIRTIO_PCI_EPF_VERSION.
 * @session: a number the EP chose when the function started, never 0.
 * @bar_size: the bytes of BAR 0 in use.
 * @doorbell: how the RC notifies the EP: VIRTIO_PCI_EPF_DOORBELL_POLLED.
 * @reserved: zero.
 *
 * At offset 0 of BAR 0. Written by the EP, read by the RC across the link:
 * at probe, and at most once a second to learn of a restart.
 */
struct virtio_pci_epf_ident {
	__le32 magic;
	__le32 version;
	__le32 session;
	__le32 bar_size;
	__le32 doorbell;
	__le32 reserved[11];
};

/**
 * struct virtio_pci_epf_notify - the RC's notifications
 * @ctrl: a sequence count of the RC's writes to the driver block: odd
 *	while it rewrites the connection fields, even otherwise; 2 more for
 *	each status write.
 * @reserved: zero.
 * @queue: for each queue, the driver ring index the RC published last.
 *
 * At offset 0x40 of BAR 0. Written by the RC, polled by the EP.
 */
struct virtio_pci_epf_notify {
	__le32 ctrl;
	__le32 reserved[15];
	__le32 queue[VIRTIO_PCI_EPF_MAX_QUEUES];
};

/**
 * struct virtio_pci_epf_queue - where the RC placed one virtqueue
 * @desc: bus address of the descriptor table, in the BAR area.
 * @avail: bus address of the driver (available) ring, in the BAR area.
 * @used: bus address of the device (used) ring, in the host area.
 * @size: the number of entries, a power of 2.
 * @enable: 1 if the driver uses the queue.
 * @reserved: zero.
 */
struct virtio_pci_epf_queue {
	__le64 desc;
	__le64 avail;
	__le64 used;
	__le16 size;
	__le16 enable;
	__le32 reserved;
};

/**
 * struct virtio_pci_epf_driver_block - what the RC writes
 * @magic: VIRTIO_PCI_EPF_MAGIC while connected, 0 otherwise.
 * @version: VIRTIO_PCI_EPF_VERSION.
 * @driver_features: the feature bits the driver accepted.
 * @status: the device status the driver wrote.
 * @status_seq: incremented with each write of @status.
 * @session: the RC's number for this connection, never 0.
 * @ep_session: &virtio_pci_epf_ident.session as the RC read it.
 * @host_addr: the PCI address of the host region.
 * @host_size: its size in bytes.
 * @irq: the interrupt the RC enabled: VIRTIO_PCI_EPF_IRQ_KIND and
 *	VIRTIO_PCI_EPF_IRQ_VECTORS.
 * @reserved: zero.
 * @queues: where each virtqueue is.
 *
 * At offset 0x1000 of BAR 0. Written by the RC, across the link; read by
 * the EP in its own memory. Little endian.
 */
struct virtio_pci_epf_driver_block {
	__le32 magic;
	__le32 version;
	__le64 driver_features;
	__le32 status;
	__le32 status_seq;
	__le32 session;
	__le32 ep_session;
	__le64 host_addr;
	__le32 host_size;
	__le32 irq;
	__le32 reserved[4];
	struct virtio_pci_epf_queue queues[VIRTIO_PCI_EPF_MAX_QUEUES];
};

/**
 * struct virtio_pci_epf_device_block - what the EP publishes
 * @magic: VIRTIO_PCI_EPF_MAGIC.
 * @version: VIRTIO_PCI_EPF_VERSION.
 * @device_id: the virtio device id, 0 while no device is there.
 * @vendor_id: the virtio vendor id.
 * @device_features: the feature bits the device offers.
 * @status: the device status, as the device decided it.
 * @status_ack: the last &virtio_pci_epf_driver_block.status_seq handled.
 * @config_generation: the configuration generation.
 * @num_queues: the number of virtqueues.
 * @config_len: the bytes of @config in use.
 * @session: the &virtio_pci_epf_driver_block.session this block answers,
 *	written when the EP connects.
 * @disconnect_ack: the last &virtio_pci_epf_driver_block.session the EP
 *	disconnected from: its last write to the host region in that
 *	connection.
 * @reserved: zero.
 * @queue_size_max: the most entries each queue may have; 0: no queue.
 * @config: the device configuration space.
 *
 * At offset 0 of the host region. Written by the EP, across the link; read
 * by the RC in its own memory. Little endian.
 */
struct virtio_pci_epf_device_block {
	__le32 magic;
	__le32 version;
	__le32 device_id;
	__le32 vendor_id;
	__le64 device_features;
	__le32 status;
	__le32 status_ack;
	__le32 config_generation;
	__le16 num_queues;
	__le16 config_len;
	__le32 session;
	__le32 disconnect_ack;
	__le32 reserved[4];
	__le16 queue_size_max[VIRTIO_PCI_EPF_MAX_QUEUES];
	u8 config[VIRTIO_PCI_EPF_CONFIG_SIZE];
};

static_assert(sizeof(struct virtio_pci_epf_ident) ==
	      VIRTIO_PCI_EPF_NOTIFY - VIRTIO_PCI_EPF_IDENT);
static_assert(VIRTIO_PCI_EPF_NOTIFY + sizeof(struct virtio_pci_epf_notify) <=
	      VIRTIO_PCI_EPF_MSIX_TABLE);
static_assert(offsetof(struct virtio_pci_epf_notify, queue) == 0x40);
static_assert(VIRTIO_PCI_EPF_MSIX_TABLE + 16 * VIRTIO_PCI_EPF_MAX_VECTORS <=
	      VIRTIO_PCI_EPF_MSIX_PBA);
static_assert(VIRTIO_PCI_EPF_DRIVER +
	      sizeof(struct virtio_pci_epf_driver_block) <=
	      VIRTIO_PCI_EPF_BAR_AREA);
static_assert(offsetof(struct virtio_pci_epf_driver_block, queues) == 0x40);
static_assert(sizeof(struct virtio_pci_epf_device_block) <=
	      VIRTIO_PCI_EPF_HOST_AREA);
static_assert(offsetof(struct virtio_pci_epf_device_block,
		       queue_size_max) == 0x40);
static_assert(offsetof(struct virtio_pci_epf_device_block, config) == 0xc0);

/* The layout vhost_wire and virtio_wire use (include/linux/virtio_wire.h). */
static_assert(offsetof(struct virtio_pci_epf_device_block, magic) ==
	      offsetof(struct virtio_wire_device_block, magic));
static_assert(offsetof(struct virtio_pci_epf_device_block, version) ==
	      offsetof(struct virtio_wire_device_block, version));
static_assert(offsetof(struct virtio_pci_epf_device_block, device_id) ==
	      offsetof(struct virtio_wire_device_block, device_id));
static_assert(offsetof(struct virtio_pci_epf_device_block, vendor_id) ==
	      offsetof(struct virtio_wire_device_block, vendor_id));
static_assert(offsetof(struct virtio_pci_epf_device_block, device_features) ==
	      offsetof(struct virtio_wire_device_block, device_features));
static_assert(offsetof(struct virtio_pci_epf_device_block, status) ==
	      offsetof(struct virtio_wire_device_block, status));
static_assert(offsetof(struct virtio_pci_epf_device_block, status_ack) ==
	      offsetof(struct virtio_wire_device_block, status_ack));
static_assert(offsetof(struct virtio_pci_epf_device_block, config_generation) ==
	      offsetof(struct virtio_wire_device_block, config_generation));
static_assert(offsetof(struct virtio_pci_epf_device_block, num_queues) ==
	      offsetof(struct virtio_wire_device_block, num_queues));
static_assert(offsetof(struct virtio_pci_epf_device_block, config_len) ==
	      offsetof(struct virtio_wire_device_block, config_len));
static_assert(offsetof(struct virtio_pci_epf_device_block, queue_size_max) ==
	      offsetof(struct virtio_wire_device_block, queue_size_max));
static_assert(offsetof(struct virtio_pci_epf_device_block, config) ==
	      offsetof(struct virtio_wire_device_block, config));
static_assert(offsetof(struct virtio_pci_epf_driver_block, magic) ==
	      offsetof(struct virtio_wire_driver_block, magic));
static_assert(offsetof(struct virtio_pci_epf_driver_block, version) ==
	      offsetof(struct virtio_wire_driver_block, version));
static_assert(offsetof(struct virtio_pci_epf_driver_block, driver_features) ==
	      offsetof(struct virtio_wire_driver_block, driver_features));
static_assert(offsetof(struct virtio_pci_epf_driver_block, status) ==
	      offsetof(struct virtio_wire_driver_block, status));
static_assert(offsetof(struct virtio_pci_epf_driver_block, status_seq) ==
	      offsetof(struct virtio_wire_driver_block, status_seq));
static_assert(offsetof(struct virtio_pci_epf_driver_block, queues) ==
	      offsetof(struct virtio_wire_driver_block, queues));
static_assert(offsetof(struct virtio_pci_epf_queue, desc) ==
	      offsetof(struct virtio_wire_queue, desc));
static_assert(offsetof(struct virtio_pci_epf_queue, avail) ==
	      offsetof(struct virtio_wire_queue, avail));
static_assert(offsetof(struct virtio_pci_epf_queue, used) ==
	      offsetof(struct virtio_wire_queue, used));
static_assert(offsetof(struct virtio_pci_epf_queue, size) ==
	      offsetof(struct virtio_wire_queue, size));
static_assert(offsetof(struct virtio_pci_epf_queue, enable) ==
	      offsetof(struct virtio_wire_queue, enable));
static_assert(sizeof(struct virtio_wire_queue) ==
	      sizeof(struct virtio_pci_epf_queue));
static_assert(sizeof(struct virtio_wire_device_block) ==
	      sizeof(struct virtio_pci_epf_device_block));
static_assert(sizeof(struct virtio_wire_driver_block) ==
	      sizeof(struct virtio_pci_epf_driver_block));

/**
 * virtio_pci_epf_queue_vector() - the interrupt vector of a queue
 * @queue: the queue index.
 * @vectors: the vectors the RC enabled, at least 1.
 *
 * Return: the vector the EP raises for used buffers on @queue.
 */
static inline unsigned int virtio_pci_epf_queue_vector(unsigned int queue,
						       unsigned int vectors)
{
	unsigned int queue_vectors = max(vectors, 2U) - 1;

	if (vectors < 2)
		return VIRTIO_PCI_EPF_VECTOR_CTRL;
	return 1 + queue % queue_vectors;
}

/**
 * virtio_pci_epf_addr() - a bus address as the rings hold it
 * @region: VIRTIO_PCI_EPF_ADDR_HOST or VIRTIO_PCI_EPF_ADDR_BAR.
 * @offset: the byte offset in that region.
 *
 * Return: the address.
 */
static inline u64 virtio_pci_epf_addr(unsigned int region, u64 offset)
{
	return FIELD_PREP(VIRTIO_PCI_EPF_ADDR_REGION, region) |
	       FIELD_PREP(VIRTIO_PCI_EPF_ADDR_OFFSET, offset);
}

/*
 * The root complex side: register access for a virtio transport or a vDPA
 * parent driver (drivers/virtio/virtio_pci_epf_dev.c).
 */

/* How long an odd configuration generation is waited out. */
#define VIRTIO_PCI_EPF_CONFIG_WAIT_US	1000
/* How long the RC waits for the EP to acknowledge a disconnection. */
#define VIRTIO_PCI_EPF_DISCONNECT_WAIT_US	USEC_PER_SEC

/**
 * struct virtio_pci_epf_device - a vhost-pci-epf function, seen from the RC
 * @dev: the device, for messages.
 * @bar: BAR 0, mapped.
 * @bar_len: the length of BAR 0.
 * @bar_size: the bytes of BAR 0 in use, from the identity block.
 * @ep_session: the function's session, from the identity block.
 * @session: the session of the current or last connection; 0 before the
 *	first.
 * @host: the host region; it starts with the device block.
 * @host_addr: its PCI address.
 * @host_size: its size.
 * @ctrl: the last value written to the ctrl notify word.
 * @status_seq: the sequence number of the last status write.
 */
struct virtio_pci_epf_device {
	struct device *dev;
	void __iomem *bar;
	resource_size_t bar_len;
	u32 bar_size;
	u32 ep_session;
	u32 session;
	void *host;
	dma_addr_t host_addr;
	size_t host_size;
	u32 ctrl;
	u32 status_seq;
};

/**
 * struct virtio_pci_epf_device_info - the device block, read once, checked
 * @device_id: the virtio device id.
 * @vendor_id: the virtio vendor id.
 * @features: the feature bits the device offers.
 * @status_ack: the last status write the device acknowledged.
 * @generation: the configuration generation.
 * @num_queues: the number of virtqueues, at most VIRTIO_PCI_EPF_MAX_QUEUES.
 * @queue_size_max: the most entries of each queue: 0, or a power of 2 of
 *	at most VIRTIO_PCI_EPF_MAX_QUEUE_SIZE.
 */
struct virtio_pci_epf_device_info {
	u32 device_id;
	u32 vendor_id;
	u64 features;
	u32 status_ack;
	u32 generation;
	unsigned int num_queues;
	u16 queue_size_max[VIRTIO_PCI_EPF_MAX_QUEUES];
};

/**
 * virtio_pci_epf_irq() - &virtio_pci_epf_driver_block.irq
 * @kind: VIRTIO_PCI_EPF_IRQ_INTX, _MSI or _MSIX.
 * @vectors: the number of vectors enabled.
 *
 * Return: the value to announce.
 */
static inline u32 virtio_pci_epf_irq(unsigned int kind, unsigned int vectors)
{
	return FIELD_PREP(VIRTIO_PCI_EPF_IRQ_KIND, kind) |
	       FIELD_PREP(VIRTIO_PCI_EPF_IRQ_VECTORS, vectors);
}

int virtio_pci_epf_probe(struct virtio_pci_epf_device *vpd,
			 struct pci_dev *pdev);
void virtio_pci_epf_remove(struct virtio_pci_epf_device *vpd,
			   struct pci_dev *pdev);
int virtio_pci_epf_check_ident(struct virtio_pci_epf_device *vpd);
int virtio_pci_epf_poll_ident(struct virtio_pci_epf_device *vpd);
void virtio_pci_epf_connect(struct virtio_pci_epf_device *vpd, u32 irq);
void virtio_pci_epf_disconnect(struct virtio_pci_epf_device *vpd);
bool virtio_pci_epf_connected(struct virtio_pci_epf_device *vpd);
bool virtio_pci_epf_disconnect_acked(struct virtio_pci_epf_device *vpd);
bool virtio_pci_epf_device_present(struct virtio_pci_epf_device *vpd);
int virtio_pci_epf_read_device(struct virtio_pci_epf_device *vpd,
			       struct virtio_pci_epf_device_info *info);
void virtio_pci_epf_set_features(struct virtio_pci_epf_device *vpd,
				 u64 features);
u32 virtio_pci_epf_write_status(struct virtio_pci_epf_device *vpd, u8 status);
bool virtio_pci_epf_status_acked(struct virtio_pci_epf_device *vpd, u32 seq);
u8 virtio_pci_epf_get_status(struct virtio_pci_epf_device *vpd);
u32 virtio_pci_epf_config_generation(struct virtio_pci_epf_device *vpd);
void virtio_pci_epf_get_config(struct virtio_pci_epf_device *vpd,
			       unsigned int offset, void *buf, unsigned int len);
void virtio_pci_epf_set_queue(struct virtio_pci_epf_device *vpd,
			      unsigned int index, u64 desc, u64 avail,
			      u64 used, u16 size);
void virtio_pci_epf_notify_queue(struct virtio_pci_epf_device *vpd,
				 unsigned int index, u16 avail_idx);

#endif /* _LINUX_VIRTIO_PCI_EPF_H */
