/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vhost bus: virtio devices implemented in the kernel, for a frontend
 * that runs elsewhere.
 *
 * A transport (a PCI endpoint function, an NTB client) presents a virtio
 * device to a frontend on another host, whose stock virtio driver places
 * the virtqueues in its own memory. A client (vhost-net, vhost-rpmsg)
 * implements the device type: it walks those rings with vringh_*_mmio()
 * and moves payload with vhost_read() and vhost_write(). The bus core sits
 * between the two and owns the virtio protocol seen from the device side:
 * device status, feature negotiation, ring lifetime and reset.
 *
 * See Documentation/driver-api/vhost-bus.rst.
 */
#ifndef _LINUX_VHOST_BUS_H
#define _LINUX_VHOST_BUS_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vringh.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct vhost_bus_device;
struct vhost_bus_driver;
struct vhost_bus_vq;

/* The largest split virtqueue virtio allows. */
#define VHOST_BUS_MAX_QUEUE_SIZE	32768
/* The most virtqueues a device may have: queue indices are 16 bits. */
#define VHOST_BUS_MAX_QUEUES		65535

/**
 * typedef vhost_bus_vq_callback_t - called when the frontend kicks a queue
 * @vq: the virtqueue the frontend made buffers available on
 *
 * Called in atomic context, with interrupts disabled: queue work, or
 * schedule NAPI on a device whose transport sets
 * &vhost_bus_device.atomic_data_path, and return.
 */
typedef void vhost_bus_vq_callback_t(struct vhost_bus_vq *vq);

/**
 * struct vhost_bus_vq - a virtqueue, seen from the device
 * @vrh: the ring, in the frontend's memory or split between the two hosts'
 *	(each part where its reader is). The transport sets it up with
 *	vringh_init_mmio() when the frontend sets DRIVER_OK; the client walks
 *	it with vhost_bus_vq_getdesc() and the other vringh_*_mmio() helpers,
 *	and only while the queue is ready.
 * @vdev: the device the queue belongs to.
 * @name: the client's name for the queue.
 * @callback: the client's kick callback, or NULL.
 * @index: the queue index, as the frontend numbers it.
 * @num_max: the most entries the frontend may give this queue: a power of
 *	2, the smaller of what the client asked for and what the device
 *	offers.
 * @ready: the client may use the ring and gets kicks. Set before the
 *	DRIVER_OK event, cleared before the RESET event. Written under
 *	&vhost_bus_device.vq_lock, read with vhost_bus_vq_ready().
 * @started: the transport has set the ring up (&vhost_bus_config_ops.start_vq
 *	succeeded and &vhost_bus_config_ops.stop_vq was not called yet).
 *	Protected by &vhost_bus_device.lock.
 * @priv: the transport's per-queue data.
 */
struct vhost_bus_vq {
	struct vringh vrh;
	struct vhost_bus_device *vdev;
	const char *name;
	vhost_bus_vq_callback_t *callback;
	unsigned int index;
	unsigned int num_max;
	bool ready;
	bool started;
	void *priv;
};

/**
 * struct vhost_bus_vq_info - what a client asks for one virtqueue
 * @name: the name of the queue, for messages.
 * @callback: called when the frontend kicks the queue, or NULL.
 * @size: the most entries the client can handle, a power of 2, or 0 for as
 *	many as the device offers.
 */
struct vhost_bus_vq_info {
	const char *name;
	vhost_bus_vq_callback_t *callback;
	unsigned int size;
};

/**
 * enum vhost_bus_xfer_dir - direction of a copy
 * @VHOST_BUS_XFER_READ: from frontend memory into a local buffer.
 * @VHOST_BUS_XFER_WRITE: from a local buffer into frontend memory.
 */
enum vhost_bus_xfer_dir {
	VHOST_BUS_XFER_READ,
	VHOST_BUS_XFER_WRITE,
};

/**
 * struct vhost_bus_xfer_seg - one contiguous piece of a copy
 * @addr: the frontend bus address, as a descriptor gave it.
 * @buf: the local buffer (a kernel virtual address).
 * @len: the number of bytes.
 */
struct vhost_bus_xfer_seg {
	u64 addr;
	void *buf;
	size_t len;
};

struct vhost_bus_xfer;

