/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wire rings: the virtqueues of a virtio transport whose device reaches
 * only two regions of memory, one in each host, and reads only its own.
 *
 * The driver's virtqueues stay ordinary ones in its memory. Each has a
 * second ring, the wire ring the device sees: its descriptor table and
 * driver ring in the device's region (the peer region, written across the
 * link), its device ring in the driver's (the local region, written by the
 * device). Buffers are copied between the two
 * (drivers/virtio/virtio_wire.c). virtio-ntb and virtio-pci-epf are the
 * transports that use it; they own the regions, the connection and the
 * control blocks, and tell the device where each queue is.
 */
#ifndef _LINUX_VIRTIO_WIRE_H
#define _LINUX_VIRTIO_WIRE_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/types.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>

struct gen_pool;
struct irq_affinity;
struct virtio_device;
struct virtqueue;
struct virtqueue_info;

/* The most virtqueues a device on wire rings may have. */
#define VIRTIO_WIRE_MAX_QUEUES		64

/*
 * Bus addresses, as the wire rings and the queue entries hold them: a
 * region number the transport defines, and an offset in that region.
 */
#define VIRTIO_WIRE_ADDR_REGION		GENMASK_ULL(63, 48)
#define VIRTIO_WIRE_ADDR_OFFSET		GENMASK_ULL(47, 0)

/*
 * The features of the wire ring are the transport's, not the driver's:
 * the buffers are in the two regions (VIRTIO_F_ACCESS_PLATFORM), the
 * device is a bus master on the wire only (VIRTIO_F_ORDER_PLATFORM), and
 * neither indirect tables nor the event index are used there. The device
 * must offer the first two; the driver sees none of them.
 */
#define VIRTIO_WIRE_FEATURES		(BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) | \
					 BIT_ULL(VIRTIO_F_ORDER_PLATFORM))
#define VIRTIO_WIRE_HIDDEN_FEATURES	(VIRTIO_WIRE_FEATURES | \
					 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
					 BIT_ULL(VIRTIO_RING_F_EVENT_IDX))

/**
 * enum virtio_wire_stat - what a host's data path counts
 * @VIRTIO_WIRE_STAT_CHAINS: descriptor chains the driver side gave the
 *	device (counted by the driver side).
 * @VIRTIO_WIRE_STAT_DOORBELLS_SENT: queue notifications sent to the peer.
 * @VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED: queue notifications from the peer.
 * @VIRTIO_WIRE_STAT_BYTES_TO_PEER: payload bytes the CPU wrote across the
 *	link.
 * @VIRTIO_WIRE_STAT_BYTES_LOCAL: payload bytes the CPU copied out of, or
 *	into, its own region.
 * @VIRTIO_WIRE_STAT_READS_ACROSS: CPU reads of the peer's region; the
 *	wire rings need none (only a device side has code that can make one).
 * @VIRTIO_WIRE_STAT_READ_BYTES_ACROSS: the bytes those reads copied.
 * @VIRTIO_WIRE_NR_STATS: the number of counters.
 *
 * Each transport shows them in debugfs, one "name value" per line, so that
 * a benchmark divides counts, not estimates.
 */
enum virtio_wire_stat {
	VIRTIO_WIRE_STAT_CHAINS,
	VIRTIO_WIRE_STAT_DOORBELLS_SENT,
	VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED,
	VIRTIO_WIRE_STAT_BYTES_TO_PEER,
	VIRTIO_WIRE_STAT_BYTES_LOCAL,
	VIRTIO_WIRE_STAT_READS_ACROSS,
	VIRTIO_WIRE_STAT_READ_BYTES_ACROSS,
	VIRTIO_WIRE_NR_STATS
};

/**
 * struct virtio_wire_stats - one CPU's counters
 * @count: indexed by &enum virtio_wire_stat.
 *
 * The data path of every queue adds to them, on any CPU: each side keeps
 * them per CPU (alloc_percpu()), so that counting costs no shared atomic.
 */
struct virtio_wire_stats {
	u64 count[VIRTIO_WIRE_NR_STATS];
};

/**
 * virtio_wire_stat_add() - count
 * @stats: the per-CPU counters.
 * @stat: which one, an &enum virtio_wire_stat.
 * @n: how much to add.
 *
 * Safe in any context.
 */
