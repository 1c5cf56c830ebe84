// SPDX-License-Identifier: GPL-2.0-only
/*
 * configfs interface of the vhost bus: what a device offers, and which
 * client implements it.
 *
 *	/sys/kernel/config/vhost/<parent>/	mkdir; <parent> names the
 *						transport device that
 *						presents a vhost bus device
 *		client		the client to bind it to, "" to unbind
 *		device_id	the virtio device id it presents
 *		vendor_id	the vendor id it presents
 *		features	the feature bits it may offer
 *		num_queues	the most virtqueues it offers
 *		queue_size	the most entries per virtqueue
 *		<client>/	mkdir, while <client> is bound: the
 *				client's own settings of the device
 *
 * Writing "client" is all a working setup needs: the device id defaults to
 * the client's, the rest to what the transport offers. The other attributes
 * change only while no client is bound. Removing the directory unbinds the
 * client it bound and gives the device back its settings; a device going
 * away leaves a directory that only answers -ENODEV.
 *
 * Directories are named after the parent device (an NTB device, an
 * endpoint function), which is what the administrator configures, rather
 * than after the vhost<N> name, which the kernel picks anew each time a
 * transport registers the device: the same directory name then means the
 * same hardware across transport reloads.
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
 * @group: the configfs group
 * @vdev: the device. The directory holds a reference to it; the device's
 *	memory stays, its transport may go.
 * @node: in vhost_bus_cfs_devs, protected by vhost_bus_cfs_lock
 * @id: the device's settings when the directory was made, given back
 *	when it is removed; also the most @num_queues and @queue_size may be
 * @num_queues: as @id
 * @queue_size: as @id
 * @features_mask: as @id
 */
struct vhost_bus_cfs_dev {
	struct config_group group;
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

/**
 * struct vhost_bus_cfs_client - the directory of a client's settings
 * @group: the configfs group, named after the client
 * @cdev: the directory of the device, its parent
 * @type: the group's type, with @attr_ptrs
 * @attrs: the client's attributes, by index in its
 *	&vhost_bus_driver.cfs_attrs, with copies of their names
 * @attr_ptrs: @attrs, for configfs, ending with NULL
 */
struct vhost_bus_cfs_client {
	struct config_group group;
	struct vhost_bus_cfs_dev *cdev;
	struct config_item_type type;
	struct configfs_attribute attrs[VHOST_BUS_CLIENT_MAX_ATTRS];
	struct configfs_attribute *attr_ptrs[VHOST_BUS_CLIENT_MAX_ATTRS + 1];
};

static struct vhost_bus_cfs_dev *to_vhost_bus_cfs_dev(struct config_item *item)
{
	return container_of(to_config_group(item), struct vhost_bus_cfs_dev,
			    group);
}

static struct vhost_bus_cfs_client *
to_vhost_bus_cfs_client(struct config_item *item)
{
	return container_of(to_config_group(item), struct vhost_bus_cfs_client,
			    group);
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
	struct vhost_bus_device_id id;
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
		id = (struct vhost_bus_device_id){ val, vdev->id.vendor };
		vhost_bus_set_id(vdev, &id);
		break;
	case VHOST_BUS_CFS_VENDOR_ID:
		id = (struct vhost_bus_device_id){ vdev->id.device, val };
		vhost_bus_set_id(vdev, &id);
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

/*
 * The client of @cl's device, with device_lock() held, and the index of
 * attribute @n in its table; NULL if that client is not bound any more, or
 * its table changed with a reload.
 */
static const struct vhost_bus_client_attr *
vhost_bus_cfs_client_lock(struct vhost_bus_cfs_client *cl, unsigned int n)
{
	struct vhost_bus_device *vdev = cl->cdev->vdev;
	const struct vhost_bus_client_attr *attr;
	struct vhost_bus_driver *drv;
	unsigned int i;

	device_lock(&vdev->dev);
	if (!device_is_registered(&vdev->dev) || !vdev->dev.driver)
		goto err_unlock;
	drv = to_vhost_bus_driver(vdev->dev.driver);
	if (strcmp(drv->driver.name, config_item_name(&cl->group.cg_item)))
		goto err_unlock;
	for (i = 0, attr = drv->cfs_attrs; attr && attr->name; i++, attr++)
		if (i == n && !strcmp(attr->name, cl->attrs[n].ca_name))
			return attr;

err_unlock:
	device_unlock(&vdev->dev);
	return NULL;
}

static ssize_t vhost_bus_cfs_setting_show(struct config_item *item,
					  unsigned int n, char *page)
{
	struct vhost_bus_cfs_client *cl = to_vhost_bus_cfs_client(item);
	const struct vhost_bus_client_attr *attr;
	ssize_t ret = -EOPNOTSUPP;

	attr = vhost_bus_cfs_client_lock(cl, n);
	if (!attr)
		return -ENODEV;
	if (attr->show)
		ret = attr->show(cl->cdev->vdev, page);
	device_unlock(&cl->cdev->vdev->dev);
	return ret;
}

static ssize_t vhost_bus_cfs_setting_store(struct config_item *item,
					   unsigned int n, const char *page,
					   size_t len)
{
	struct vhost_bus_cfs_client *cl = to_vhost_bus_cfs_client(item);
	const struct vhost_bus_client_attr *attr;
	ssize_t ret = -EOPNOTSUPP;

	attr = vhost_bus_cfs_client_lock(cl, n);
	if (!attr)
		return -ENODEV;
	if (attr->store)
		ret = attr->store(cl->cdev->vdev, page, len);
	device_unlock(&cl->cdev->vdev->dev);
	return ret;
}

/*
 * configfs tells show() and store() the item, not the attribute: one pair
 * of functions per slot of a client's table says which it is.
 */
#define VHOST_BUS_CFS_SETTING_SHOW(n)					\
static ssize_t vhost_bus_cfs_setting_show_##n(struct config_item *item,	\
					      char *page)		\
{									\
	return vhost_bus_cfs_setting_show(item, n, page);		\
}

#define VHOST_BUS_CFS_SETTING_STORE(n)					\
static ssize_t vhost_bus_cfs_setting_store_##n(struct config_item *item, \
					       const char *page,	\
					       size_t len)		\
{									\
	return vhost_bus_cfs_setting_store(item, n, page, len);	\
}