/**
 * typedef vhost_bus_xfer_done_t - a transfer taken asynchronously is over
 * @xfer: the transfer, as it was submitted
 * @err: 0 if every segment was copied, or -errno (what the segments'
 *	buffers hold is then undefined)
 *
 * Called once for each vhost_xfer_submit() that returned -EINPROGRESS,
 * when the transport calls vhost_xfer_complete(): in process or softirq
 * context with interrupts enabled, never in a hard interrupt, perhaps
 * before vhost_xfer_submit() returned, on another CPU. It must not sleep. The
 * transfer, its segments and its buffers are the submitter's again.
 */
typedef void vhost_bus_xfer_done_t(const struct vhost_bus_xfer *xfer,
				   int err);

/**
 * struct vhost_bus_xfer - a copy between local and frontend memory
 * @dir: the direction of every segment.
 * @nr_segs: the number of entries in @segs, at least 1.
 * @segs: the segments, none of them empty, none wrapping the address space.
 * @done: called when a transfer the transport took asynchronously is over;
 *	mandatory for vhost_xfer_submit().
 * @priv: the submitter's, for @done.
 *
 * This is what a transport's &vhost_bus_config_ops.xfer moves, whether the
 * copy came from vhost_read(), vhost_write() or vhost_xfer_submit(). A
 * transfer, its segments and the buffers they name belong to the transport
 * from submission until it is over: when the submission returned anything
 * but -EINPROGRESS, or when @done was called.
 */
struct vhost_bus_xfer {
	enum vhost_bus_xfer_dir dir;
	unsigned int nr_segs;
	const struct vhost_bus_xfer_seg *segs;
	vhost_bus_xfer_done_t *done;
	void *priv;
};

/**
 * struct vhost_bus_config_ops - what a transport does for the bus core
 * @create_vqs: allocate the transport's state for @nvqs queues and tell the
 *	frontend how many there are and how large each may be
 *	(&vhost_bus_vq.num_max). Called with &vhost_bus_device.lock held,
 *	while the device is not live. Returns 0 or -errno.
 * @del_vqs: undo @create_vqs. Once it returns, the transport starts no
 *	new vhost_bus_frontend_kick() for these queues; a kick already under
 *	way may finish, as the core waits for it (see
 *	vhost_bus_frontend_kick()) before it frees the queues. Called with
 *	&vhost_bus_device.lock held, after every queue was stopped.
 * @start_vq: the frontend set DRIVER_OK: map the ring it set up for the
 *	queue and initialise &vhost_bus_vq.vrh with vringh_init_mmio(), the
 *	negotiated features (vhost_get_features()) and a size no larger than
 *	&vhost_bus_vq.num_max. Return -ENOENT for a queue the frontend did not
 *	enable, or another -errno if the ring is unusable (the device then
 *	needs a reset). Called with &vhost_bus_device.lock held.
 * @stop_vq: unmap the ring of a started queue. The client no longer uses it.
 *	Called with &vhost_bus_device.lock held.
 * @getrange: check a buffer address found in the ring of @vq and give its
 *	range and translation, as vringh_getdesc_mmio() documents. Data path:
 *	any context, must not sleep.
 * @xfer: copy between local memory and frontend memory. Either copy
 *	every segment and return 0, fail and return -errno, or take the
 *	transfer and return -EINPROGRESS, to call vhost_xfer_complete() for
 *	it later (once, in process or softirq context with interrupts
 *	enabled, and never from within @xfer). Several transfers of a
 *	device may be in flight, and they may complete in any order. The
 *	transport chooses, transfer by transfer: a CPU copy through a window
 *	completes at once, a DMA engine completes later. Data path: may sleep unless
 *	&vhost_bus_device.atomic_data_path is set.
 * @notify: tell the frontend it has used buffers on @vq (an interrupt).
 *	Data path: may sleep unless &vhost_bus_device.atomic_data_path is
 *	set.
 * @set_features: publish the feature bits the device offers. Called with
 *	&vhost_bus_device.lock held.
 * @get_features: return the feature bits the frontend wrote, when it sets
 *	FEATURES_OK. Called with &vhost_bus_device.lock held.
 * @set_status: publish the device status (VIRTIO_CONFIG_S_*). The frontend
 *	must see a status it wrote only after this call: the core decides
 *	what it becomes. Called with &vhost_bus_device.publish_lock held.
 * @get_config: optional: read device configuration space. Returns 0 or
 *	-errno (-EINVAL beyond its end). Called with
 *	&vhost_bus_device.publish_lock held.
 * @set_config: optional: write device configuration space, as
 *	@get_config.
 * @config_changed: publish a new configuration generation, after the
 *	stores of @set_config, and send the frontend a configuration change
 *	notification if it is live. Also called, with an unchanged generation,
 *	when the device sets NEEDS_RESET. Called with
 *	&vhost_bus_device.publish_lock held.
 * @enable: optional: a client is bound, its offer and queues are in place;
 *	the frontend may now drive the device. Called without locks.
 * @disable: optional: the client is about to go away, and the rings are
 *	already stopped; undo @enable. The other ops still work. Called
 *	without locks.
 *
 * All ops but @getrange may sleep, and @xfer and @notify too unless the
 * transport says otherwise. The core calls the ops marked "data path"
 * without its locks, on behalf of a client; the others are
 * serialised by the locks named. An op must not call back into the core's
 * control functions (vhost_bus_frontend_set_status(), vhost_create_vqs(),
 * ...), and a transport must not hold a lock that its ops take when it
 * calls one of them.
 */
