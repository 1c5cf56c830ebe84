// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vhost bus: virtio devices implemented in the kernel, for a frontend
 * that runs elsewhere.
 *
 * The core owns the device side of the virtio protocol (virtio 1.2,
 * "Basic Facilities of a Virtio Device" and "Device Initialization"): it
 * checks each status the frontend writes, negotiates features, has the
 * transport set up the rings at DRIVER_OK and tear them down at reset, and
 * tells the client. Transports carry the frontend's writes in and the
 * device's state out; clients implement the device type.
 */

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/export.h>
#include <linux/idr.h>
#include <linux/init.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vhost_bus.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_config.h>

/*
 * One name for the bus everywhere userspace sees it: /sys/bus/vhost,
 * devices vhost<N>, "vhost:" module aliases, /sys/kernel/config/vhost.
 */
#define VHOST_BUS_NAME		"vhost"
#define VHOST_BUS_MODALIAS_FMT	VHOST_BUS_NAME ":d%08Xv%08X"

/* The device status bits a frontend may write. */
#define VHOST_BUS_FRONTEND_STATUS					\
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |		\
	 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK |	\
	 VIRTIO_CONFIG_S_FAILED)

/* The bits the frontend sets in turn while it initialises the device. */
#define VHOST_BUS_STATUS_STEPS						\
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |		\
	 VIRTIO_CONFIG_S_FAILED)

/* Unique numbering for device names. */
static DEFINE_IDA(vhost_bus_index_ida);

static ssize_t device_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_vhost_bus_device(dev)->id.device);
}
static DEVICE_ATTR_RO(device);

static ssize_t vendor_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%04x\n", to_vhost_bus_device(dev)->id.vendor);
}
static DEVICE_ATTR_RO(vendor);

static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%02x\n",
			  vhost_get_status(to_vhost_bus_device(dev)));
}
static DEVICE_ATTR_RO(status);

static ssize_t device_features_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);
	u64 offer;

	mutex_lock(&vdev->lock);
	offer = vdev->offer;
	mutex_unlock(&vdev->lock);

	return sysfs_emit(buf, "0x%016llx\n", offer);
}
static DEVICE_ATTR_RO(device_features);

static ssize_t features_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "0x%016llx\n",
			  vhost_get_features(to_vhost_bus_device(dev)));
}
static DEVICE_ATTR_RO(features);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);

	return sysfs_emit(buf, VHOST_BUS_MODALIAS_FMT "\n",
			  vdev->id.device, vdev->id.vendor);
}
static DEVICE_ATTR_RO(modalias);

static struct attribute *vhost_bus_dev_attrs[] = {
	&dev_attr_device.attr,
	&dev_attr_vendor.attr,
	&dev_attr_status.attr,
	&dev_attr_device_features.attr,
	&dev_attr_features.attr,
	&dev_attr_modalias.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vhost_bus_dev);

static bool vhost_bus_id_match(const struct vhost_bus_device *vdev,
			       const struct vhost_bus_device_id *ids)
{
	/* Device id 0 is reserved by virtio: the device awaits management. */
	if (!vdev->id.device)
		return false;

	for (; ids->device; ids++) {
		if (ids->device != VHOST_BUS_DEV_ANY_ID &&
		    ids->device != vdev->id.device)
			continue;
		if (ids->vendor == VHOST_BUS_DEV_ANY_ID ||
		    ids->vendor == vdev->id.vendor)
			return true;
	}
	return false;
}

static int vhost_bus_match(struct device *dev, const struct device_driver *drv)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);

	/* A device that management gave to one client binds only to it. */
	if (!device_match_driver_override(dev, drv))
		return 0;

	return vhost_bus_id_match(vdev, to_vhost_bus_driver(drv)->id_table);
}

static int vhost_bus_uevent(const struct device *dev,
			    struct kobj_uevent_env *env)
{
	const struct vhost_bus_device *vdev = to_vhost_bus_device(dev);

	return add_uevent_var(env, "MODALIAS=" VHOST_BUS_MODALIAS_FMT,
			      vdev->id.device, vdev->id.vendor);
}

/* Record a new device status and show it to the frontend. */
static void vhost_bus_publish_status(struct vhost_bus_device *vdev, u8 status)
{
	lockdep_assert_held(&vdev->publish_lock);

	WRITE_ONCE(vdev->status, status);
	vdev->ops->set_status(vdev, status);
}

/*
 * The device met an error that only a reset cures. With DRIVER_OK set it
 * must also send a configuration change notification (virtio 1.2, "Device
 * Status Field").
 */
static void __vhost_bus_needs_reset(struct vhost_bus_device *vdev)
{
	u8 status = vdev->status;

	lockdep_assert_held(&vdev->publish_lock);

	if (!status || (status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;

	vhost_bus_publish_status(vdev, status | VIRTIO_CONFIG_S_NEEDS_RESET);
	if (status & VIRTIO_CONFIG_S_DRIVER_OK)
		vdev->ops->config_changed(vdev, vdev->config_generation);
}

static void vhost_bus_needs_reset(struct vhost_bus_device *vdev)
{
	mutex_lock(&vdev->publish_lock);
	__vhost_bus_needs_reset(vdev);
	mutex_unlock(&vdev->publish_lock);
}

/* A broken ring found in atomic context: the status ops may sleep. */
static void vhost_bus_needs_reset_work(struct work_struct *work)
{
	struct vhost_bus_device *vdev =
		container_of(work, struct vhost_bus_device, needs_reset_work);

	vhost_bus_needs_reset(vdev);
}

/* What the device offers: the client's bits that management allows. */
static void vhost_bus_set_offer(struct vhost_bus_device *vdev, u64 features)
{
	lockdep_assert_held(&vdev->lock);

	vdev->offer = (features & vdev->features_mask) |
		      vdev->transport_features | BIT_ULL(VIRTIO_F_VERSION_1);
	vdev->ops->set_features(vdev, vdev->offer);
}

/*
 * Make the started queues ready, or no queue: kicks are delivered to ready
 * queues, and the client takes chains only from them. A queue is ready only
 * while DRIVER_OK is in the status that vhost_bus_xfer() checks, or the
 * client could take a chain it cannot fill: set after DRIVER_OK is, cleared
 * before it is.
 */
static void vhost_bus_set_ready(struct vhost_bus_device *vdev, bool ready)
{
	unsigned long flags;
	unsigned int i;

	lockdep_assert_held(&vdev->lock);

	spin_lock_irqsave(&vdev->vq_lock, flags);
	for (i = 0; i < vdev->nvqs; i++)
		WRITE_ONCE(vdev->vqs[i].ready, ready && vdev->vqs[i].started);
	spin_unlock_irqrestore(&vdev->vq_lock, flags);
}

/*
 * Stop using the rings: no kick reaches the client any more, the client is
 * told and waits for its own work, and only then does the transport unmap
 * the rings.
 */
static void vhost_bus_stop_vqs(struct vhost_bus_device *vdev, bool tell_client)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);

	vhost_bus_set_ready(vdev, false);

	if (tell_client && vdev->client)
		vdev->client->event(vdev, VHOST_BUS_EVENT_RESET);

	/* Nothing may still copy into, or report on, the rings. */
	vhost_xfer_flush(vdev);
	flush_work(&vdev->needs_reset_work);

	for (i = 0; i < vdev->nvqs; i++) {
		struct vhost_bus_vq *vq = &vdev->vqs[i];

		if (vq->started) {
			vdev->ops->stop_vq(vq);
			vq->started = false;
		}
	}
}

