// SPDX-License-Identifier: GPL-2.0-only
/*
 * configfs interface of the vhost bus: what a device offers, and which
 * client implements it.
 *
 *	/sys/kernel/config/vhost/<device>/	mkdir; <device> names a
 *						vhost bus device: vhostbus0
 *		client		the client to bind it to, "" to unbind
 *		device_id	the virtio device id it presents
 *		vendor_id	the vendor id it presents
 *		features	the feature bits it may offer
 *		num_queues	the most virtqueues it offers
 *		queue_size	the most entries per virtqueue
 *
 * Writing "client" is all a working setup needs: the device id defaults to
 * the client's, the rest to what the transport offers. The other attributes
 * change only while no client is bound. Removing the directory unbinds the
 * client it bound and gives the device back its settings; a device going
 * away leaves a directory that only answers -ENODEV.
 *
 * See Documentation/ABI/testing/configfs-vhost.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vhost_bus.h>

#include "vhost_bus_cfs.h"

/**
 * struct vhost_bus_cfs_dev - the directory of one device
 * @item: the configfs item
 * @vdev: the device. The directory holds a reference to it, and to the
 *	module of its transport, where its release function is.
 * @node: in vhost_bus_cfs_devs, protected by vhost_bus_cfs_lock
 * @id: the device's settings when the directory was made, given back
 *	when it is removed; also the most @num_queues and @queue_size may be
 * @num_queues: as @id
 * @queue_size: as @id
 * @features_mask: as @id
 */
struct vhost_bus_cfs_dev {
	struct config_item item;
	struct vhost_bus_device *vdev;
	struct list_head node;
	struct vhost_bus_device_id id;
	unsigned int num_queues;
	unsigned int queue_size;
	u64 features_mask;
};

/*
 * Protects the list of directories, and serialises the accesses to their
 * devices, so that binding and changing settings never interleave. Taken
 * before device_lock().
 */
static DEFINE_MUTEX(vhost_bus_cfs_lock);
static LIST_HEAD(vhost_bus_cfs_devs);

enum vhost_bus_cfs_field {
	VHOST_BUS_CFS_DEVICE_ID,
	VHOST_BUS_CFS_VENDOR_ID,
	VHOST_BUS_CFS_FEATURES,
	VHOST_BUS_CFS_NUM_QUEUES,
	VHOST_BUS_CFS_QUEUE_SIZE,
};

static const char * const vhost_bus_cfs_field_names[] = {
	[VHOST_BUS_CFS_DEVICE_ID] = "device_id",
	[VHOST_BUS_CFS_VENDOR_ID] = "vendor_id",
	[VHOST_BUS_CFS_FEATURES] = "features",
	[VHOST_BUS_CFS_NUM_QUEUES] = "num_queues",
	[VHOST_BUS_CFS_QUEUE_SIZE] = "queue_size",
};

static struct vhost_bus_cfs_dev *to_vhost_bus_cfs_dev(struct config_item *item)
{
	return container_of(item, struct vhost_bus_cfs_dev, item);
}

/**
 * vhost_bus_cfs_parse_id() - parse a device or vendor id
 * @page: the text written
 * @id: the id, set only on success
 *
 * Return: 0, or -EINVAL unless @page is a 32-bit number (decimal, or hex
 * with 0x) other than VHOST_BUS_DEV_ANY_ID.
 */
VISIBLE_IF_KUNIT int vhost_bus_cfs_parse_id(const char *page, u32 *id)
{
	u32 val;

	if (kstrtou32(page, 0, &val) || val == VHOST_BUS_DEV_ANY_ID)
		return -EINVAL;

	*id = val;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_parse_id);

/**
 * vhost_bus_cfs_parse_features() - parse a feature mask
 * @page: the text written
 * @features: the mask, set only on success
 *
 * Return: 0, or -EINVAL unless @page is a 64-bit number.
 */
VISIBLE_IF_KUNIT int vhost_bus_cfs_parse_features(const char *page,
						  u64 *features)
{
	u64 val;

	if (kstrtou64(page, 0, &val))
		return -EINVAL;

	*features = val;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_parse_features);