struct vhost_bus_config_ops {
	int (*create_vqs)(struct vhost_bus_device *vdev, unsigned int nvqs,
			  struct vhost_bus_vq *vqs);
	void (*del_vqs)(struct vhost_bus_device *vdev);
	int (*start_vq)(struct vhost_bus_vq *vq);
	void (*stop_vq)(struct vhost_bus_vq *vq);
	bool (*getrange)(struct vhost_bus_vq *vq, u64 addr,
			 struct vringh_range *r);
	int (*xfer)(struct vhost_bus_device *vdev,
		    const struct vhost_bus_xfer *xfer);
	void (*notify)(struct vhost_bus_vq *vq);
	void (*set_features)(struct vhost_bus_device *vdev, u64 features);
	u64 (*get_features)(struct vhost_bus_device *vdev);
	void (*set_status)(struct vhost_bus_device *vdev, u8 status);
	int (*get_config)(struct vhost_bus_device *vdev, unsigned int offset,
			  void *buf, unsigned int len);
	int (*set_config)(struct vhost_bus_device *vdev, unsigned int offset,
			  const void *buf, unsigned int len);
	void (*config_changed)(struct vhost_bus_device *vdev, u32 generation);
	void (*enable)(struct vhost_bus_device *vdev);
	void (*disable)(struct vhost_bus_device *vdev);
};

