// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software PCI endpoint controller with a virtual host bridge.
 *
 * Each controller is an endpoint controller (EPC), driven through the
 * endpoint framework and its configfs interface like a hardware one, whose
 * functions appear as PCI devices on a virtual host bridge of the same
 * kernel. An endpoint function driver and the RC driver for it, such as
 * pci-epf-test and pci_endpoint_test, then run side by side.
 *
 * BAR memory comes from a physical region set aside at boot (memmap= on
 * x86, a no-map reserved-memory node with device tree) and given with
 * pci_epc_sim.mem=SIZE@BASE, so that RC drivers ioremap it as they would a
 * device's BAR. Each controller follows a profile, one per entry of
 * pci_epc_sim.profiles=, which sets the features it advertises and the
 * constraints of its outbound window. See
 * Documentation/PCI/endpoint/pci-epc-sim.rst.
 */

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pci-epc-sim.h"

static char *mem;
module_param(mem, charp, 0444);
MODULE_PARM_DESC(mem, "Reserved region for BAR memory, SIZE@BASE (e.g. 64M@0x74000000); no controller is created without it");

static char *profiles = "permissive";
module_param(profiles, charp, 0444);
MODULE_PARM_DESC(profiles, "Profiles of the controllers, one controller each, comma-separated: permissive, j7200 (default permissive)");

static const struct epc_sim_profile epc_sim_profiles[] = {
	{
		/* Everything an endpoint function may ask for */
		.name = "permissive",
		.features = {
			.linkup_notifier = true,
			.msi_capable = true,
			.msix_capable = true,
		},
		.max_functions = EPC_SIM_MAX_FUNCS,
		.ob_size = SZ_1G,
		.ob_regions = 256,
		.bar_min_size = 16,
	},
	{
		/*
		 * The Cadence endpoint of the TI J7200, as Linux 6.12 drives
		 * it: features from pcie-cadence-ep.c (no link-up notifier,
		 * BAR alignment 256, 128-byte minimum aperture, 64-bit BARs
		 * on even BARs only), the outbound window and function count
		 * from the K3 endpoint device trees ("mem" is 128 MiB,
		 * max-functions is 6), 32 outbound regions of which region 0
		 * and 128 KiB of the window are kept for interrupts, regions
		 * that pass the low address bits through, and masked MSI-X
		 * vectors sent anyway.
		 */
		.name = "j7200",
		.features = {
			.linkup_notifier = false,
			.msi_capable = true,
			.msix_capable = true,
			.align = 256,
		},
		.max_functions = 6,
		.ob_size = SZ_128M,
		.ob_reserved = SZ_128K,
		.ob_regions = 31,
		.ob_min_bits = 8,
		.bar_min_size = 128,
		.bar64_even_only = true,
		/*
		 * cdns_pcie_ep_send_msix_irq() reads the message from the
		 * table and writes it, whatever the Vector Control word and
		 * the Function Mask say.
		 */
		.msix_ignore_mask = true,
	},
};

struct epc_sim_pdata {
	const struct epc_sim_profile *profile;
	phys_addr_t pool_phys;
	size_t pool_size;
};

/* The controllers, which the DMA engine looks addresses up in */
DEFINE_MUTEX(epc_sim_list_lock);
LIST_HEAD(epc_sim_list);

static struct platform_device *epc_sim_dma_pdev;

static void epc_sim_link_work(struct work_struct *work)
{
	struct epc_sim *sim = container_of(work, struct epc_sim, link_work);
	bool notify = sim->profile->features.linkup_notifier;

	if (READ_ONCE(sim->link_want)) {
		if (!sim->link_notified) {
			sim->link_notified = true;
			if (notify)
				pci_epc_linkup(sim->epc);
		}
		epc_sim_host_scan(sim);
	} else if (sim->link_notified) {
		sim->link_notified = false;
		if (notify)
			pci_epc_linkdown(sim->epc);
	}
}

static void epc_sim_bme_work(struct work_struct *work)
{
	struct epc_sim *sim = container_of(work, struct epc_sim, bme_work);

	pci_epc_bus_master_enable_notify(sim->epc);
}