/**
 * vhost_bus_cfs_parse_num_queues() - parse a number of queues
 * @page: the text written
 * @max: the most the transport offers
 * @num: the number, set only on success
 *
 * Return: 0, or -EINVAL unless @page is a number from 1 to @max.
 */
VISIBLE_IF_KUNIT int vhost_bus_cfs_parse_num_queues(const char *page,
						    unsigned int max,
						    unsigned int *num)
{
	u32 val;

	if (kstrtou32(page, 0, &val) || !val || val > max)
		return -EINVAL;

	*num = val;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_parse_num_queues);

/**
 * vhost_bus_cfs_parse_queue_size() - parse a queue size
 * @page: the text written
 * @max: the most the transport offers
 * @size: the size, set only on success
 *
 * Return: 0, or -EINVAL unless @page is a power of 2 no larger than @max.
 */
VISIBLE_IF_KUNIT int vhost_bus_cfs_parse_queue_size(const char *page,
						    unsigned int max,
						    unsigned int *size)
{
	u32 val;

	if (kstrtou32(page, 0, &val) || !is_power_of_2(val) || val > max)
		return -EINVAL;

	*size = val;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_parse_queue_size);

/**
 * vhost_bus_cfs_parse_client() - parse a client name
 * @page: the text written: a name, or nothing, and an optional newline
 * @name: the name, "" for none; set only on success
 * @size: the size of @name
 *
 * Return: 0, or -EINVAL if the name does not fit in @name, contains a
 * space or a control character, or is followed by more text.
 */
VISIBLE_IF_KUNIT int vhost_bus_cfs_parse_client(const char *page, char *name,
						size_t size)
{
	size_t len = strcspn(page, "\n");
	size_t i;

	if (page[len] && page[len + 1])
		return -EINVAL;
	if (len >= size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isgraph(page[i]))
			return -EINVAL;

	memcpy(name, page, len);
	name[len] = '\0';
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_parse_client);

/*
 * The device of @cdev with device_lock() held, or NULL if it went away.
 * Called with vhost_bus_cfs_lock held.
 */
static struct vhost_bus_device *
vhost_bus_cfs_lock_dev(struct vhost_bus_cfs_dev *cdev)
{
	struct vhost_bus_device *vdev = cdev->vdev;

	lockdep_assert_held(&vhost_bus_cfs_lock);

	device_lock(&vdev->dev);
	if (!device_is_registered(&vdev->dev)) {
		device_unlock(&vdev->dev);
		return NULL;
	}
	return vdev;
}

static ssize_t vhost_bus_cfs_show(struct config_item *item,
				  enum vhost_bus_cfs_field field, char *page)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	struct vhost_bus_device *vdev;
	ssize_t ret = -ENODEV;

	mutex_lock(&vhost_bus_cfs_lock);
	vdev = vhost_bus_cfs_lock_dev(cdev);
	if (!vdev)
		goto out_unlock;

	switch (field) {
	case VHOST_BUS_CFS_DEVICE_ID:
		ret = sysfs_emit(page, "0x%04x\n", vdev->id.device);
		break;
	case VHOST_BUS_CFS_VENDOR_ID:
		ret = sysfs_emit(page, "0x%04x\n", vdev->id.vendor);
		break;
	case VHOST_BUS_CFS_FEATURES:
		ret = sysfs_emit(page, "0x%016llx\n", vdev->features_mask);
		break;
	case VHOST_BUS_CFS_NUM_QUEUES:
		ret = sysfs_emit(page, "%u\n", vdev->num_queues);
		break;
	case VHOST_BUS_CFS_QUEUE_SIZE:
		ret = sysfs_emit(page, "%u\n", vdev->queue_size);
		break;
	}
	device_unlock(&vdev->dev);

out_unlock:
	mutex_unlock(&vhost_bus_cfs_lock);
	return ret;
}

