/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device side of wire rings (include/linux/virtio_wire.h): a vhost bus
 * device whose frontend placed each part of a ring, and each buffer, in
 * the memory of the side that reads it. The driver block, the descriptor
 * tables, the driver rings and the buffers the device reads are in our
 * region, where the frontend writes them; the device block, the device
 * rings and the buffers the device writes are in the frontend's, where we
 * write them. vhost-ntb and vhost-pci-epf are the transports that use it
 * (drivers/vhost/vhost_wire.c); they own the regions and the connection.
 */
#ifndef _LINUX_VHOST_WIRE_H
#define _LINUX_VHOST_WIRE_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vhost_bus.h>
#include <linux/virtio_wire.h>

struct vhost_wire;

/**
 * struct vhost_wire_ops - what the transport does for the device
 * @ring_ctrl: tell the frontend that the device block changed, after the
 *	writes that changed it, which it must order before its
 *	notification. Called with &vhost_wire.lock held, while connected.
 * @notify_vq: tell the frontend that queue @index has used buffers, after
 *	the used ring writes, which it must order before its notification.
 *	Called in any context but hard interrupt context.
 */
struct vhost_wire_ops {
	void (*ring_ctrl)(struct vhost_wire *wire);
	void (*notify_vq)(struct vhost_wire *wire, unsigned int index);
};

/**
 * struct vhost_wire - the device side of wire rings
 * @vdev: the device on the vhost bus, with the operations of the wire rings.
 * @ops: the transport's operations.
 * @magic: the magic of the transport's device block.
 * @version: the version of its device block.
 * @local: our region, which the frontend writes: its offset 0.
 * @local_size: its size.
 * @local_start: the first offset of @local the rings may use.
 * @local_region: its region number in bus addresses.
 * @drvblk: the driver block, in @local.
 * @peer_start: the first offset of the frontend's region the rings may use.
 * @peer_region: its region number in bus addresses.
 * @stats: the transport's counters.
 * @lock: protects the fields below, but for @vq_lock, @vqs and @nvqs.
 * @peer: the frontend's region, mapped while connected; the device block
 *	is at its offset 0.
 * @peer_size: its size.
 * @status_seq: the last status write of the frontend handled.
 * @connected: the transport connected us to a frontend.
 * @enabled: a client is bound; the device block shows a device.
 * @shadow: the device block as we publish it, so that we never read it
 *	back across the link.
 * @vq_lock: protects @vqs and @nvqs against the frontend's kicks.
 * @vqs: the client's queues.
 * @nvqs: the number of @vqs.
 *
 * The transport fills in everything up to @stats, and calls
 * vhost_wire_init(), before it registers @vdev.
 */
struct vhost_wire {
	struct vhost_bus_device vdev;
	const struct vhost_wire_ops *ops;
	u32 magic;
	u32 version;
	void *local;
	size_t local_size;
	unsigned long local_start;
	unsigned int local_region;
	const struct virtio_wire_driver_block *drvblk;
	unsigned long peer_start;
	unsigned int peer_region;
	struct virtio_wire_stats __percpu *stats;

	struct mutex lock;		/* connection and published state */
	void __iomem *peer;
	size_t peer_size;
	u32 status_seq;
	bool connected;
	bool enabled;
	struct virtio_wire_device_block shadow;

	spinlock_t vq_lock;		/* @vqs against kicks */
	struct vhost_bus_vq *vqs;
	unsigned int nvqs;
};

void *__vhost_wire_alloc_device(size_t size, struct device *parent);

/**
 * vhost_wire_alloc_device() - allocate a device on wire rings
 * @dev_struct: the transport's structure, whose first member is a
 *	&struct vhost_wire
 * @member: the name of that member
 * @parent: the transport's device, the parent of the new one
 *
 * As vhost_bus_alloc_device(), with the operations of the wire rings.
 *
 * Return: a pointer to the zeroed @dev_struct, or NULL.
 */
#define vhost_wire_alloc_device(dev_struct, member, parent)		\
	__vhost_wire_alloc_device(sizeof(dev_struct) +			\
			BUILD_BUG_ON_ZERO(offsetof(dev_struct, member)),	\
			parent)

void vhost_wire_init(struct vhost_wire *wire);
void vhost_wire_publish(struct vhost_wire *wire, size_t offset, size_t len);
void vhost_wire_connect(struct vhost_wire *wire, void __iomem *peer,
			size_t peer_size);
void __iomem *vhost_wire_disconnect(struct vhost_wire *wire, bool reset);
void vhost_wire_status(struct vhost_wire *wire);
void vhost_wire_kick(struct vhost_wire *wire, unsigned int index);

#endif /* _LINUX_VHOST_WIRE_H */