static void __vhost_bus_del_vqs(struct vhost_bus_device *vdev)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);

	if (!vdev->vqs)
		return;

	/* Queues the frontend still uses: it has to reset the device. */
	for (i = 0; i < vdev->nvqs; i++) {
		if (vdev->vqs[i].started) {
			vhost_bus_needs_reset(vdev);
			vhost_bus_stop_vqs(vdev, false);
			break;
		}
	}

	vdev->ops->del_vqs(vdev);
	/* A kick the transport started before del_vqs() may still run. */
	synchronize_rcu();
	kfree(vdev->vqs);
	vdev->vqs = NULL;
	vdev->nvqs = 0;
}

/* Forget what a client set up: its queues and its offer. */
static void vhost_bus_cleanup(struct vhost_bus_device *vdev)
{
	lockdep_assert_held(&vdev->lock);

	__vhost_bus_del_vqs(vdev);
	WRITE_ONCE(vdev->features, 0);
	vhost_bus_set_offer(vdev, 0);
}

/*
 * The client goes away, or this host does, while the frontend may drive the
 * device: stop the rings, and make the frontend reset the device before it
 * uses it again. What was negotiated is forgotten with the client (see
 * vhost_bus_cleanup()), so that another client can bind at once; the
 * frontend cannot go on from its old status (vhost_bus_frontend_set_status()
 * accepts only a reset or FAILED while NEEDS_RESET is set).
 */
static void vhost_bus_quiesce(struct vhost_bus_device *vdev)
{
	u8 status = READ_ONCE(vdev->status);

	lockdep_assert_held(&vdev->lock);

	if (status & (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK))
		vhost_bus_needs_reset(vdev);
	vhost_bus_stop_vqs(vdev, status != 0);
}

/* The frontend wrote 0 (virtio 1.2, "Device Reset"). */
static void vhost_bus_reset(struct vhost_bus_device *vdev)
{
	u8 status;

	lockdep_assert_held(&vdev->lock);

	/*
	 * From here on the device is not live: no chain is taken, the data
	 * path fails and the client can no longer set NEEDS_RESET. The
	 * frontend keeps reading the old status until the reset is complete.
	 */
	vhost_bus_set_ready(vdev, false);
	mutex_lock(&vdev->publish_lock);
	status = vdev->status;
	WRITE_ONCE(vdev->status, 0);
	mutex_unlock(&vdev->publish_lock);

	vhost_bus_stop_vqs(vdev, status != 0);
	WRITE_ONCE(vdev->features, 0);

	mutex_lock(&vdev->publish_lock);
	vhost_bus_publish_status(vdev, 0);
	mutex_unlock(&vdev->publish_lock);
}

/*
 * Is going from @old to @status something a frontend may do? It may not
 * clear a bit (only writing 0 does), nor set one before those it depends
 * on (virtio 1.2, "Device Initialization"). Several bits may be set at once.
 */
static bool vhost_bus_status_valid(u8 old, u8 status)
{
	if (status & ~VHOST_BUS_FRONTEND_STATUS)
		return false;
	if (old & ~status)
		return false;
	if ((status & VIRTIO_CONFIG_S_DRIVER) &&
	    !(status & VIRTIO_CONFIG_S_ACKNOWLEDGE))
		return false;
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(status & VIRTIO_CONFIG_S_DRIVER))
		return false;
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(status & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	return true;
}

/* The frontend set FEATURES_OK: may it have the features it wrote? */
static int vhost_bus_negotiate(struct vhost_bus_device *vdev)
{
	u64 required = vdev->transport_features | BIT_ULL(VIRTIO_F_VERSION_1);
	u64 features;
	int err;

	lockdep_assert_held(&vdev->lock);

	if (!vdev->client)
		return -ENODEV;

	/*
	 * Only bits the device offered (virtio 1.2, "Feature Bits"), and all
	 * it cannot work without: there is no legacy interface, and the
	 * transport may need the frontend to use the DMA API.
	 */
	features = vdev->ops->get_features(vdev);
	if ((features & ~vdev->offer) || (features & required) != required) {
		dev_info_ratelimited(&vdev->dev,
				     "frontend features 0x%016llx refused, offer 0x%016llx\n",
				     features, vdev->offer);
		return -EINVAL;
	}

	WRITE_ONCE(vdev->features, features);
	err = vdev->client->event(vdev, VHOST_BUS_EVENT_FEATURES_OK);
	if (err)
		WRITE_ONCE(vdev->features, 0);
	return err;
}

/* The frontend set DRIVER_OK: have the transport set up the rings. */
static int vhost_bus_start_vqs(struct vhost_bus_device *vdev)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&vdev->lock);

	if (!vdev->client)
		return -ENODEV;

	for (i = 0; i < vdev->nvqs; i++) {
		struct vhost_bus_vq *vq = &vdev->vqs[i];

		err = vdev->ops->start_vq(vq);
		if (err == -ENOENT)
			continue;	/* not enabled by the frontend */
		if (err) {
			dev_info_ratelimited(&vdev->dev,
					     "queue %s unusable: %d\n",
					     vq->name, err);
			vhost_bus_stop_vqs(vdev, false);
			return err;
		}
		vq->started = true;
	}
	return 0;
}

