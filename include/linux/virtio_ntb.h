/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio over NTB: the layout both hosts share.
 *
 * The frontend host runs a virtio driver on virtio-ntb
 * (drivers/virtio/virtio_ntb.c); the backend host implements the device
 * with vhost-ntb (drivers/vhost/vhost_ntb.c). This header is the one C
 * definition of what they exchange: scratchpads, doorbells, the control
 * blocks at the start of each memory window, and the bus addresses in the
 * rings, and the one implementation of the handshake and of the window
 * set-up they both run.
 * Documentation/driver-api/virtio/virtio_ntb.rst specifies it.
 */
#ifndef _LINUX_VIRTIO_NTB_H
#define _LINUX_VIRTIO_NTB_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/ntb.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <linux/virtio_wire.h>
#include <asm/barrier.h>

/* "VNTB", in every control block and in scratchpad VIRTIO_NTB_SPAD_MAGIC */
#define VIRTIO_NTB_MAGIC		0x564e5442
/*
 * Version 2 moved the descriptor table and the driver ring into the
 * backend's window, so that each host reads only its own memory; the
 * hosts of version 1 read the rings across the link.
 */
#define VIRTIO_NTB_VERSION		2

/*
 * Scratchpads. Each host writes its peer's scratchpads and reads only its
 * own: these are what the peer wrote.
 */
#define VIRTIO_NTB_SPAD_MAGIC		0
#define VIRTIO_NTB_SPAD_VERSION		1
#define VIRTIO_NTB_SPAD_SESSION		2
#define VIRTIO_NTB_SPAD_ECHO		3
#define VIRTIO_NTB_SPAD_WINDOW		4
#define VIRTIO_NTB_SPAD_COUNT		5

/* VIRTIO_NTB_SPAD_VERSION */
#define VIRTIO_NTB_VERSION_NUM		GENMASK(15, 0)
#define VIRTIO_NTB_VERSION_ROLE		GENMASK(23, 16)
#define VIRTIO_NTB_VERSION_DB_BITS	GENMASK(31, 24)

#define VIRTIO_NTB_ROLE_FRONTEND	1
#define VIRTIO_NTB_ROLE_BACKEND		2

/* VIRTIO_NTB_SPAD_WINDOW: the sender's inbound window, for the receiver */
#define VIRTIO_NTB_WINDOW_INDEX		GENMASK(7, 0)
#define VIRTIO_NTB_WINDOW_PAGES		GENMASK(31, 8)	/* in 4 KiB units */
#define VIRTIO_NTB_WINDOW_UNIT		SZ_4K

/*
 * Doorbells. Bit 0 says "look at the scratchpads and at your control
 * block"; the other bits are queue notifications, queue q on bit
 * 1 + q % (bits - 1), where bits is what the receiver announced.
 */
#define VIRTIO_NTB_DB_CTRL		0
#define VIRTIO_NTB_DB_MIN_BITS		2
#define VIRTIO_NTB_DB_MAX_BITS		64

static inline unsigned int virtio_ntb_queue_db(unsigned int queue,
					       unsigned int bits)
{
	return 1 + queue % (bits - 1);
}

/*
 * Bus addresses. What a ring holds (ring addresses and buffer addresses)
 * names a window and an offset in it.
 */
#define VIRTIO_NTB_ADDR_WINDOW		GENMASK_ULL(63, 48)
#define VIRTIO_NTB_ADDR_OFFSET		GENMASK_ULL(47, 0)
#define VIRTIO_NTB_ADDR_FRONTEND	1	/* the frontend's window */
#define VIRTIO_NTB_ADDR_BACKEND		2	/* the backend's window */

static_assert(VIRTIO_NTB_ADDR_WINDOW == VIRTIO_WIRE_ADDR_REGION);
static_assert(VIRTIO_NTB_ADDR_OFFSET == VIRTIO_WIRE_ADDR_OFFSET);