/**
 * struct vhost_bus_device - a virtio device presented to a frontend
 * @dev: the driver model device. vhost_bus_alloc_device() initialises it;
 *	its release function is the core's.
 * @id: the virtio device and vendor id. Set by the transport before
 *	registration; a device id of 0 leaves the choice to management
 *	(configfs), and no client binds until it is made.
 * @ops: the transport's operations, set before registration.
 * @atomic_data_path: set by the transport before registration if its
 *	&vhost_bus_config_ops.xfer and &vhost_bus_config_ops.notify never
 *	sleep and may be called in softirq context (bottom halves disabled):
 *	clients may then run their data path from NAPI or ndo_start_xmit.
 *	Whether a transfer completes at once or asynchronously is another
 *	matter, decided by each call of &vhost_bus_config_ops.xfer.
 * @transport_features: feature bits the transport always offers and the
 *	frontend must accept (VIRTIO_F_ACCESS_PLATFORM, for instance); set
 *	before registration. VIRTIO_F_VERSION_1 is always offered and
 *	required, whatever this says.
 * @num_queues: the most virtqueues the device offers. Set by the transport
 *	before registration; management may lower it while no client is
 *	bound.
 * @queue_size: the most entries per virtqueue, a power of 2. As
 *	@num_queues.
 * @features_mask: the feature bits a client may offer. All of them after
 *	registration; management may change it while no client is bound.
 * @index: the unique number in the device name, vhost<index>. It is not
 *	reused before the device is released.
 * @lock: serialises the control path: binding, frontend status changes,
 *	creation and deletion of queues. The client's event callback is called
 *	with it held.
 * @publish_lock: serialises what the device publishes to the frontend:
 *	@status, configuration space and @config_generation.
 * @vq_lock: protects &vhost_bus_vq.ready against kicks; taken with
 *	interrupts disabled. Kicks also run inside an RCU read-side critical
 *	section, so that the core can wait for them before freeing @vqs.
 * @client: the bound client, once its probe succeeded; NULL otherwise.
 *	Protected by @lock.
 * @status: the device status. Written under @publish_lock (and @lock
 *	unless the device is only adding NEEDS_RESET), read with
 *	vhost_get_status(). DRIVER_OK is set in it before any queue is
 *	ready, and cleared (by a reset) before the queues stop.
 * @offer: the feature bits the device offers. Protected by @lock.
 * @features: the negotiated feature bits, 0 until the frontend's
 *	FEATURES_OK is accepted, and again once the client that accepted
 *	them is gone. Written under @lock, read with vhost_get_features().
 * @config_generation: the configuration generation. Written under
 *	@publish_lock, read with vhost_config_generation().
 * @vqs: the virtqueues, from vhost_create_vqs(). Protected by @lock.
 * @nvqs: the number of entries in @vqs. Protected by @lock.
 * @xfers_in_flight: transfers the transport took asynchronously and did
 *	not complete yet.
 * @xfer_wq: where vhost_xfer_flush() waits for @xfers_in_flight to drop
 *	to 0.
 * @needs_reset_work: sets NEEDS_RESET for a broken ring found in atomic
 *	context.
 */
struct vhost_bus_device {
	struct device dev;
	struct vhost_bus_device_id id;
	const struct vhost_bus_config_ops *ops;
	bool atomic_data_path;
	u64 transport_features;
	unsigned int num_queues;
	unsigned int queue_size;
	u64 features_mask;
	unsigned int index;
	struct mutex lock;		/* the control path */
	struct mutex publish_lock;	/* what the frontend sees */
	spinlock_t vq_lock;		/* queue readiness and kicks */
	struct vhost_bus_driver *client;
	u8 status;
	u64 offer;
	u64 features;
	u32 config_generation;
	struct vhost_bus_vq *vqs;
	unsigned int nvqs;
	atomic_t xfers_in_flight;
	wait_queue_head_t xfer_wq;
	struct work_struct needs_reset_work;
};

#define to_vhost_bus_device(d) \
	container_of_const(d, struct vhost_bus_device, dev)

/**
 * enum vhost_bus_event - what a client is told about its device
 * @VHOST_BUS_EVENT_FEATURES_OK: the frontend set FEATURES_OK with features
 *	the device offered; vhost_get_features() returns them. Return 0 to
 *	accept them, or -errno to make the frontend see FEATURES_OK cleared.
 * @VHOST_BUS_EVENT_DRIVER_OK: the frontend set DRIVER_OK. The rings of the
 *	queues it enabled are set up and ready; kicks may arrive already. The
 *	client starts, and looks at each ring once, since buffers may have
 *	been made available before. Returning -errno makes the device
 *	NEEDS_RESET, and a RESET event follows.
 * @VHOST_BUS_EVENT_STATUS: another change of the device status, such as
 *	FAILED; vhost_get_status() returns the new status.
 * @VHOST_BUS_EVENT_RESET: the frontend reset the device, or the client is
 *	about to be removed while the frontend drives the device. No queue is
 *	ready any more: the client stops using the rings and frontend memory,
 *	waits for its work to finish, and forgets buffers in flight. The core
 *	unmaps the rings when the callback returns.
 */
enum vhost_bus_event {
	VHOST_BUS_EVENT_FEATURES_OK,
	VHOST_BUS_EVENT_DRIVER_OK,
	VHOST_BUS_EVENT_STATUS,
	VHOST_BUS_EVENT_RESET,
};

/**
 * struct vhost_bus_client_attr - a setting of a client, in configfs
 * @name: the name of the file.
 * @show: print the setting for @vdev into @page, a page, with
 *	sysfs_emit(); or NULL. Returns the length or -errno.
 * @store: parse @page, @len bytes, and apply it to @vdev; or NULL.
 *	Returns @len or -errno, and says why with a message on an error.
 *
 * Both are called with device_lock() held and the client bound to @vdev,
 * in process context.
 */