static int vhost_bus_probe(struct device *dev)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);
	struct vhost_bus_driver *drv = to_vhost_bus_driver(dev->driver);
	int err;

	/* Management may have changed the id since match(); it cannot now. */
	if (!vhost_bus_id_match(vdev, drv->id_table))
		return -ENODEV;

	err = drv->probe(vdev);
	if (err)
		goto err_cleanup;

	/* Events start here, not while the client is half set up. */
	mutex_lock(&vdev->lock);
	vdev->client = drv;
	mutex_unlock(&vdev->lock);

	if (vdev->ops->enable)
		vdev->ops->enable(vdev);
	return 0;

err_cleanup:
	mutex_lock(&vdev->lock);
	vhost_bus_cleanup(vdev);
	mutex_unlock(&vdev->lock);
	return err;
}

static void vhost_bus_remove(struct device *dev)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);
	struct vhost_bus_driver *drv = to_vhost_bus_driver(dev->driver);

	mutex_lock(&vdev->lock);
	vhost_bus_quiesce(vdev);
	vdev->client = NULL;
	mutex_unlock(&vdev->lock);

	if (vdev->ops->disable)
		vdev->ops->disable(vdev);

	drv->remove(vdev);

	mutex_lock(&vdev->lock);
	vhost_bus_cleanup(vdev);
	mutex_unlock(&vdev->lock);
}

static void vhost_bus_shutdown(struct device *dev)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);

	/* Stop reaching into frontend memory before this host goes down. */
	mutex_lock(&vdev->lock);
	vhost_bus_quiesce(vdev);
	mutex_unlock(&vdev->lock);
}

/* Exported for management, which looks devices and clients up by name. */
const struct bus_type vhost_bus_type = {
	.name = VHOST_BUS_NAME,
	.driver_override = true,
	.dev_groups = vhost_bus_dev_groups,
	.match = vhost_bus_match,
	.uevent = vhost_bus_uevent,
	.probe = vhost_bus_probe,
	.remove = vhost_bus_remove,
	.shutdown = vhost_bus_shutdown,
};
EXPORT_SYMBOL_GPL(vhost_bus_type);

/**
 * __vhost_register_driver() - register a client
 * @drv: the client, with every callback and an id table
 * @owner: the module of the client
 * @mod_name: the name of that module
 *
 * Use vhost_register_driver(), which passes the module of the caller.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL if a callback or the id table is missing, or if
 * @drv->cfs_attrs has too many entries or one without show and store, or
 * -errno.
 */
int __vhost_register_driver(struct vhost_bus_driver *drv,
			    struct module *owner, const char *mod_name)
{
	const struct vhost_bus_client_attr *attr;

	if (!drv->id_table || !drv->probe || !drv->remove || !drv->event)
		return -EINVAL;
	for (attr = drv->cfs_attrs; attr && attr->name; attr++)
		if (attr - drv->cfs_attrs == VHOST_BUS_CLIENT_MAX_ATTRS ||
		    (!attr->show && !attr->store))
			return -EINVAL;

	drv->driver.bus = &vhost_bus_type;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;

	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__vhost_register_driver);

/**
 * vhost_unregister_driver() - unregister a client
 * @drv: the client
 *
 * Each device bound to @drv is quiesced and its remove() called first.
 *
 * Context: process context; may sleep.
 */