/* Change a setting of a device with no client bound. */
static ssize_t vhost_bus_cfs_store(struct config_item *item,
				   enum vhost_bus_cfs_field field, u64 val,
				   size_t len)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	struct vhost_bus_device *vdev;
	ssize_t ret = len;

	mutex_lock(&vhost_bus_cfs_lock);
	vdev = vhost_bus_cfs_lock_dev(cdev);
	if (!vdev) {
		ret = -ENODEV;
		goto out_unlock;
	}

	if (vdev->dev.driver) {
		pr_err("%s: unbind the client before changing %s\n",
		       config_item_name(item),
		       vhost_bus_cfs_field_names[field]);
		ret = -EBUSY;
		goto out_unlock_dev;
	}

	switch (field) {
	case VHOST_BUS_CFS_DEVICE_ID:
		vdev->id.device = val;
		break;
	case VHOST_BUS_CFS_VENDOR_ID:
		vdev->id.vendor = val;
		break;
	case VHOST_BUS_CFS_FEATURES:
		vdev->features_mask = val;
		break;
	case VHOST_BUS_CFS_NUM_QUEUES:
		vdev->num_queues = val;
		break;
	case VHOST_BUS_CFS_QUEUE_SIZE:
		vdev->queue_size = val;
		break;
	}

out_unlock_dev:
	device_unlock(&vdev->dev);
out_unlock:
	mutex_unlock(&vhost_bus_cfs_lock);
	return ret;
}

static ssize_t vhost_bus_cfs_client_show(struct config_item *item, char *page)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	struct vhost_bus_device *vdev;
	ssize_t ret = -ENODEV;

	mutex_lock(&vhost_bus_cfs_lock);
	vdev = vhost_bus_cfs_lock_dev(cdev);
	if (vdev) {
		if (vdev->dev.driver)
			ret = sysfs_emit(page, "%s\n", vdev->dev.driver->name);
		else
			ret = sysfs_emit(page, "\n");
		device_unlock(&vdev->dev);
	}
	mutex_unlock(&vhost_bus_cfs_lock);

	return ret;
}

static ssize_t vhost_bus_cfs_client_store(struct config_item *item,
					  const char *page, size_t len)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	char name[VHOST_BUS_CFS_CLIENT_MAX];
	int err;

	err = vhost_bus_cfs_parse_client(page, name, sizeof(name));
	if (err) {
		pr_err("%s: client: expected the name of a client, or nothing\n",
		       config_item_name(item));
		return err;
	}

	mutex_lock(&vhost_bus_cfs_lock);
	if (!vhost_bus_cfs_lock_dev(cdev)) {
		err = -ENODEV;
	} else {
		/* The driver core takes the device lock itself. */
		device_unlock(&cdev->vdev->dev);
		if (name[0])
			err = vhost_bus_bind(cdev->vdev, name);
		else
			vhost_bus_unbind(cdev->vdev);
	}
	mutex_unlock(&vhost_bus_cfs_lock);

	return err ?: len;
}

static ssize_t vhost_bus_cfs_device_id_show(struct config_item *item,
					    char *page)
{
	return vhost_bus_cfs_show(item, VHOST_BUS_CFS_DEVICE_ID, page);
}

static ssize_t vhost_bus_cfs_device_id_store(struct config_item *item,
					     const char *page, size_t len)
{
	u32 id;

	if (vhost_bus_cfs_parse_id(page, &id)) {
		pr_err("%s: device_id: expected a 32-bit number, not 0xffffffff\n",
		       config_item_name(item));
		return -EINVAL;
	}
	return vhost_bus_cfs_store(item, VHOST_BUS_CFS_DEVICE_ID, id, len);
}

static ssize_t vhost_bus_cfs_vendor_id_show(struct config_item *item,
					    char *page)
{
	return vhost_bus_cfs_show(item, VHOST_BUS_CFS_VENDOR_ID, page);
}

static ssize_t vhost_bus_cfs_vendor_id_store(struct config_item *item,
					     const char *page, size_t len)
{
	u32 id;

	if (vhost_bus_cfs_parse_id(page, &id)) {
		pr_err("%s: vendor_id: expected a 32-bit number, not 0xffffffff\n",
		       config_item_name(item));
		return -EINVAL;
	}
	return vhost_bus_cfs_store(item, VHOST_BUS_CFS_VENDOR_ID, id, len);
}