static int epc_sim_probe(struct platform_device *pdev)
{
	const struct epc_sim_pdata *pdata = dev_get_platdata(&pdev->dev);
	struct device *dev = &pdev->dev;
	const struct epc_sim_profile *p;
	struct epc_sim *sim;
	void __iomem *reserved = NULL;
	phys_addr_t reserved_phys;
	int ret;

	if (!pdata)
		return -EINVAL;
	p = pdata->profile;

	sim = devm_kzalloc(dev, sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->ob = devm_kcalloc(dev, p->ob_regions, sizeof(*sim->ob), GFP_KERNEL);
	if (!sim->ob)
		return -ENOMEM;

	sim->dev = dev;
	sim->profile = p;
	sim->pool_phys = pdata->pool_phys;
	sim->pool_size = pdata->pool_size;
	mutex_init(&sim->ob_lock);
	raw_spin_lock_init(&sim->cfg_lock);
	INIT_WORK(&sim->link_work, epc_sim_link_work);
	INIT_WORK(&sim->bme_work, epc_sim_bme_work);

	/*
	 * pci_epf_alloc_space() allocates BAR memory with dma_alloc_coherent()
	 * on this device: the pool makes that memory the reserved region,
	 * at DMA addresses equal to the CPU ones. The pool cannot be given
	 * back, so it stays with the device if probe fails.
	 */
	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	ret = dma_declare_coherent_memory(dev, sim->pool_phys, sim->pool_phys,
					  sim->pool_size);
	if (ret)
		return dev_err_probe(dev, ret, "cannot use %pa+%#zx as a DMA pool\n",
				     &sim->pool_phys, sim->pool_size);

	/* The outbound window: physical addresses that nothing else uses */
	sim->ob_res.name = dev_name(dev);
	sim->ob_res.flags = IORESOURCE_MEM;
	ret = allocate_resource(&iomem_resource, &sim->ob_res, p->ob_size,
				SZ_4G, iomem_resource.end, p->ob_size,
				NULL, NULL);
	if (ret)
		return dev_err_probe(dev, ret, "no room for a %#zx outbound window\n",
				     p->ob_size);

	sim->epc = devm_pci_epc_create(dev, &epc_sim_ops);
	if (IS_ERR(sim->epc)) {
		ret = PTR_ERR(sim->epc);
		goto err_ob_res;
	}
	sim->epc->max_functions = p->max_functions;
	epc_set_drvdata(sim->epc, sim);

	ret = pci_epc_mem_init(sim->epc, sim->ob_res.start, p->ob_size,
			       PAGE_SIZE);
	if (ret)
		goto err_ob_res;

	if (p->ob_reserved) {
		reserved = pci_epc_mem_alloc_addr(sim->epc, &reserved_phys,
						  p->ob_reserved);
		if (!reserved) {
			ret = -ENOMEM;
			goto err_mem;
		}
	}

	ret = epc_sim_host_init(sim);
	if (ret)
		goto err_reserved;

	mutex_lock(&epc_sim_list_lock);
	list_add_tail(&sim->node, &epc_sim_list);
	mutex_unlock(&epc_sim_list_lock);

	platform_set_drvdata(pdev, sim);
	/* Nothing to wait for: the controller is ready for its functions */
	pci_epc_init_notify(sim->epc);

	dev_info(dev, "%s profile, BARs in %pa+%#zx, outbound window %pR, PCI domain %04x\n",
		 p->name, &sim->pool_phys, sim->pool_size, &sim->ob_res,
		 pci_domain_nr(sim->bus));

	return 0;

err_reserved:
	if (reserved)
		pci_epc_mem_free_addr(sim->epc, reserved_phys, reserved,
				      p->ob_reserved);
err_mem:
	pci_epc_mem_exit(sim->epc);
err_ob_res:
	release_resource(&sim->ob_res);
	return ret;
}

static struct platform_driver epc_sim_driver = {
	.probe = epc_sim_probe,
	.driver = {
		.name = EPC_SIM_NAME,
		/*
		 * Endpoint functions and RC drivers may hold on to a
		 * controller at any time, as they would to hardware: it stays
		 * until the system goes down.
		 */
		.suppress_bind_attrs = true,
	},
};

/* The DMA engine is a device of its own, as an SoC's system DMA is */
static int epc_sim_dma_probe(struct platform_device *pdev)
{
	return epc_sim_dma_init(&pdev->dev);
}

static struct platform_driver epc_sim_dma_driver = {
	.probe = epc_sim_dma_probe,
	.driver = {
		.name = EPC_SIM_NAME "-dma",
		.suppress_bind_attrs = true,
	},
};

static int __init epc_sim_parse_mem(phys_addr_t *base, size_t *size)
{
	char *p = mem;

	*size = memparse(p, &p);
	if (*p != '@' || !*size)
		goto err;
	*base = memparse(p + 1, &p);
	if (*p)
		goto err;
	if (!IS_ALIGNED(*base, SZ_1M) || !IS_ALIGNED(*size, SZ_1M)) {
		pr_err("mem=%s: base and size must be multiples of 1M\n", mem);
		return -EINVAL;
	}
	if (region_intersects(*base, *size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("mem=%s: the region is System RAM: reserve it (memmap=, no-map)\n",
		       mem);
		return -EINVAL;
	}

	return 0;
err:
	pr_err("mem=%s: expected SIZE@BASE, e.g. 64M@0x74000000\n", mem);
	return -EINVAL;
}

static int __init epc_sim_add_controllers(phys_addr_t base, size_t size)
{
	struct epc_sim_pdata pdata = {};
	struct platform_device *pdev;
	char *list, *cur, *name;
	unsigned int n = 0, i;
	size_t slice;
	int ret = 0;

	list = kstrdup(profiles, GFP_KERNEL);
	if (!list)
		return -ENOMEM;

	for (cur = list; strsep(&cur, ","); )
		n++;
	/* Each controller gets a naturally aligned share of the region */
	slice = rounddown_pow_of_two(size / n);
	if (!IS_ALIGNED(base, slice) || slice < SZ_1M) {
		pr_err("mem=%s is too small or not aligned for %u controllers\n",
		       mem, n);
		ret = -EINVAL;
		goto out;
	}

	strscpy(list, profiles, strlen(profiles) + 1);
	for (cur = list, i = 0; (name = strsep(&cur, ",")); i++) {
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(epc_sim_profiles); j++)
			if (sysfs_streq(name, epc_sim_profiles[j].name))
				break;
		if (j == ARRAY_SIZE(epc_sim_profiles)) {
			pr_err("profiles=%s: unknown profile \"%s\", expected permissive or j7200\n",
			       profiles, name);
			ret = -EINVAL;
			break;
		}

		pdata.profile = &epc_sim_profiles[j];
		pdata.pool_phys = base + i * slice;
		pdata.pool_size = slice;
		pdev = platform_device_register_data(NULL, EPC_SIM_NAME, i,
						     &pdata, sizeof(pdata));
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			break;
		}
	}
out:
	kfree(list);
	return ret;
}