#define virtio_wire_stat_add(stats, stat, n) \
	this_cpu_add((stats)->count[stat], (n))

/**
 * virtio_wire_stats_show() - print the counters, summed over the CPUs
 * @m: the seq_file, whose private data points at the pointer to the
 *	per-CPU counters.
 * @v: unused.
 *
 * A transport defines its file operations with
 * DEFINE_SHOW_ATTRIBUTE(virtio_wire_stats).
 *
 * Return: 0.
 */
static inline int virtio_wire_stats_show(struct seq_file *m, void *v)
{
	static const char * const names[VIRTIO_WIRE_NR_STATS] = {
		[VIRTIO_WIRE_STAT_CHAINS]		= "chains",
		[VIRTIO_WIRE_STAT_DOORBELLS_SENT]	= "doorbells_sent",
		[VIRTIO_WIRE_STAT_DOORBELLS_RECEIVED]	= "doorbells_received",
		[VIRTIO_WIRE_STAT_BYTES_TO_PEER]	= "bytes_to_peer",
		[VIRTIO_WIRE_STAT_BYTES_LOCAL]		= "bytes_local",
		[VIRTIO_WIRE_STAT_READS_ACROSS]		= "reads_across",
		[VIRTIO_WIRE_STAT_READ_BYTES_ACROSS]	= "read_bytes_across",
	};
	struct virtio_wire_stats __percpu *const *stats = m->private;
	unsigned int i;
	int cpu;

	for (i = 0; i < VIRTIO_WIRE_NR_STATS; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += READ_ONCE(per_cpu_ptr(*stats, cpu)->count[i]);
		seq_printf(m, "%s %llu\n", names[i], sum);
	}
	return 0;
}

/**
 * virtio_wire_addr() - a bus address as the wire rings hold it
 * @region: the region number, as the transport defines it.
 * @offset: the byte offset in that region.
 *
 * Return: the address.
 */
static inline u64 virtio_wire_addr(unsigned int region, u64 offset)
{
	return FIELD_PREP(VIRTIO_WIRE_ADDR_REGION, region) |
	       FIELD_PREP(VIRTIO_WIRE_ADDR_OFFSET, offset);
}

/*
 * The control blocks of the transports on wire rings share one layout but
 * for a few words each transport defines: the device block, which the
 * device writes at the start of the driver's region, and the driver block,
 * which the driver writes in the device's. The transports' own headers
 * define their blocks, and check them against these.
 */
#define VIRTIO_WIRE_CONFIG_SIZE		256

/**
 * struct virtio_wire_device_block - what the device publishes
 * @magic: the transport's magic.
 * @version: the transport's version.
 * @device_id: the virtio device id, 0 while no device is there.
 * @vendor_id: the virtio vendor id.
 * @device_features: the feature bits the device offers.
 * @status: the device status, as the device decided it.
 * @status_ack: the last &virtio_wire_driver_block.status_seq handled.
 * @config_generation: the configuration generation, odd while the device
 *	writes @config.
 * @num_queues: the number of virtqueues.
 * @config_len: the bytes of @config in use.
 * @transport: the transport's own words.
 * @queue_size_max: the most entries each queue may have; 0: no queue.
 * @config: the device configuration space.
 *
 * Little endian.
 */
struct virtio_wire_device_block {
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
	__le32 transport[6];
	__le16 queue_size_max[VIRTIO_WIRE_MAX_QUEUES];
	u8 config[VIRTIO_WIRE_CONFIG_SIZE];
};

/**
 * struct virtio_wire_queue - where the driver placed one virtqueue
 * @desc: bus address of the descriptor table, in the device's region.
 * @avail: bus address of the driver (available) ring, in the device's
 *	region.
 * @used: bus address of the device (used) ring, in the driver's region.
 * @size: the number of entries, a power of 2.
 * @enable: 1 if the driver uses the queue.
 * @reserved: zero.
 */
struct virtio_wire_queue {
	__le64 desc;
	__le64 avail;
	__le64 used;
	__le16 size;
	__le16 enable;
	__le32 reserved;
};