struct vhost_bus_client_attr {
	const char *name;
	ssize_t (*show)(struct vhost_bus_device *vdev, char *page);
	ssize_t (*store)(struct vhost_bus_device *vdev, const char *page,
			 size_t len);
};

/* The most settings a client may show in configfs. */
#define VHOST_BUS_CLIENT_MAX_ATTRS	8

/**
 * struct vhost_bus_driver - a client: the implementation of a device type
 * @driver: the driver model driver; set at least @driver.name.
 * @id_table: the device ids the client implements, ending with an entry
 *	whose device id is 0.
 * @probe: bind to a device: set the offer with vhost_set_features(),
 *	create the queues with vhost_create_vqs() and fill the configuration
 *	space. No event arrives before it returns. Returns 0 or -errno.
 * @remove: unbind. The core already stopped the rings (with a RESET event
 *	if the frontend was driving the device); it deletes the queues left
 *	after @remove returns. A frontend that negotiated with this client
 *	is asked to reset the device (NEEDS_RESET), and the device may bind
 *	another client at once.
 * @event: a change of the device state, see &enum vhost_bus_event. Called
 *	in process context with &vhost_bus_device.lock held: it may sleep, and
 *	may call the vhost_get_*() helpers, vhost_set_status() and
 *	vhost_set_config(), but not vhost_set_features(), vhost_create_vqs()
 *	or vhost_del_vqs().
 * @cfs_attrs: optional: the client's settings of a device it is bound to,
 *	up to %VHOST_BUS_CLIENT_MAX_ATTRS of them, ending with an entry with
 *	no name. The configfs interface shows them in a group named after
 *	the client under the device's directory.
 *
 * All callbacks are mandatory.
 */
struct vhost_bus_driver {
	struct device_driver driver;
	const struct vhost_bus_device_id *id_table;
	int (*probe)(struct vhost_bus_device *vdev);
	void (*remove)(struct vhost_bus_device *vdev);
	int (*event)(struct vhost_bus_device *vdev, enum vhost_bus_event event);
	const struct vhost_bus_client_attr *cfs_attrs;
};

#define to_vhost_bus_driver(drv) \
	container_of_const(drv, struct vhost_bus_driver, driver)

extern const struct bus_type vhost_bus_type;

/* Clients */
int __vhost_register_driver(struct vhost_bus_driver *drv,
			    struct module *owner, const char *mod_name);

/**
 * vhost_register_driver() - register a client
 * @drv: the client
 *
 * Return: 0 or -errno.
 */
#define vhost_register_driver(drv) \
	__vhost_register_driver(drv, THIS_MODULE, KBUILD_MODNAME)

void vhost_unregister_driver(struct vhost_bus_driver *drv);

/**
 * module_vhost_driver() - the module init and exit of a plain client
 * @drv: the client
 *
 * For a module that only registers a client. Use it once per module.
 */
#define module_vhost_driver(drv) \
	module_driver(drv, vhost_register_driver, vhost_unregister_driver)

int vhost_create_vqs(struct vhost_bus_device *vdev, unsigned int nvqs,
		     struct vhost_bus_vq *vqs[],
		     const struct vhost_bus_vq_info info[]);
void vhost_del_vqs(struct vhost_bus_device *vdev);

int vhost_read(struct vhost_bus_device *vdev, void *dst, u64 src, size_t len);
int vhost_write(struct vhost_bus_device *vdev, u64 dst, const void *src,
		size_t len);
int vhost_xfer_submit(struct vhost_bus_device *vdev,
		      const struct vhost_bus_xfer *xfer);
void vhost_xfer_flush(struct vhost_bus_device *vdev);

int vhost_set_features(struct vhost_bus_device *vdev, u64 features);
u64 vhost_get_features(const struct vhost_bus_device *vdev);

int vhost_set_status(struct vhost_bus_device *vdev, u8 status);
u8 vhost_get_status(const struct vhost_bus_device *vdev);

int vhost_get_config(struct vhost_bus_device *vdev, unsigned int offset,
		     void *buf, unsigned int len);