/*
 * The control block at offset 0 of each window; the rest is rings and
 * buffers. Each part of a ring is in the window of the host that reads it:
 * the descriptor table and the driver ring in the backend's, the device
 * ring in the frontend's.
 */
#define VIRTIO_NTB_CTRL_SIZE		SZ_4K
#define VIRTIO_NTB_MIN_WINDOW		SZ_64K

/*
 * Limits of what the device block may hold. A frontend checks each value
 * against them before it uses any, and refuses a device that exceeds one.
 */
#define VIRTIO_NTB_MAX_QUEUES		64
#define VIRTIO_NTB_CONFIG_SIZE		256
#define VIRTIO_NTB_MAX_QUEUE_SIZE	32768	/* virtio 1.2, 2.7 */

static_assert(VIRTIO_NTB_MAX_QUEUES <= VIRTIO_WIRE_MAX_QUEUES);

/**
 * struct virtio_ntb_device_block - what the device publishes
 * @magic: VIRTIO_NTB_MAGIC.
 * @version: VIRTIO_NTB_VERSION.
 * @device_id: the virtio device id, 0 while no device is there.
 * @vendor_id: the virtio vendor id.
 * @device_features: the feature bits the device offers.
 * @status: the device status, as the device decided it.
 * @status_ack: the last &virtio_ntb_driver_block.status_seq handled.
 * @config_generation: the configuration generation.
 * @num_queues: the number of virtqueues.
 * @config_len: the bytes of @config in use.
 * @reserved: zero.
 * @queue_size_max: the most entries each queue may have; 0: no queue.
 * @config: the device configuration space.
 *
 * At offset 0 of the frontend's window. Written by the backend, across the
 * link; read by the frontend in its own memory. Little endian.
 */
struct virtio_ntb_device_block {
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
	__le32 reserved[6];
	__le16 queue_size_max[VIRTIO_NTB_MAX_QUEUES];
	u8 config[VIRTIO_NTB_CONFIG_SIZE];
};

/**
 * struct virtio_ntb_queue - where the frontend placed one virtqueue
 * @desc: bus address of the descriptor table, in the backend's window.
 * @avail: bus address of the driver (available) ring, in the backend's
 *	window.
 * @used: bus address of the device (used) ring, in the frontend's window.
 * @size: the number of entries, a power of 2.
 * @enable: 1 if the frontend uses the queue.
 * @reserved: zero.
 */
struct virtio_ntb_queue {
	__le64 desc;
	__le64 avail;
	__le64 used;
	__le16 size;
	__le16 enable;
	__le32 reserved;
};

/**
 * struct virtio_ntb_driver_block - what the driver writes
 * @magic: VIRTIO_NTB_MAGIC.
 * @version: VIRTIO_NTB_VERSION.
 * @driver_features: the feature bits the driver accepted.
 * @status: the device status the driver wrote.
 * @status_seq: incremented with each write of @status.
 * @reserved: zero.
 * @queues: where each virtqueue is.
 *
 * At offset 0 of the backend's window. Written by the frontend, across the
 * link; read by the backend in its own memory. Little endian.
 */
struct virtio_ntb_driver_block {
	__le32 magic;
	__le32 version;
	__le64 driver_features;
	__le32 status;
	__le32 status_seq;
	__le32 reserved[10];
	struct virtio_ntb_queue queues[VIRTIO_NTB_MAX_QUEUES];
};

static_assert(sizeof(struct virtio_ntb_device_block) <= VIRTIO_NTB_CTRL_SIZE);
static_assert(sizeof(struct virtio_ntb_driver_block) <= VIRTIO_NTB_CTRL_SIZE);

/* The layout vhost_wire and virtio_wire use (include/linux/virtio_wire.h). */
static_assert(offsetof(struct virtio_ntb_device_block, magic) ==
	      offsetof(struct virtio_wire_device_block, magic));
static_assert(offsetof(struct virtio_ntb_device_block, version) ==
	      offsetof(struct virtio_wire_device_block, version));
static_assert(offsetof(struct virtio_ntb_device_block, device_id) ==
	      offsetof(struct virtio_wire_device_block, device_id));
