/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the vhost bus configfs interface that its KUnit test calls.
 */
#ifndef _DRIVERS_VHOST_VHOST_BUS_CFS_H
#define _DRIVERS_VHOST_VHOST_BUS_CFS_H

#include <kunit/visibility.h>
#include <linux/types.h>

struct config_group;
struct config_item;

/* The size of a client name, with its NUL. */
#define VHOST_BUS_CFS_CLIENT_MAX	64

#if IS_ENABLED(CONFIG_KUNIT)
int vhost_bus_cfs_parse_id(const char *page, u32 *id);
int vhost_bus_cfs_parse_features(const char *page, u64 *features);
int vhost_bus_cfs_parse_num_queues(const char *page, unsigned int max,
				   unsigned int *num);
int vhost_bus_cfs_parse_queue_size(const char *page, unsigned int max,
				   unsigned int *size);
int vhost_bus_cfs_parse_client(const char *page, char *name, size_t size);
struct config_group *vhost_bus_cfs_make_dev(struct config_group *group,
					    const char *name);
struct config_group *vhost_bus_cfs_make_client(struct config_group *group,
					       const char *name);
void vhost_bus_cfs_drop_dev(struct config_group *group,
			    struct config_item *item);
#endif

#endif /* _DRIVERS_VHOST_VHOST_BUS_CFS_H */