/**
 * struct virtio_wire_driver_block - what the driver writes
 * @magic: the transport's magic.
 * @version: the transport's version.
 * @driver_features: the feature bits the driver accepted.
 * @status: the device status the driver wrote.
 * @status_seq: incremented with each write of @status.
 * @transport: the transport's own words.
 * @queues: where each virtqueue is.
 *
 * Little endian.
 */
struct virtio_wire_driver_block {
	__le32 magic;
	__le32 version;
	__le64 driver_features;
	__le32 status;
	__le32 status_seq;
	__le32 transport[10];
	struct virtio_wire_queue queues[VIRTIO_WIRE_MAX_QUEUES];
};

static_assert(offsetof(struct virtio_wire_device_block, queue_size_max) == 0x40);
static_assert(offsetof(struct virtio_wire_device_block, config) == 0xc0);
static_assert(offsetof(struct virtio_wire_driver_block, queues) == 0x40);

struct virtio_wire;
struct virtio_wire_vq;

/**
 * struct virtio_wire_ops - what the transport does for the wire rings
 * @kick: tell the device that queue @index has new chains, up to driver
 *	ring index @avail_idx, written across just before. It must order
 *	those writes before its notification. Called in any context, under a
 *	spinlock.
 * @set_queue: tell the device where queue @index is: the bus addresses of
 *	its descriptor table, driver ring and device ring, and its size; a
 *	size of 0 disables the queue. May sleep. Return: 0, or -ENODEV if
 *	there is no device to tell any more.
 */
struct virtio_wire_ops {
	void (*kick)(struct virtio_wire *wire, unsigned int index,
		     u16 avail_idx);
	int (*set_queue)(struct virtio_wire *wire, unsigned int index,
			 u64 desc, u64 avail, u64 used, u16 size);
};

/**
 * struct virtio_wire - the wire rings of one virtio device
 * @vdev: the virtio device.
 * @ops: the transport's operations.
 * @local: the local region, which the device writes: its offset 0.
 * @local_start: the first offset of @local that the wire rings use.
 * @local_pool: the allocator of @local, by offset, at or past
 *	@local_start: the device rings and the buffers the device writes.
 * @local_region: the region number of @local in bus addresses.
 * @peer: where the peer region is mapped, from offset @peer_start on.
 * @peer_start: the first offset of the peer region that the wire rings
 *	use, which @peer maps.
 * @peer_pool: the allocator of the peer region, by offset, at or past
 *	@peer_start: the descriptor tables, the driver rings and the buffers
 *	the device reads.
 * @peer_region: the region number of the peer region in bus addresses.
 * @stats: the transport's counters.
 * @num_queues: the number of queues the device offered, checked against
 *	VIRTIO_WIRE_MAX_QUEUES.
 * @queue_size_max: the most entries of each queue, checked: 0 or a power
 *	of 2.
 * @vqs: the queues by index, read under RCU by virtio_wire_interrupt().
 * @nvqs: the number of entries of @vqs in use.
 *
 * The transport fills in everything up to @queue_size_max before the
 * virtio device is registered, and keeps the regions, their mappings and
 * their pools until it is unregistered.
 */
struct virtio_wire {
	struct virtio_device *vdev;
	const struct virtio_wire_ops *ops;
	void *local;
	unsigned long local_start;
	struct gen_pool *local_pool;
	unsigned int local_region;
	void __iomem *peer;
	unsigned long peer_start;
	struct gen_pool *peer_pool;
	unsigned int peer_region;
	struct virtio_wire_stats __percpu *stats;
	unsigned int num_queues;
	u16 queue_size_max[VIRTIO_WIRE_MAX_QUEUES];
	struct virtio_wire_vq __rcu *vqs[VIRTIO_WIRE_MAX_QUEUES];
	unsigned int nvqs;
};

struct gen_pool *virtio_wire_create_pool(unsigned long start, size_t size);
u64 virtio_wire_get_features(u64 device_features);
int virtio_wire_finalize_features(struct virtio_device *vdev,
				  u64 device_features, u64 *wire_features);
int virtio_wire_find_vqs(struct virtio_wire *wire, unsigned int nvqs,
			 struct virtqueue *vqs[],
			 struct virtqueue_info *vqs_info);
void virtio_wire_del_vqs(struct virtio_wire *wire);
void virtio_wire_interrupt(struct virtio_wire *wire, unsigned int index);

#endif /* _LINUX_VIRTIO_WIRE_H */