int vhost_set_config(struct vhost_bus_device *vdev, unsigned int offset,
		     const void *buf, unsigned int len);

int vhost_bus_vq_getdesc(struct vhost_bus_vq *vq, struct vringh_mmiov *riov,
			 struct vringh_mmiov *wiov, u16 *head, gfp_t gfp);
void vhost_bus_vq_notify(struct vhost_bus_vq *vq);

/**
 * vhost_bus_has_feature() - was a feature negotiated?
 * @vdev: the device
 * @fbit: the feature bit number
 *
 * Return: true once the frontend's FEATURES_OK with @fbit was accepted.
 */
static inline bool vhost_bus_has_feature(const struct vhost_bus_device *vdev,
					 unsigned int fbit)
{
	return fbit < 64 && (vhost_get_features(vdev) & BIT_ULL(fbit));
}

/**
 * vhost_config_generation() - the configuration generation
 * @vdev: the device
 *
 * vhost_set_config() increments it, and the transport shows it to the
 * frontend, which reads the configuration until it is unchanged around
 * its reads.
 *
 * Return: the current generation.
 */
static inline u32 vhost_config_generation(const struct vhost_bus_device *vdev)
{
	return READ_ONCE(vdev->config_generation);
}

/**
 * vhost_bus_vq_ready() - may the client use a queue's ring?
 * @vq: the virtqueue
 *
 * Return: true between the DRIVER_OK event and the next RESET event, for a
 * queue the frontend enabled.
 */
static inline bool vhost_bus_vq_ready(const struct vhost_bus_vq *vq)
{
	return READ_ONCE(vq->ready);
}

/**
 * vhost_set_drvdata() - attach the client's data to a device
 * @vdev: the device
 * @data: the client's data
 */
static inline void vhost_set_drvdata(struct vhost_bus_device *vdev,
				     void *data)
{
	dev_set_drvdata(&vdev->dev, data);
}

/**
 * vhost_get_drvdata() - the client's data of a device
 * @vdev: the device
 *
 * Return: what vhost_set_drvdata() attached, or NULL.
 */
static inline void *vhost_get_drvdata(const struct vhost_bus_device *vdev)
{
	return dev_get_drvdata(&vdev->dev);
}

/* Transports */
void *__vhost_bus_alloc_device(size_t size, struct device *parent,
			       const struct vhost_bus_config_ops *ops);

/**
 * vhost_bus_alloc_device() - allocate a device and the transport's state
 * @dev_struct: the transport's structure, whose first member is a
 *	&struct vhost_bus_device
 * @member: the name of that member
 * @parent: the transport's device, the parent of the new one
 * @ops: the transport's operations
 *
 * The transport's state lives in the same allocation as the device, which
 * the core frees once the last reference is dropped: after
 * vhost_unregister_device(), or with vhost_bus_put_device() if the device
 * was never registered. The core, not the transport module, holds the
 * release function, so a reference may outlive the transport's module.
 *
 * Return: the zeroed @dev_struct, or NULL.
 */
#define vhost_bus_alloc_device(dev_struct, member, parent, ops)		\
	__vhost_bus_alloc_device(sizeof(dev_struct) +			\
			BUILD_BUG_ON_ZERO(offsetof(dev_struct, member)),	\
			parent, ops)

/**
 * vhost_bus_put_device() - drop a reference to a device
 * @vdev: the device
 */
static inline void vhost_bus_put_device(struct vhost_bus_device *vdev)
{
	put_device(&vdev->dev);
}

int vhost_register_device(struct vhost_bus_device *vdev);
void vhost_unregister_device(struct vhost_bus_device *vdev);
int vhost_bus_frontend_set_status(struct vhost_bus_device *vdev, u8 status);
void vhost_bus_frontend_kick(struct vhost_bus_vq *vq);
void vhost_xfer_complete(struct vhost_bus_device *vdev,
			 const struct vhost_bus_xfer *xfer, int err);

/* Management */
int vhost_bus_set_id(struct vhost_bus_device *vdev,
		     const struct vhost_bus_device_id *id);
int vhost_bus_bind(struct vhost_bus_device *vdev, const char *name);
void vhost_bus_unbind(struct vhost_bus_device *vdev);

#endif /* _LINUX_VHOST_BUS_H */