static ssize_t vhost_bus_cfs_features_show(struct config_item *item,
					   char *page)
{
	return vhost_bus_cfs_show(item, VHOST_BUS_CFS_FEATURES, page);
}

static ssize_t vhost_bus_cfs_features_store(struct config_item *item,
					    const char *page, size_t len)
{
	u64 features;

	if (vhost_bus_cfs_parse_features(page, &features)) {
		pr_err("%s: features: expected a 64-bit mask\n",
		       config_item_name(item));
		return -EINVAL;
	}
	return vhost_bus_cfs_store(item, VHOST_BUS_CFS_FEATURES, features, len);
}

static ssize_t vhost_bus_cfs_num_queues_show(struct config_item *item,
					     char *page)
{
	return vhost_bus_cfs_show(item, VHOST_BUS_CFS_NUM_QUEUES, page);
}

static ssize_t vhost_bus_cfs_num_queues_store(struct config_item *item,
					      const char *page, size_t len)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	unsigned int num;

	if (vhost_bus_cfs_parse_num_queues(page, cdev->num_queues, &num)) {
		pr_err("%s: num_queues: expected a number from 1 to %u\n",
		       config_item_name(item), cdev->num_queues);
		return -EINVAL;
	}
	return vhost_bus_cfs_store(item, VHOST_BUS_CFS_NUM_QUEUES, num, len);
}

static ssize_t vhost_bus_cfs_queue_size_show(struct config_item *item,
					     char *page)
{
	return vhost_bus_cfs_show(item, VHOST_BUS_CFS_QUEUE_SIZE, page);
}

static ssize_t vhost_bus_cfs_queue_size_store(struct config_item *item,
					      const char *page, size_t len)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	unsigned int size;

	if (vhost_bus_cfs_parse_queue_size(page, cdev->queue_size, &size)) {
		pr_err("%s: queue_size: expected a power of 2 up to %u\n",
		       config_item_name(item), cdev->queue_size);
		return -EINVAL;
	}
	return vhost_bus_cfs_store(item, VHOST_BUS_CFS_QUEUE_SIZE, size, len);
}

CONFIGFS_ATTR(vhost_bus_cfs_, client);
CONFIGFS_ATTR(vhost_bus_cfs_, device_id);
CONFIGFS_ATTR(vhost_bus_cfs_, vendor_id);
CONFIGFS_ATTR(vhost_bus_cfs_, features);
CONFIGFS_ATTR(vhost_bus_cfs_, num_queues);
CONFIGFS_ATTR(vhost_bus_cfs_, queue_size);

static struct configfs_attribute *vhost_bus_cfs_dev_attrs[] = {
	&vhost_bus_cfs_attr_client,
	&vhost_bus_cfs_attr_device_id,
	&vhost_bus_cfs_attr_vendor_id,
	&vhost_bus_cfs_attr_features,
	&vhost_bus_cfs_attr_num_queues,
	&vhost_bus_cfs_attr_queue_size,
	NULL,
};

static void vhost_bus_cfs_dev_release(struct config_item *item)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	struct module *owner = cdev->vdev->owner;

	put_device(&cdev->vdev->dev);
	module_put(owner);
	kfree(cdev);
}

static struct configfs_item_operations vhost_bus_cfs_dev_item_ops = {
	.release = vhost_bus_cfs_dev_release,
};

static const struct config_item_type vhost_bus_cfs_dev_type = {
	.ct_item_ops = &vhost_bus_cfs_dev_item_ops,
	.ct_attrs = vhost_bus_cfs_dev_attrs,
	.ct_owner = THIS_MODULE,
};