VHOST_BUS_CFS_SETTING_SHOW(0)
VHOST_BUS_CFS_SETTING_STORE(0)
VHOST_BUS_CFS_SETTING_SHOW(1)
VHOST_BUS_CFS_SETTING_STORE(1)
VHOST_BUS_CFS_SETTING_SHOW(2)
VHOST_BUS_CFS_SETTING_STORE(2)
VHOST_BUS_CFS_SETTING_SHOW(3)
VHOST_BUS_CFS_SETTING_STORE(3)
VHOST_BUS_CFS_SETTING_SHOW(4)
VHOST_BUS_CFS_SETTING_STORE(4)
VHOST_BUS_CFS_SETTING_SHOW(5)
VHOST_BUS_CFS_SETTING_STORE(5)
VHOST_BUS_CFS_SETTING_SHOW(6)
VHOST_BUS_CFS_SETTING_STORE(6)
VHOST_BUS_CFS_SETTING_SHOW(7)
VHOST_BUS_CFS_SETTING_STORE(7)

#define VHOST_BUS_CFS_SETTING_OPS(n)					\
	{ vhost_bus_cfs_setting_show_##n, vhost_bus_cfs_setting_store_##n }

static const struct {
	ssize_t (*show)(struct config_item *item, char *page);
	ssize_t (*store)(struct config_item *item, const char *page,
			 size_t len);
} vhost_bus_cfs_setting_ops[VHOST_BUS_CLIENT_MAX_ATTRS] = {
	VHOST_BUS_CFS_SETTING_OPS(0), VHOST_BUS_CFS_SETTING_OPS(1),
	VHOST_BUS_CFS_SETTING_OPS(2), VHOST_BUS_CFS_SETTING_OPS(3),
	VHOST_BUS_CFS_SETTING_OPS(4), VHOST_BUS_CFS_SETTING_OPS(5),
	VHOST_BUS_CFS_SETTING_OPS(6), VHOST_BUS_CFS_SETTING_OPS(7),
};

static void vhost_bus_cfs_client_release(struct config_item *item)
{
	struct vhost_bus_cfs_client *cl = to_vhost_bus_cfs_client(item);
	unsigned int i;

	for (i = 0; cl->attr_ptrs[i]; i++)
		kfree(cl->attrs[i].ca_name);
	kfree(cl);
}

static struct configfs_item_operations vhost_bus_cfs_client_item_ops = {
	.release = vhost_bus_cfs_client_release,
};

/**
 * vhost_bus_cfs_make_client() - make the directory of a client's settings
 * @group: the directory of the device
 * @name: the name of the client bound to the device
 *
 * The attributes are the client's &vhost_bus_driver.cfs_attrs. They reach
 * the client only while it is bound to the device, and answer -ENODEV
 * otherwise; the directory does not keep the client's module loaded.
 *
 * Return: the new group, or ERR_PTR(-ENODEV) if the device went away,
 * ERR_PTR(-ENOENT) if @name is not the client bound to it,
 * ERR_PTR(-EOPNOTSUPP) if that client has no settings, or ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct config_group *
vhost_bus_cfs_make_client(struct config_group *group, const char *name)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(&group->cg_item);
	const struct vhost_bus_client_attr *attr;
	struct vhost_bus_cfs_client *cl;
	struct vhost_bus_driver *drv;
	struct vhost_bus_device *vdev;
	unsigned int i;
	int err;

	cl = kzalloc(sizeof(*cl), GFP_KERNEL);
	if (!cl)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&vhost_bus_cfs_lock);
	vdev = vhost_bus_cfs_lock_dev(cdev);
	if (!vdev) {
		err = -ENODEV;
		goto err_unlock;
	}
	drv = vdev->dev.driver ? to_vhost_bus_driver(vdev->dev.driver) : NULL;
	if (!drv || strcmp(drv->driver.name, name)) {
		pr_err("%s: %s is not the client bound to the device\n",
		       config_item_name(&group->cg_item), name);
		err = -ENOENT;
		goto err_unlock_dev;
	}
	if (!drv->cfs_attrs || !drv->cfs_attrs[0].name) {
		err = -EOPNOTSUPP;
		goto err_unlock_dev;
	}

	for (i = 0, attr = drv->cfs_attrs; attr->name; i++, attr++) {
		struct configfs_attribute *ca = &cl->attrs[i];

		ca->ca_name = kstrdup(attr->name, GFP_KERNEL);
		if (!ca->ca_name) {
			err = -ENOMEM;
			goto err_unlock_dev;
		}
		ca->ca_owner = THIS_MODULE;
		if (attr->show) {
			ca->ca_mode |= 0444;
			ca->show = vhost_bus_cfs_setting_ops[i].show;
		}
		if (attr->store) {
			ca->ca_mode |= 0200;
			ca->store = vhost_bus_cfs_setting_ops[i].store;
		}
		cl->attr_ptrs[i] = ca;
	}
	device_unlock(&vdev->dev);
	mutex_unlock(&vhost_bus_cfs_lock);

	cl->cdev = cdev;
	cl->type.ct_item_ops = &vhost_bus_cfs_client_item_ops;
	cl->type.ct_attrs = cl->attr_ptrs;
	cl->type.ct_owner = THIS_MODULE;
	config_group_init_type_name(&cl->group, name, &cl->type);
	return &cl->group;

err_unlock_dev:
	device_unlock(&vdev->dev);
err_unlock:
	mutex_unlock(&vhost_bus_cfs_lock);
	for (i = 0; i < VHOST_BUS_CLIENT_MAX_ATTRS; i++)
		kfree(cl->attrs[i].ca_name);
	kfree(cl);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(vhost_bus_cfs_make_client);

static void vhost_bus_cfs_dev_release(struct config_item *item)
{
	struct vhost_bus_cfs_dev *cdev = to_vhost_bus_cfs_dev(item);

	vhost_bus_put_device(cdev->vdev);
	kfree(cdev);
}

static struct configfs_item_operations vhost_bus_cfs_dev_item_ops = {
	.release = vhost_bus_cfs_dev_release,
};

static struct configfs_group_operations vhost_bus_cfs_dev_group_ops = {
	.make_group = vhost_bus_cfs_make_client,
};

static const struct config_item_type vhost_bus_cfs_dev_type = {
	.ct_item_ops = &vhost_bus_cfs_dev_item_ops,
	.ct_group_ops = &vhost_bus_cfs_dev_group_ops,
	.ct_attrs = vhost_bus_cfs_dev_attrs,
	.ct_owner = THIS_MODULE,
};

static int vhost_bus_cfs_match_parent(struct device *dev, const void *name)
{
	return dev->parent && !strcmp(dev_name(dev->parent), name);
}

/**
 * vhost_bus_cfs_make_dev() - make the directory of a device
 * @group: the root group
 * @name: the name of the device's parent, the transport's device
 *
 * The directory keeps a reference to the device until it is removed.
 *
 * Return: the new group, or ERR_PTR(-ENODEV) if no device has that parent,
 * ERR_PTR(-EINVAL) if several have, ERR_PTR(-EEXIST) if it has a
 * directory, or ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct config_group *
vhost_bus_cfs_make_dev(struct config_group *group, const char *name)
{
	struct vhost_bus_cfs_dev *cdev, *other;
	struct device *dev, *other_dev;
	struct vhost_bus_device *vdev;
	int err = 0;

	cdev = kzalloc(sizeof(*cdev), GFP_KERNEL);
	if (!cdev)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&vhost_bus_cfs_lock);
	dev = bus_find_device(&vhost_bus_type, NULL, name,
			      vhost_bus_cfs_match_parent);
	if (!dev) {
		err = -ENODEV;
		goto err_unlock;
	}
	vdev = to_vhost_bus_device(dev);

	other_dev = bus_find_device(&vhost_bus_type, dev, name,
				    vhost_bus_cfs_match_parent);
	if (other_dev) {
		pr_err("%s: presents several devices\n", name);
		put_device(other_dev);
		err = -EINVAL;
		goto err_put;
	}

	list_for_each_entry(other, &vhost_bus_cfs_devs, node) {
		if (other->vdev == vdev) {
			err = -EEXIST;
			goto err_put;
		}
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

	config_group_init_type_name(&cdev->group, name,
				    &vhost_bus_cfs_dev_type);
	return &cdev->group;

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
		/* An override is management's: this directory's, or sysfs'. */
		ours = device_has_driver_override(&vdev->dev);
		device_unlock(&vdev->dev);
		if (ours)
			vhost_bus_unbind(vdev);

		vdev = vhost_bus_cfs_lock_dev(cdev);
	}
	if (vdev) {
		if (!vdev->dev.driver) {
			vhost_bus_set_id(vdev, &cdev->id);
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
	.make_group = vhost_bus_cfs_make_dev,
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