static_assert(offsetof(struct virtio_ntb_device_block, vendor_id) ==
	      offsetof(struct virtio_wire_device_block, vendor_id));
static_assert(offsetof(struct virtio_ntb_device_block, device_features) ==
	      offsetof(struct virtio_wire_device_block, device_features));
static_assert(offsetof(struct virtio_ntb_device_block, status) ==
	      offsetof(struct virtio_wire_device_block, status));
static_assert(offsetof(struct virtio_ntb_device_block, status_ack) ==
	      offsetof(struct virtio_wire_device_block, status_ack));
static_assert(offsetof(struct virtio_ntb_device_block, config_generation) ==
	      offsetof(struct virtio_wire_device_block, config_generation));
static_assert(offsetof(struct virtio_ntb_device_block, num_queues) ==
	      offsetof(struct virtio_wire_device_block, num_queues));
static_assert(offsetof(struct virtio_ntb_device_block, config_len) ==
	      offsetof(struct virtio_wire_device_block, config_len));
static_assert(offsetof(struct virtio_ntb_device_block, queue_size_max) ==
	      offsetof(struct virtio_wire_device_block, queue_size_max));
static_assert(offsetof(struct virtio_ntb_device_block, config) ==
	      offsetof(struct virtio_wire_device_block, config));
static_assert(offsetof(struct virtio_ntb_driver_block, magic) ==
	      offsetof(struct virtio_wire_driver_block, magic));
static_assert(offsetof(struct virtio_ntb_driver_block, version) ==
	      offsetof(struct virtio_wire_driver_block, version));
static_assert(offsetof(struct virtio_ntb_driver_block, driver_features) ==
	      offsetof(struct virtio_wire_driver_block, driver_features));
static_assert(offsetof(struct virtio_ntb_driver_block, status) ==
	      offsetof(struct virtio_wire_driver_block, status));
static_assert(offsetof(struct virtio_ntb_driver_block, status_seq) ==
	      offsetof(struct virtio_wire_driver_block, status_seq));
static_assert(offsetof(struct virtio_ntb_driver_block, queues) ==
	      offsetof(struct virtio_wire_driver_block, queues));
static_assert(offsetof(struct virtio_ntb_queue, desc) ==
	      offsetof(struct virtio_wire_queue, desc));
static_assert(offsetof(struct virtio_ntb_queue, avail) ==
	      offsetof(struct virtio_wire_queue, avail));
static_assert(offsetof(struct virtio_ntb_queue, used) ==
	      offsetof(struct virtio_wire_queue, used));
static_assert(offsetof(struct virtio_ntb_queue, size) ==
	      offsetof(struct virtio_wire_queue, size));
static_assert(offsetof(struct virtio_ntb_queue, enable) ==
	      offsetof(struct virtio_wire_queue, enable));
static_assert(sizeof(struct virtio_wire_queue) ==
	      sizeof(struct virtio_ntb_queue));
static_assert(sizeof(struct virtio_wire_device_block) ==
	      sizeof(struct virtio_ntb_device_block));
static_assert(sizeof(struct virtio_wire_driver_block) ==
	      sizeof(struct virtio_ntb_driver_block));

/*
 * The handshake, the same on both hosts but for the role: what each writes
 * in its peer's scratchpads, and how it reads what the peer wrote.
 */

/**
 * struct virtio_ntb_hello - what a host announces to its peer
 * @session: its session number, never 0.
 * @echo: the last session of the peer it saw.
 * @window: its inbound window, as VIRTIO_NTB_SPAD_WINDOW.
 * @db_bits: the doorbell bits it receives.
 */
struct virtio_ntb_hello {
	u32 session;
	u32 echo;
	u32 window;
	unsigned int db_bits;
};

/**
 * virtio_ntb_db_bits() - the doorbell bits a host can announce
 * @valid: ntb_db_valid_mask() of its NTB device.
 *
 * Return: the number of valid bits from bit 0 on, at most
 * VIRTIO_NTB_DB_MAX_BITS, or 0 if fewer than VIRTIO_NTB_DB_MIN_BITS.
 */