void vhost_unregister_driver(struct vhost_bus_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(vhost_unregister_driver);

static void vhost_bus_device_release(struct device *dev)
{
	struct vhost_bus_device *vdev = to_vhost_bus_device(dev);

	ida_free(&vhost_bus_index_ida, vdev->index);
	mutex_destroy(&vdev->publish_lock);
	mutex_destroy(&vdev->lock);
	kfree(vdev);
}

/**
 * __vhost_bus_alloc_device() - allocate a device
 * @size: the size of the transport's structure, which starts with the
 *	&struct vhost_bus_device
 * @parent: the transport's device
 * @ops: the transport's operations
 *
 * Use vhost_bus_alloc_device(), which checks the layout.
 *
 * The device is initialised and named; set @id, @num_queues, @queue_size
 * and @transport_features, then call vhost_register_device().
 *
 * Context: process context; may sleep.
 * Return: the transport's structure, zeroed but for the device, or NULL.
 */
void *__vhost_bus_alloc_device(size_t size, struct device *parent,
			       const struct vhost_bus_config_ops *ops)
{
	struct vhost_bus_device *vdev;
	int index;

	if (WARN_ON_ONCE(size < sizeof(*vdev)))
		return NULL;

	vdev = kzalloc(size, GFP_KERNEL);
	if (!vdev)
		return NULL;

	index = ida_alloc(&vhost_bus_index_ida, GFP_KERNEL);
	if (index < 0) {
		kfree(vdev);
		return NULL;
	}

	/* From here on, put_device() frees everything. */
	vdev->index = index;
	mutex_init(&vdev->lock);
	mutex_init(&vdev->publish_lock);
	spin_lock_init(&vdev->vq_lock);
	atomic_set(&vdev->xfers_in_flight, 0);
	init_waitqueue_head(&vdev->xfer_wq);
	INIT_WORK(&vdev->needs_reset_work, vhost_bus_needs_reset_work);
	device_initialize(&vdev->dev);
	vdev->dev.bus = &vhost_bus_type;
	vdev->dev.parent = parent;
	vdev->dev.release = vhost_bus_device_release;
	vdev->ops = ops;
	vdev->features_mask = U64_MAX;

	if (dev_set_name(&vdev->dev, VHOST_BUS_NAME "%u", index)) {
		put_device(&vdev->dev);
		return NULL;
	}
	return vdev;
}
EXPORT_SYMBOL_GPL(__vhost_bus_alloc_device);

static int vhost_bus_check_device(const struct vhost_bus_device *vdev)
{
	const struct vhost_bus_config_ops *ops = vdev->ops;

	if (!ops || !ops->create_vqs || !ops->del_vqs || !ops->start_vq ||
	    !ops->stop_vq || !ops->getrange || !ops->xfer || !ops->notify ||
	    !ops->set_features || !ops->get_features || !ops->set_status ||
	    !ops->config_changed)
		return -EINVAL;
	if (vdev->id.device == VHOST_BUS_DEV_ANY_ID ||
	    vdev->id.vendor == VHOST_BUS_DEV_ANY_ID)
		return -EINVAL;
	if (!vdev->num_queues || vdev->num_queues > VHOST_BUS_MAX_QUEUES)
		return -EINVAL;
	if (!is_power_of_2(vdev->queue_size) ||
	    vdev->queue_size > VHOST_BUS_MAX_QUEUE_SIZE)
		return -EINVAL;
	return 0;
}

/**
 * vhost_register_device() - register a device a transport presents
 * @vdev: a device from vhost_bus_alloc_device(), with @vdev->id,
 *	@vdev->num_queues and @vdev->queue_size set
 *
 * The device is announced with a "vhost:" module alias, so that the module
 * of a matching client loads. The device offers VIRTIO_F_VERSION_1 and the
 * transport's features until a client binds.
 *
 * On error, drop the device with vhost_bus_put_device(), never free it
 * directly, since the device core may hold a reference.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL if a mandatory op or field is missing or invalid, or
 * if @vdev does not come from vhost_bus_alloc_device(), or -errno.
 */
int vhost_register_device(struct vhost_bus_device *vdev)
{
	int err;

	if (vdev->dev.release != vhost_bus_device_release)
		return -EINVAL;
	err = vhost_bus_check_device(vdev);
	if (err)
		return err;

	mutex_lock(&vdev->lock);
	vhost_bus_set_offer(vdev, 0);
	mutex_unlock(&vdev->lock);

	/* device_add() looks for a client. */
	return device_add(&vdev->dev);
}
EXPORT_SYMBOL_GPL(vhost_register_device);

/**
 * vhost_unregister_device() - remove a device a transport presents
 * @vdev: the device
 *
 * A bound client is quiesced and removed first. This drops the reference
 * of vhost_bus_alloc_device(): @vdev, and the transport's state around it,
 * may be freed before this returns unless the transport holds another
 * reference. The core calls no op of @vdev any more, and the transport
 * must not call vhost_bus_frontend_set_status() or
 * vhost_bus_frontend_kick() for it.
 *
 * Context: process context; may sleep.
 */
void vhost_unregister_device(struct vhost_bus_device *vdev)
{
	device_del(&vdev->dev);
	cancel_work_sync(&vdev->needs_reset_work);
	put_device(&vdev->dev);
}
EXPORT_SYMBOL_GPL(vhost_unregister_device);

/**
 * vhost_create_vqs() - create the virtqueues of a device
 * @vdev: the device, bound to the calling client
 * @nvqs: the number of queues, at most @vdev->num_queues
 * @vqs: filled with the queues, indexed as @info
 * @info: the name, kick callback and size of each queue
 *
 * Called by a client, usually from its probe, before the frontend sets
 * FEATURES_OK: the frontend learns the number and sizes of the queues from
 * the transport. The rings are set up only when the frontend sets
 * DRIVER_OK.
 *
 * Context: process context; may sleep; not from the event callback.
 * Return: 0; -EINVAL for a bad @nvqs or @info; -EBUSY if the device has
 * queues or is negotiated (as vhost_set_features()); -ENOMEM; or the
 * transport's error.
 */
int vhost_create_vqs(struct vhost_bus_device *vdev, unsigned int nvqs,
		     struct vhost_bus_vq *vqs[],
		     const struct vhost_bus_vq_info info[])
{
	struct vhost_bus_vq *array;
	unsigned int i;
	int err;

	if (!nvqs)
		return -EINVAL;
	for (i = 0; i < nvqs; i++) {
		unsigned int size = info[i].size;

		if (!info[i].name)
			return -EINVAL;
		if (size && (!is_power_of_2(size) ||
			     size > VHOST_BUS_MAX_QUEUE_SIZE))
			return -EINVAL;
	}

	array = kcalloc(nvqs, sizeof(*array), GFP_KERNEL);
	if (!array)
		return -ENOMEM;

	mutex_lock(&vdev->lock);
	if (nvqs > vdev->num_queues) {
		err = -EINVAL;
		goto err_unlock;
	}
	if (vdev->vqs || vdev->features) {
		err = -EBUSY;
		goto err_unlock;
	}

	for (i = 0; i < nvqs; i++) {
		struct vhost_bus_vq *vq = &array[i];

		vq->vdev = vdev;
		vq->name = info[i].name;
		vq->callback = info[i].callback;
		vq->index = i;
		vq->num_max = vdev->queue_size;
		if (info[i].size)
			vq->num_max = min(info[i].size, vdev->queue_size);
	}

	err = vdev->ops->create_vqs(vdev, nvqs, array);
	if (err)
		goto err_unlock;

	vdev->vqs = array;
	vdev->nvqs = nvqs;
	mutex_unlock(&vdev->lock);

	for (i = 0; i < nvqs; i++)
		vqs[i] = &array[i];
	return 0;

err_unlock:
	mutex_unlock(&vdev->lock);
	kfree(array);
	return err;
}
EXPORT_SYMBOL_GPL(vhost_create_vqs);

/**
 * vhost_del_vqs() - delete the virtqueues of a device
 * @vdev: the device
 *
 * Deleting queues whose rings the frontend uses stops them and sets
 * NEEDS_RESET. The core deletes the queues a client leaves behind when it
 * is removed.
 *
 * Context: process context; may sleep; not from the event callback.
 */
void vhost_del_vqs(struct vhost_bus_device *vdev)
{
	mutex_lock(&vdev->lock);
	__vhost_bus_del_vqs(vdev);
	mutex_unlock(&vdev->lock);
}
EXPORT_SYMBOL_GPL(vhost_del_vqs);

static int vhost_bus_xfer(struct vhost_bus_device *vdev,
			  const struct vhost_bus_xfer *xfer)
{
	unsigned int i;
	int ret;

	if (!vdev->atomic_data_path)
		might_sleep();

	if (!xfer->done || !xfer->nr_segs)
		return -EINVAL;
	for (i = 0; i < xfer->nr_segs; i++) {
		const struct vhost_bus_xfer_seg *seg = &xfer->segs[i];

		if (!seg->len || seg->addr + seg->len - 1 < seg->addr)
			return -EINVAL;
	}

	if (!(READ_ONCE(vdev->status) & VIRTIO_CONFIG_S_DRIVER_OK))
		return -ENOTCONN;

	/*
	 * Counted before the transport sees it: it may complete on another
	 * CPU before @xfer returns.
	 */
	atomic_inc(&vdev->xfers_in_flight);
	ret = vdev->ops->xfer(vdev, xfer);
	if (ret != -EINPROGRESS && atomic_dec_and_test(&vdev->xfers_in_flight))
		wake_up_all(&vdev->xfer_wq);
	return ret;
}

/**
 * vhost_xfer_submit() - start a copy between local and frontend memory
 * @vdev: the device
 * @xfer: the transfer: its direction, its segments (frontend bus
 *	addresses, as descriptors gave them, and local buffers) and its
 *	completion callback
 *
 * The transport copies the way it can: through a window with the CPU, or
 * with a DMA engine. It decides whether it completes the copy before this
 * returns or later, and a client handles both:
 *
 * - 0: every segment was copied; @xfer->done is not called.
 * - -EINPROGRESS: the transport took the transfer. @xfer->done is called
 *   exactly once with the outcome, maybe before this returns (on another
 *   CPU); until then @xfer, its segments and their buffers must stay as
 *   they are.
 * - any other -errno: the copy failed, maybe in part; @xfer->done is not
 *   called.
 *
 * Several transfers may be in flight at once, and they may complete in any
 * order: a client that needs an order waits for the completions. A client
 * waits for its transfers with vhost_xfer_flush() before it forgets their
 * buffers, at the latest when it handles %VHOST_BUS_EVENT_RESET.
 *
 * Context: process context, and may sleep; on a device whose transport
 * sets &vhost_bus_device.atomic_data_path, any context but a hard
 * interrupt, and does not sleep.
 * Return: 0, -EINPROGRESS, -EINVAL for an empty or wrapping segment or a
 * missing callback, -ENOTCONN if the frontend is not driving the device
 * (DRIVER_OK is not set), or the transport's error.
 */
int vhost_xfer_submit(struct vhost_bus_device *vdev,
		      const struct vhost_bus_xfer *xfer)
{
	return vhost_bus_xfer(vdev, xfer);
}
EXPORT_SYMBOL_GPL(vhost_xfer_submit);

/**
 * vhost_xfer_complete() - a transfer taken asynchronously is over
 * @vdev: the device the transfer was submitted on
 * @xfer: the transfer, for which &vhost_bus_config_ops.xfer returned
 *	-EINPROGRESS
 * @err: 0 if every segment was copied, or -errno
 *
 * Called by the transport, once per such transfer. The submitter's
 * callback runs before this returns; @xfer may be gone afterwards.
 *
 * Context: process or softirq context (a DMA engine's callback, a
 * tasklet), with interrupts enabled; not a hard interrupt.
 */
void vhost_xfer_complete(struct vhost_bus_device *vdev,
			 const struct vhost_bus_xfer *xfer, int err)
{
	xfer->done(xfer, err);
	if (atomic_dec_and_test(&vdev->xfers_in_flight))
		wake_up_all(&vdev->xfer_wq);
}
EXPORT_SYMBOL_GPL(vhost_xfer_complete);

/**
 * vhost_xfer_flush() - wait for the transfers in flight
 * @vdev: the device
 *
 * Returns once every transfer that vhost_xfer_submit() left in flight
 * (-EINPROGRESS) has completed and its callback returned. Transfers
 * submitted meanwhile are waited for too: stop submitting first.
 *
 * Context: process context; may sleep.
 */
void vhost_xfer_flush(struct vhost_bus_device *vdev)
{
	might_sleep();
	wait_event(vdev->xfer_wq, !atomic_read(&vdev->xfers_in_flight));
}
EXPORT_SYMBOL_GPL(vhost_xfer_flush);

/* vhost_read() and vhost_write() wait for a transfer taken asynchronously. */
struct vhost_bus_xfer_wait {
	struct completion done;
	int err;
};

static void vhost_bus_xfer_wake(const struct vhost_bus_xfer *xfer, int err)
{
	struct vhost_bus_xfer_wait *wait = xfer->priv;

	wait->err = err;
	complete(&wait->done);
}

static int vhost_bus_xfer_sync(struct vhost_bus_device *vdev,
			       enum vhost_bus_xfer_dir dir, u64 addr,
			       void *buf, size_t len)
{
	struct vhost_bus_xfer_seg seg = { .addr = addr, .buf = buf, .len = len };
	struct vhost_bus_xfer_wait wait;
	struct vhost_bus_xfer xfer = {
		.dir = dir,
		.nr_segs = 1,
		.segs = &seg,
		.done = vhost_bus_xfer_wake,
		.priv = &wait,
	};
	int ret;

	might_sleep();

	if (!len)
		return 0;
	init_completion(&wait.done);
	ret = vhost_bus_xfer(vdev, &xfer);
	if (ret != -EINPROGRESS)
		return ret;
	wait_for_completion(&wait.done);
	return wait.err;
}

/**
 * vhost_read() - copy from frontend memory
 * @vdev: the device
 * @dst: the local buffer
 * @src: the frontend bus address, as a descriptor gave it
 * @len: the number of bytes
 *
 * vhost_xfer_submit() for one segment, waiting for the transfer if the
 * transport completes it asynchronously. The data path of a client in
 * atomic context uses vhost_xfer_submit() instead.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL if the range wraps; -ENOTCONN if the frontend is not
 * driving the device (DRIVER_OK is not set); or the transport's error, in
 * which case @dst holds anything.
 */
int vhost_read(struct vhost_bus_device *vdev, void *dst, u64 src, size_t len)
{
	return vhost_bus_xfer_sync(vdev, VHOST_BUS_XFER_READ, src, dst, len);
}
EXPORT_SYMBOL_GPL(vhost_read);

/**
 * vhost_write() - copy into frontend memory
 * @vdev: the device
 * @dst: the frontend bus address, as a descriptor gave it
 * @src: the local buffer
 * @len: the number of bytes
 *
 * As vhost_read(), the other way.
 *
 * Context: process context; may sleep.
 * Return: as vhost_read().
 */
int vhost_write(struct vhost_bus_device *vdev, u64 dst, const void *src,
		size_t len)
{
	return vhost_bus_xfer_sync(vdev, VHOST_BUS_XFER_WRITE, dst,
				   (void *)src, len);
}
EXPORT_SYMBOL_GPL(vhost_write);

/**
 * vhost_set_features() - set the feature bits the device offers
 * @vdev: the device
 * @features: the bits the client implements
 *
 * Called by a client, usually from its probe. The device offers the bits of
 * @features that management allows, plus VIRTIO_F_VERSION_1 and the
 * transport's features.
 *
 * Context: process context; may sleep; not from the event callback.
 * Return: 0, or -EBUSY once the frontend's FEATURES_OK was accepted: an
 * offer does not change under a negotiated device. A device whose client
 * was removed is not negotiated any more: the frontend has to reset it.
 */
int vhost_set_features(struct vhost_bus_device *vdev, u64 features)
{
	int err = 0;

	mutex_lock(&vdev->lock);
	if (vdev->features)
		err = -EBUSY;
	else
		vhost_bus_set_offer(vdev, features);
	mutex_unlock(&vdev->lock);

	return err;
}
EXPORT_SYMBOL_GPL(vhost_set_features);

/**
 * vhost_get_features() - the negotiated feature bits
 * @vdev: the device
 *
 * Context: any.
 * Return: the bits the frontend accepted, once its FEATURES_OK was
 * accepted; 0 before that and after a reset.
 */
u64 vhost_get_features(const struct vhost_bus_device *vdev)
{
	return READ_ONCE(vdev->features);
}
EXPORT_SYMBOL_GPL(vhost_get_features);

/**
 * vhost_set_status() - set the device's own status bits
 * @vdev: the device
 * @status: VIRTIO_CONFIG_S_NEEDS_RESET, with or without the bits the
 *	frontend set (as vhost_get_status() returns them)
 *
 * The device status is the frontend's but for one bit: all a device may
 * set is VIRTIO_CONFIG_S_NEEDS_RESET (virtio 1.2, "Device Status Field"),
 * when it met an error only a reset cures, such as a broken ring. The
 * frontend then gets a configuration change notification if it set
 * DRIVER_OK. The bits the frontend set may be passed along and are left as
 * they are: a device neither sets nor clears them; a frontend bit that is
 * not set is refused. The rings stay as they are until the frontend resets
 * the device, which clears NEEDS_RESET.
 *
 * Context: process context; may sleep.
 * Return: 0; or -EINVAL if the device is reset (status 0: there is nothing
 * to reset), or if @status has a bit the frontend did not set.
 */
int vhost_set_status(struct vhost_bus_device *vdev, u8 status)
{
	int err = 0;
	u8 old;

	mutex_lock(&vdev->publish_lock);
	old = vdev->status;
	if (!old || (status & ~(old | VIRTIO_CONFIG_S_NEEDS_RESET)))
		err = -EINVAL;
	else if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
		__vhost_bus_needs_reset(vdev);
	mutex_unlock(&vdev->publish_lock);

	return err;
}
EXPORT_SYMBOL_GPL(vhost_set_status);

/**
 * vhost_get_status() - the device status
 * @vdev: the device
 *
 * During an event, the status is still the one before the change, except
 * for VHOST_BUS_EVENT_DRIVER_OK, which comes with DRIVER_OK already set.
 *
 * Context: any.
 * Return: the VIRTIO_CONFIG_S_* bits.
 */
u8 vhost_get_status(const struct vhost_bus_device *vdev)
{
	return READ_ONCE(vdev->status);
}
EXPORT_SYMBOL_GPL(vhost_get_status);

/**
 * vhost_get_config() - read device configuration space
 * @vdev: the device
 * @offset: where to start
 * @buf: where to copy to
 * @len: the number of bytes
 *
 * Context: process context; may sleep.
 * Return: 0; -EOPNOTSUPP if the transport has no configuration space;
 * -EINVAL beyond its end; or the transport's error.
 */
int vhost_get_config(struct vhost_bus_device *vdev, unsigned int offset,
		     void *buf, unsigned int len)
{
	int err;

	if (!vdev->ops->get_config)
		return -EOPNOTSUPP;
	if (len > UINT_MAX - offset)
		return -EINVAL;

	mutex_lock(&vdev->publish_lock);
	err = vdev->ops->get_config(vdev, offset, buf, len);
	mutex_unlock(&vdev->publish_lock);

	return err;
}
EXPORT_SYMBOL_GPL(vhost_get_config);

/**
 * vhost_set_config() - write device configuration space
 * @vdev: the device
 * @offset: where to start
 * @buf: what to write
 * @len: the number of bytes
 *
 * The configuration generation is incremented after the write and shown
 * to the frontend, with a configuration change notification once it set
 * DRIVER_OK (virtio 1.2, "Device Configuration Space"). A client fills the
 * configuration space in its probe, before the frontend can read it.
 *
 * Context: process context; may sleep.
 * Return: as vhost_get_config(). The generation changes only on success.
 */
int vhost_set_config(struct vhost_bus_device *vdev, unsigned int offset,
		     const void *buf, unsigned int len)
{
	int err;

	if (!vdev->ops->set_config)
		return -EOPNOTSUPP;
	if (len > UINT_MAX - offset)
		return -EINVAL;

	mutex_lock(&vdev->publish_lock);
	err = vdev->ops->set_config(vdev, offset, buf, len);
	if (!err) {
		WRITE_ONCE(vdev->config_generation,
			   vdev->config_generation + 1);
		vdev->ops->config_changed(vdev, vdev->config_generation);
	}
	mutex_unlock(&vdev->publish_lock);

	return err;
}
EXPORT_SYMBOL_GPL(vhost_set_config);

static bool vhost_bus_getrange(struct vringh *vrh, u64 addr,
			       struct vringh_range *r)
{
	struct vhost_bus_vq *vq = container_of(vrh, struct vhost_bus_vq, vrh);

	return vq->vdev->ops->getrange(vq, addr, r);
}

/**
 * vhost_bus_vq_getdesc() - get the next available descriptor chain
 * @vq: a ready virtqueue
 * @riov: where to put the readable segments, or NULL
 * @wiov: where to put the writable segments, or NULL
 * @head: the head of the chain, for vringh_complete_mmio()
 * @gfp: for growing @riov or @wiov
 *
 * vringh_getdesc_mmio() with the transport's address check. The segments
 * carry frontend bus addresses: move their contents with vhost_read() and
 * vhost_write(). A broken ring (an error with *@head == the ring size) sets
 * NEEDS_RESET: at once if @gfp allows sleeping, else from a work item.
 *
 * Context: process context, and may sleep if @gfp allows it; with
 * GFP_ATOMIC, on a device whose transport sets
 * &vhost_bus_device.atomic_data_path, also softirq context.
 * Return: 1 with a chain, 0 if there is none, -ENOTCONN if @vq is not
 * ready (*@head is then not set), or vringh_getdesc_mmio()'s error.
 */
int vhost_bus_vq_getdesc(struct vhost_bus_vq *vq, struct vringh_mmiov *riov,
			 struct vringh_mmiov *wiov, u16 *head, gfp_t gfp)
{
	int ret;

	if (!vhost_bus_vq_ready(vq))
		return -ENOTCONN;

	ret = vringh_getdesc_mmio(&vq->vrh, riov, wiov, vhost_bus_getrange,
				  head, gfp);
	if (ret < 0 && *head == vq->vrh.vring.num) {
		dev_warn_ratelimited(&vq->vdev->dev,
				     "queue %s: broken ring, device needs reset\n",
				     vq->name);
		if (gfpflags_allow_blocking(gfp))
			vhost_bus_needs_reset(vq->vdev);
		else
			schedule_work(&vq->vdev->needs_reset_work);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(vhost_bus_vq_getdesc);

/**
 * vhost_bus_vq_notify() - tell the frontend about used buffers
 * @vq: the virtqueue
 *
 * Call it when vringh_need_notify_mmio() says so. Nothing happens for a
 * queue that is not ready.
 *
 * Context: process context, and may sleep; on a device whose transport
 * sets &vhost_bus_device.atomic_data_path, also softirq context.
 */
void vhost_bus_vq_notify(struct vhost_bus_vq *vq)
{
	if (!vq->vdev->atomic_data_path)
		might_sleep();
	if (vhost_bus_vq_ready(vq))
		vq->vdev->ops->notify(vq);
}
EXPORT_SYMBOL_GPL(vhost_bus_vq_notify);

/**
 * vhost_bus_frontend_set_status() - the frontend wrote the device status
 * @vdev: the device
 * @status: what the frontend wrote
 *
 * Called by the transport for each status the frontend writes. The core
 * checks the change, negotiates features at FEATURES_OK, has the rings set
 * up at DRIVER_OK, resets the device at 0, tells the client, and publishes
 * the resulting status through &vhost_bus_config_ops.set_status, which may
 * differ from @status: unchanged after an illegal change, without
 * FEATURES_OK after refused features, with NEEDS_RESET if the rings could
 * not be used. NEEDS_RESET in @status is ignored: that bit is the device's.
 *
 * Context: process context; may sleep.
 * Return: 0 if the device status is now @status; -EINVAL for an illegal
 * change or refused features; -ENODEV if no client is bound; or the error
 * of the client or of the transport.
 */
int vhost_bus_frontend_set_status(struct vhost_bus_device *vdev, u8 status)
{
	u8 old, new, needs_reset;
	int err = 0;

	might_sleep();

	status &= ~VIRTIO_CONFIG_S_NEEDS_RESET;

	mutex_lock(&vdev->lock);
	if (!status) {
		vhost_bus_reset(vdev);
		goto out_unlock;
	}

	old = READ_ONCE(vdev->status) & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	/*
	 * A device that needs a reset goes nowhere but to FAILED: what the
	 * frontend negotiated may be gone with the client.
	 */
	if ((vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
	    ((status & ~old) & ~VIRTIO_CONFIG_S_FAILED)) {
		dev_dbg(&vdev->dev,
			"frontend status 0x%02x refused: device needs reset\n",
			status);
		err = -EINVAL;
		goto out_unlock;
	}
	if (!vhost_bus_status_valid(old, status)) {
		dev_dbg(&vdev->dev,
			"frontend status 0x%02x after 0x%02x refused\n",
			status, old);
		err = -EINVAL;
		goto out_unlock;
	}
	if (status == old)
		goto out_unlock;

	new = status;
	if ((new & ~old) & VIRTIO_CONFIG_S_FEATURES_OK) {
		err = vhost_bus_negotiate(vdev);
		if (err)
			new &= ~(VIRTIO_CONFIG_S_FEATURES_OK |
				 VIRTIO_CONFIG_S_DRIVER_OK);
	}

	if ((new & ~old) & VIRTIO_CONFIG_S_DRIVER_OK) {
		err = vhost_bus_start_vqs(vdev);

		mutex_lock(&vdev->publish_lock);
		needs_reset = vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET;
		vhost_bus_publish_status(vdev, new | needs_reset);
		if (err)
			__vhost_bus_needs_reset(vdev);
		mutex_unlock(&vdev->publish_lock);

		if (!err) {
			/* Kicks are delivered from now on, or one could be lost. */
			vhost_bus_set_ready(vdev, true);
			err = vdev->client->event(vdev,
						  VHOST_BUS_EVENT_DRIVER_OK);
			if (err) {
				vhost_bus_needs_reset(vdev);
				vhost_bus_stop_vqs(vdev, true);
			}
		}
	} else {
		mutex_lock(&vdev->publish_lock);
		needs_reset = vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET;
		vhost_bus_publish_status(vdev, new | needs_reset);
		mutex_unlock(&vdev->publish_lock);
	}

	if (vdev->client && ((new ^ old) & VHOST_BUS_STATUS_STEPS))
		vdev->client->event(vdev, VHOST_BUS_EVENT_STATUS);

out_unlock:
	mutex_unlock(&vdev->lock);
	return err;
}
EXPORT_SYMBOL_GPL(vhost_bus_frontend_set_status);

/**
 * vhost_bus_frontend_kick() - the frontend notified a queue
 * @vq: the virtqueue
 *
 * Called by the transport when the frontend made buffers available on @vq.
 * The client's callback runs if the queue is ready; a kick before
 * DRIVER_OK or after a reset reaches no one.
 *
 * The transport looks @vq up and calls this in one RCU read-side critical
 * section (rcu_read_lock(), or with interrupts or preemption disabled, as
 * in an interrupt handler or under a spinlock): the core waits for such
 * sections after &vhost_bus_config_ops.del_vqs, before it frees the queues.
 *
 * Context: any, in an RCU read-side critical section; the callback runs
 * with interrupts disabled.
 */
void vhost_bus_frontend_kick(struct vhost_bus_vq *vq)
{
	struct vhost_bus_device *vdev = vq->vdev;
	unsigned long flags;

	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "vhost bus kick outside an RCU read-side section");

	spin_lock_irqsave(&vdev->vq_lock, flags);
	if (vq->ready && vq->callback)
		vq->callback(vq);
	spin_unlock_irqrestore(&vdev->vq_lock, flags);
}
EXPORT_SYMBOL_GPL(vhost_bus_frontend_kick);

struct vhost_bus_find {
	const char *name;
	struct vhost_bus_driver *drv;
};

static int vhost_bus_find_driver(struct device_driver *drv, void *data)
{
	struct vhost_bus_find *find = data;

	if (strcmp(drv->name, find->name))
		return 0;

	/*
	 * bus_for_each_drv() keeps the driver registered while we look at
	 * it; its module must stay for as long as we use it after that.
	 */
	if (!try_module_get(drv->owner))
		return -ENODEV;

	find->drv = to_vhost_bus_driver(drv);
	return 1;
}

/**
 * vhost_bus_set_id() - change the id a device presents
 * @vdev: a registered device with no client bound, device_lock() held
 * @id: the new id
 *
 * For management. The modalias changes with the id: userspace is told with
 * a KOBJ_CHANGE uevent, as it was told of the first one with KOBJ_ADD.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EBUSY if a client is bound.
 */
int vhost_bus_set_id(struct vhost_bus_device *vdev,
		     const struct vhost_bus_device_id *id)
{
	device_lock_assert(&vdev->dev);

	if (vdev->dev.driver)
		return -EBUSY;
	if (vdev->id.device == id->device && vdev->id.vendor == id->vendor)
		return 0;

	vdev->id = *id;
	if (device_is_registered(&vdev->dev))
		kobject_uevent(&vdev->dev.kobj, KOBJ_CHANGE);
	return 0;
}
EXPORT_SYMBOL_GPL(vhost_bus_set_id);

/**
 * vhost_bus_bind() - give a device to a named client
 * @vdev: a registered device with no client bound
 * @name: the name of the client
 *
 * For management (configfs). The device binds only to @name from now on
 * (its driver_override), also after the client module is reloaded, until
 * vhost_bus_unbind(). A device without a device id takes the one of the
 * client's first id table entry.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENODEV if no client has that name; -EBUSY if a client is
 * bound; -EINVAL if the client does not implement the device id (or has
 * none to give); or the client's probe error.
 */
int vhost_bus_bind(struct vhost_bus_device *vdev, const char *name)
{
	struct vhost_bus_find find = { .name = name };
	struct vhost_bus_device_id old_id, id;
	int err;

	err = bus_for_each_drv(&vhost_bus_type, NULL, &find,
			       vhost_bus_find_driver);
	if (err < 0)
		return err;
	if (!find.drv)
		return -ENODEV;

	device_lock(&vdev->dev);
	if (vdev->dev.driver || !device_is_registered(&vdev->dev)) {
		err = vdev->dev.driver ? -EBUSY : -ENODEV;
		goto err_unlock;
	}

	old_id = vdev->id;
	id = vdev->id;
	if (!id.device) {
		const struct vhost_bus_device_id *first = &find.drv->id_table[0];

		id.device = first->device;
		if (first->vendor != VHOST_BUS_DEV_ANY_ID)
			id.vendor = first->vendor;
	}
	if (id.device == VHOST_BUS_DEV_ANY_ID) {
		err = -EINVAL;
		goto err_unlock;
	}
	vdev->id = id;
	if (!vhost_bus_id_match(vdev, find.drv->id_table)) {
		vdev->id = old_id;
		err = -EINVAL;
		goto err_unlock;
	}
	vdev->id = old_id;
	err = vhost_bus_set_id(vdev, &id);
	if (err)
		goto err_unlock;
	device_unlock(&vdev->dev);

	/* The driver core's helper takes the device lock itself. */
	err = device_set_driver_override(&vdev->dev, name);
	if (err)
		goto err_restore;

	err = device_driver_attach(&find.drv->driver, &vdev->dev);
	if (err) {
		device_set_driver_override(&vdev->dev, "");
		goto err_restore;
	}
	goto out_put;

err_restore:
	device_lock(&vdev->dev);
	vhost_bus_set_id(vdev, &old_id);
err_unlock:
	device_unlock(&vdev->dev);
out_put:
	module_put(find.drv->driver.owner);
	return err;
}
EXPORT_SYMBOL_GPL(vhost_bus_bind);

/**
 * vhost_bus_unbind() - take a device back from its client
 * @vdev: the device
 *
 * For management. The client is quiesced and removed, and the device may
 * again bind to any client that implements its id.
 *
 * Context: process context; may sleep.
 */
void vhost_bus_unbind(struct vhost_bus_device *vdev)
{
	device_release_driver(&vdev->dev);
	device_set_driver_override(&vdev->dev, "");
}
EXPORT_SYMBOL_GPL(vhost_bus_unbind);

static int __init vhost_bus_init(void)
{
	return bus_register(&vhost_bus_type);
}

static void __exit vhost_bus_exit(void)
{
	bus_unregister(&vhost_bus_type);
	ida_destroy(&vhost_bus_index_ida);
}

core_initcall(vhost_bus_init);
module_exit(vhost_bus_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vhost bus: in-kernel virtio device backends");