/**
 * vhost_bus_cfs_make_dev() - make the directory of a device
 * @group: the root group
 * @name: the name of the device
 *
 * The directory keeps a reference to the device, and pins the module of
 * its transport, until it is removed.
 *
 * Return: the new item, or ERR_PTR(-ENODEV) if there is no such device
 * (or its transport is going away), ERR_PTR(-EEXIST) if it has a
 * directory, or ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct config_item *
vhost_bus_cfs_make_dev(struct config_group *group, const char *name)
{
	struct vhost_bus_cfs_dev *cdev, *other;
	struct vhost_bus_device *vdev;
	struct device *dev;
	int err = 0;

	cdev = kzalloc(sizeof(*cdev), GFP_KERNEL);
	if (!cdev)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&vhost_bus_cfs_lock);
	dev = bus_find_device_by_name(&vhost_bus_type, NULL, name);
	if (!dev) {
		err = -ENODEV;
		goto err_unlock;
	}
	vdev = to_vhost_bus_device(dev);

	list_for_each_entry(other, &vhost_bus_cfs_devs, node) {
		if (other->vdev == vdev) {
			err = -EEXIST;
			goto err_put;
		}
	}

	if (!try_module_get(vdev->owner)) {
		err = -ENODEV;
		goto err_put;
	}

	device_lock(dev);
	cdev->id = vdev->id;
	cdev->num_queues = vdev->num_queues;
	cdev->queue_size = vdev->queue_size;
	cdev->features_mask = vdev->features_mask;
	device_unlock(dev);

	cdev->vdev = vdev;
	list_add(&cdev->node, &vhost_bus_cfs_devs);
	mutex_unlock(&vhost_bus_cfs_lock);

	config_item_init_type_name(&cdev->item, name, &vhost_bus_cfs_dev_type);
	return &cdev->item;

err_put:
	put_device(dev);
err_unlock:
	mutex_unlock(&vhost_bus_cfs_lock);
	kfree(cdev);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_make_dev);

/**
 * vhost_bus_cfs_drop_dev() - remove the directory of a device
 * @group: the root group
 * @item: the directory
 *
 * A client this directory bound is unbound, and a device with no client
 * gets back the settings it had when the directory was made.
 */
VISIBLE_IF_KUNIT void vhost_bus_cfs_drop_dev(struct config_group *group,
					     struct config_item *item)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);
	struct vhost_bus_device *vdev;
	bool ours;

	mutex_lock(&vhost_bus_cfs_lock);
	vdev = vhost_bus_cfs_lock_dev(cdev);
	if (vdev) {
		/* Only management sets an override: this directory did. */
		ours = !!vdev->driver_override;
		device_unlock(&vdev->dev);
		if (ours)
			vhost_bus_unbind(vdev);

		vdev = vhost_bus_cfs_lock_dev(cdev);
	}
	if (vdev) {
		if (!vdev->dev.driver) {
			vdev->id = cdev->id;
			vdev->num_queues = cdev->num_queues;
			vdev->queue_size = cdev->queue_size;
			vdev->features_mask = cdev->features_mask;
		}
		device_unlock(&vdev->dev);
	}
	list_del(&cdev->node);
	mutex_unlock(&vhost_bus_cfs_lock);

	config_item_put(item);
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_drop_dev);

static struct configfs_group_operations vhost_bus_cfs_root_group_ops = {
	.make_item = vhost_bus_cfs_make_dev,
	.drop_item = vhost_bus_cfs_drop_dev,
};

static const struct config_item_type vhost_bus_cfs_root_type = {
	.ct_group_ops = &vhost_bus_cfs_root_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem vhost_bus_cfs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "vhost",
			.ci_type = &vhost_bus_cfs_root_type,
		},
	},
};

static int __init vhost_bus_cfs_init(void)
{
	config_group_init(&vhost_bus_cfs_subsys.su_group);
	mutex_init(&vhost_bus_cfs_subsys.su_mutex);

	return configfs_register_subsystem(&vhost_bus_cfs_subsys);
}

static void __exit vhost_bus_cfs_exit(void)
{
	configfs_unregister_subsystem(&vhost_bus_cfs_subsys);
}

module_init(vhost_bus_cfs_init);
module_exit(vhost_bus_cfs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("configfs interface of the vhost bus");