static inline unsigned int virtio_ntb_db_bits(u64 valid)
{
	unsigned int bits = 0;

	while (bits < VIRTIO_NTB_DB_MAX_BITS && (valid & BIT_ULL(bits)))
		bits++;
	return bits < VIRTIO_NTB_DB_MIN_BITS ? 0 : bits;
}

/**
 * struct virtio_ntb_window - a host's inbound memory window
 * @widx: the window's index.
 * @virt: the memory the peer writes through the window.
 * @dma: its bus address, the translation of the window.
 * @size: the part of it in use, as announced to the peer; a power of 2.
 * @xlat_size: the size of the translation, @size rounded up to the
 *	window's size alignment.
 * @alloc_virt: the allocation @virt is in.
 * @alloc_dma: its bus address.
 * @alloc_size: its size.
 */
struct virtio_ntb_window {
	int widx;
	void *virt;
	dma_addr_t dma;
	resource_size_t size;
	resource_size_t xlat_size;
	void *alloc_virt;
	dma_addr_t alloc_dma;
	resource_size_t alloc_size;
};

/*
 * Allocate @win->alloc_size bytes and place the translation at an @align
 * boundary in them. Return: 0, -ENOMEM, or -ERANGE if it does not fit.
 */
static inline int virtio_ntb_alloc_aligned(struct ntb_dev *ntb,
					   struct virtio_ntb_window *win,
					   resource_size_t align)
{
	struct device *dma_dev = ntb_get_dma_dev(ntb);
	resource_size_t skip;

	win->alloc_virt = dma_alloc_coherent(dma_dev, win->alloc_size,
					     &win->alloc_dma, GFP_KERNEL);
	if (!win->alloc_virt)
		return -ENOMEM;

	skip = roundup(win->alloc_dma, align) - win->alloc_dma;
	if (skip > win->alloc_size - win->xlat_size) {
		dma_free_coherent(dma_dev, win->alloc_size, win->alloc_virt,
				  win->alloc_dma);
		win->alloc_virt = NULL;
		return -ERANGE;
	}
	win->virt = win->alloc_virt + skip;
	win->dma = win->alloc_dma + skip;
	return 0;
}

/**
 * virtio_ntb_window_free() - undo virtio_ntb_window_setup()
 * @ntb: the NTB device.
 * @win: the window; nothing is done if it is not set up.
 */
static inline void virtio_ntb_window_free(struct ntb_dev *ntb,
					  struct virtio_ntb_window *win)
{
	if (!win->virt)
		return;
	ntb_mw_clear_trans(ntb, 0, win->widx);
	dma_free_coherent(ntb_get_dma_dev(ntb), win->alloc_size,
			  win->alloc_virt, win->alloc_dma);
	win->virt = NULL;
}

/**
 * virtio_ntb_window_setup() - allocate and translate a host's inbound window
 * @ntb: its NTB device; the link must be up, for the alignments.
 * @max: the most of the window it gives, a power of 2.
 * @win: filled in.
 *
 * Takes the largest window, and uses a power of 2 of it, at most @max.
 * The translation honours ntb_mw_get_align(): its address is a multiple of
 * the address alignment (on some bridges the size of the BAR) and its size
 * one of the size alignment. As ntb_transport does, when the allocator
 * returns a buffer that is not aligned, one twice as large is taken and
 * the translation placed at the aligned address inside it.
 *
 * Return: 0, -ENOSPC if no window reaches VIRTIO_NTB_MIN_WINDOW, -ERANGE if
 * the alignments cannot be met, -ENOMEM, or what ntb_mw_set_trans() gave.
 */
static inline int virtio_ntb_window_setup(struct ntb_dev *ntb,
					  resource_size_t max,
					  struct virtio_ntb_window *win)
{
	resource_size_t addr_align, size_align, size_max;
	resource_size_t best = 0, best_addr = 1, best_size = 1, best_max = 0;
	int i, err;