static int __init epc_sim_init(void)
{
	phys_addr_t base;
	size_t size;
	int ret;

	if (!mem)
		return 0;

	ret = epc_sim_parse_mem(&base, &size);
	if (ret)
		return ret;

	ret = epc_sim_host_register();
	if (ret)
		return ret;

	ret = platform_driver_register(&epc_sim_dma_driver);
	if (ret)
		return ret;
	ret = platform_driver_register(&epc_sim_driver);
	if (ret)
		goto err_dma_driver;

	epc_sim_dma_pdev = platform_device_register_simple(EPC_SIM_NAME "-dma",
							   PLATFORM_DEVID_NONE,
							   NULL, 0);
	if (IS_ERR(epc_sim_dma_pdev)) {
		ret = PTR_ERR(epc_sim_dma_pdev);
		goto err_driver;
	}

	/* Controllers that did come up stay, whatever happens to the rest */
	return epc_sim_add_controllers(base, size);

err_driver:
	platform_driver_unregister(&epc_sim_driver);
err_dma_driver:
	platform_driver_unregister(&epc_sim_dma_driver);
	return ret;
}
device_initcall(epc_sim_init);

MODULE_DESCRIPTION("Software PCI endpoint controller with a virtual host bridge");
MODULE_LICENSE("GPL");