	memset(win, 0, sizeof(*win));
	for (i = 0; i < ntb_mw_count(ntb, 0); i++) {
		if (!ntb_mw_get_align(ntb, 0, i, &addr_align, &size_align,
				      &size_max) && size_max > best_max) {
			best_max = size_max;
			best_addr = addr_align ?: 1;
			best_size = size_align ?: 1;
			win->widx = i;
		}
	}
	if (best_max)
		best = min_t(resource_size_t, rounddown_pow_of_two(best_max),
			     max);
	if (best < VIRTIO_NTB_MIN_WINDOW)
		return -ENOSPC;

	win->size = best;
	win->xlat_size = roundup(best, best_size);
	win->alloc_size = roundup(win->xlat_size, best_addr);
	if (win->xlat_size > best_max)
		return -ERANGE;

	err = virtio_ntb_alloc_aligned(ntb, win, best_addr);
	if (err == -ERANGE) {
		/* Twice the size holds an aligned translation. */
		win->alloc_size *= 2;
		err = virtio_ntb_alloc_aligned(ntb, win, best_addr);
	}
	if (err)
		return err;

	err = ntb_mw_set_trans(ntb, 0, win->widx, win->dma, win->xlat_size);
	if (err) {
		dma_free_coherent(ntb_get_dma_dev(ntb), win->alloc_size,
				  win->alloc_virt, win->alloc_dma);
		win->virt = NULL;
	}
	return err;
}

/**
 * virtio_ntb_map_peer_window() - map the window a peer announced
 * @ntb: the NTB device.
 * @window: the peer's VIRTIO_NTB_SPAD_WINDOW.
 * @size: set to the size announced.
 *
 * The index and the size come from the peer: both are checked against
 * our outbound windows before anything is mapped.
 *
 * Return: the write-combining mapping, or an ERR_PTR().
 */
static inline void __iomem *
virtio_ntb_map_peer_window(struct ntb_dev *ntb, u32 window,
			   resource_size_t *size)
{
	unsigned int widx = FIELD_GET(VIRTIO_NTB_WINDOW_INDEX, window);
	resource_size_t max;
	void __iomem *peer;
	phys_addr_t base;
	int err;

	*size = (resource_size_t)FIELD_GET(VIRTIO_NTB_WINDOW_PAGES, window) *
		VIRTIO_NTB_WINDOW_UNIT;
	if (widx >= ntb_peer_mw_count(ntb)) {
		dev_err(&ntb->dev, "peer window %u: we have %d outbound windows\n",
			widx, ntb_peer_mw_count(ntb));
		return IOMEM_ERR_PTR(-EINVAL);
	}
	err = ntb_peer_mw_get_addr(ntb, widx, &base, &max);
	if (err)
		return IOMEM_ERR_PTR(err);
	if (*size < VIRTIO_NTB_MIN_WINDOW || *size > max) {
		dev_err(&ntb->dev, "peer window %u: bad size %pa, at most %pa\n",
			widx, size, &max);
		return IOMEM_ERR_PTR(-EINVAL);
	}

	peer = ioremap_wc(base, *size);
	return peer ?: IOMEM_ERR_PTR(-ENOMEM);
}

/**
 * virtio_ntb_new_hello() - what a host announces in a new link session
 * @hello: filled in, with a new non-zero session number.
 * @db_bits: the doorbell bits the host receives.
 * @widx: the index of its inbound window.
 * @win_size: the window's size, a multiple of VIRTIO_NTB_WINDOW_UNIT.
 *
 * Step 1 of the handshake, but for the control block, which the caller
 * zeroes.
 */
static inline void virtio_ntb_new_hello(struct virtio_ntb_hello *hello,
					unsigned int db_bits, int widx,
					resource_size_t win_size)
{
	hello->db_bits = db_bits;
	hello->window = FIELD_PREP(VIRTIO_NTB_WINDOW_INDEX, widx) |
			FIELD_PREP(VIRTIO_NTB_WINDOW_PAGES,
				   win_size / VIRTIO_NTB_WINDOW_UNIT);
	hello->echo = 0;
	do {
		hello->session = get_random_u32();
	} while (!hello->session);
}

/**
 * virtio_ntb_announce() - write our announcement in the peer's scratchpads
 * @ntb: the NTB device.
 * @role: VIRTIO_NTB_ROLE_FRONTEND or VIRTIO_NTB_ROLE_BACKEND.
 * @hello: what to announce; @hello->echo is written separately.
 *
 * Step 2 of the handshake: the magic last, then doorbell bit 0.
 */
static inline void virtio_ntb_announce(struct ntb_dev *ntb, unsigned int role,
				       const struct virtio_ntb_hello *hello)
{
	u32 version = FIELD_PREP(VIRTIO_NTB_VERSION_NUM, VIRTIO_NTB_VERSION) |
		      FIELD_PREP(VIRTIO_NTB_VERSION_ROLE, role) |
		      FIELD_PREP(VIRTIO_NTB_VERSION_DB_BITS, hello->db_bits);

	ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_WINDOW, hello->window);
	ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_VERSION, version);
	ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_SESSION, hello->session);
	ntb_peer_spad_write(ntb, 0, VIRTIO_NTB_SPAD_MAGIC, VIRTIO_NTB_MAGIC);
	ntb_peer_db_set(ntb, BIT_ULL(VIRTIO_NTB_DB_CTRL));
}

/**
 * virtio_ntb_read_hello() - read the peer's announcement
 * @ntb: the NTB device.
 * @peer_role: the role the peer must have.
 * @hello: filled with what the peer announced.
 * @warned: set once a mismatch was logged, so that it is logged once.
 *
 * Step 3 of the handshake. The echo and the magic are read first: what
 * the peer wrote before echoing our session is of this session, and what
 * it wrote before the magic is complete.
 *
 * Return: 0, -ENOENT while the peer wrote no magic, or -EPROTO if it is
 * not a @peer_role of our version.
 */
static inline int virtio_ntb_read_hello(struct ntb_dev *ntb,
					unsigned int peer_role,
					struct virtio_ntb_hello *hello,
					bool *warned)
{
	u32 version, magic;

	hello->echo = ntb_spad_read(ntb, VIRTIO_NTB_SPAD_ECHO);
	magic = ntb_spad_read(ntb, VIRTIO_NTB_SPAD_MAGIC);
	/* The echo and the magic before what the peer wrote ahead of them. */
	rmb();
	version = ntb_spad_read(ntb, VIRTIO_NTB_SPAD_VERSION);
	hello->session = ntb_spad_read(ntb, VIRTIO_NTB_SPAD_SESSION);
	hello->window = ntb_spad_read(ntb, VIRTIO_NTB_SPAD_WINDOW);
	hello->db_bits = min_t(unsigned int,
			       FIELD_GET(VIRTIO_NTB_VERSION_DB_BITS, version),
			       VIRTIO_NTB_DB_MAX_BITS);

	if (magic != VIRTIO_NTB_MAGIC)
		return -ENOENT;
	if (FIELD_GET(VIRTIO_NTB_VERSION_NUM, version) != VIRTIO_NTB_VERSION ||
	    FIELD_GET(VIRTIO_NTB_VERSION_ROLE, version) != peer_role ||
	    hello->db_bits < VIRTIO_NTB_DB_MIN_BITS) {
		if (!*warned)
			dev_err(&ntb->dev,
				"peer speaks version %lu as role %lu: not a virtio-ntb %s of version %u\n",
				FIELD_GET(VIRTIO_NTB_VERSION_NUM, version),
				FIELD_GET(VIRTIO_NTB_VERSION_ROLE, version),
				peer_role == VIRTIO_NTB_ROLE_FRONTEND ?
				"frontend" : "backend", VIRTIO_NTB_VERSION);
		*warned = true;
		return -EPROTO;
	}
	return 0;
}

#endif /* _LINUX_VIRTIO_NTB_H */
