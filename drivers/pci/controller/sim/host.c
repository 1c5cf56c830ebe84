// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software PCI endpoint controller: the RC side, a virtual host bridge on
 * which the endpoint functions appear as PCI devices, with their
 * configuration space, BARs and interrupts.
 */

#include <linux/bitfield.h>
#include <linux/dma-direct.h>
#include <linux/irq.h>
#include <linux/irq_sim.h>
#include <linux/irq_work.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "pci-epc-sim.h"

/*
 * Serialises MSI delivery against the freeing of vectors, which the RC
 * side does whenever it likes.
 */
static DEFINE_RAW_SPINLOCK(epc_sim_msi_lock);

static struct epc_sim *epc_sim_from_bus(struct pci_bus *bus)
{
#ifdef CONFIG_X86
	return container_of(bus->sysdata, struct epc_sim, sysdata);
#else
	return bus->sysdata;
#endif
}

/**
 * epc_sim_cfg_reset() - reset the configuration space of a function
 * @sim: the controller
 * @func_no: the function
 *
 * Context: cfg_lock held.
 */
void epc_sim_cfg_reset(struct epc_sim *sim, u8 func_no)
{
	struct epc_sim_func *f = &sim->func[func_no];

	lockdep_assert_held(&sim->cfg_lock);

	memset(f, 0, sizeof(*f));
	f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	if (sim->profile->max_functions > 1)
		f->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
	epc_sim_set16(f->wmask, PCI_COMMAND,
		      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		      PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		      PCI_COMMAND_INTX_DISABLE);
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

/**
 * epc_sim_cfg_caps() - link the capabilities the function offers
 * @f: the function
 *
 * Context: cfg_lock held.
 */
void epc_sim_cfg_caps(struct epc_sim_func *f)
{
	u8 next = 0;
	u16 status;

	if (f->msix_count) {
		f->cfg[EPC_SIM_MSIX_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
		f->cfg[EPC_SIM_MSIX_CAP + PCI_CAP_LIST_NEXT] = next;
		next = EPC_SIM_MSIX_CAP;
	}
	if (f->msi) {
		f->cfg[EPC_SIM_MSI_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
		f->cfg[EPC_SIM_MSI_CAP + PCI_CAP_LIST_NEXT] = next;
		next = EPC_SIM_MSI_CAP;
	}
	f->cfg[PCI_CAPABILITY_LIST] = next;
	status = epc_sim_cfg16(f, PCI_STATUS) & ~PCI_STATUS_CAP_LIST;
	epc_sim_set16(f->cfg, PCI_STATUS, status | (next ? PCI_STATUS_CAP_LIST : 0));
}

/* The function at @devfn, if the RC can see it. Context: cfg_lock held. */
static struct epc_sim_func *epc_sim_cfg_func(struct epc_sim *sim,
					     struct pci_bus *bus,
					     unsigned int devfn)
{
	unsigned int fn = PCI_FUNC(devfn);

	lockdep_assert_held(&sim->cfg_lock);

	if (!sim->link_up || bus->number != sim->busn_res.start ||
	    PCI_SLOT(devfn) || fn >= sim->profile->max_functions)
		return NULL;
	/* A function whose endpoint function is gone does not answer */
	if (!sim->func[fn].header ||
	    !test_bit(fn, &sim->epc->function_num_map))
		return NULL;

	return &sim->func[fn];
}

static int epc_sim_cfg_read(struct pci_bus *bus, unsigned int devfn, int where,
			    int size, u32 *val)
{
	struct epc_sim *sim = epc_sim_from_bus(bus);
	struct epc_sim_func *f;
	unsigned long flags;
	int ret = PCIBIOS_SUCCESSFUL;

	if (where < 0 || where + size > PCI_CFG_SPACE_SIZE) {
		*val = 0;
		return PCIBIOS_BAD_REGISTER_NUMBER;
	}

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	f = epc_sim_cfg_func(sim, bus, devfn);
	if (!f) {
		PCI_SET_ERROR_RESPONSE(val);
		ret = PCIBIOS_DEVICE_NOT_FOUND;
	} else if (size == 1) {
		*val = f->cfg[where];
	} else if (size == 2) {
		*val = epc_sim_cfg16(f, where);
	} else {
		*val = epc_sim_cfg32(f, where);
	}
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return ret;
}

static int epc_sim_cfg_write(struct pci_bus *bus, unsigned int devfn,
			     int where, int size, u32 val)
{
	struct epc_sim *sim = epc_sim_from_bus(bus);
	struct epc_sim_func *f;
	bool bme = false;
	unsigned long flags;
	u16 cmd;
	int i;

	if (where < 0 || where + size > PCI_CFG_SPACE_SIZE)
		return PCIBIOS_BAD_REGISTER_NUMBER;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	f = epc_sim_cfg_func(sim, bus, devfn);
	if (!f) {
		raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}

	cmd = epc_sim_cfg16(f, PCI_COMMAND);
	for (i = 0; i < size; i++) {
		u8 mask = f->wmask[where + i];

		f->cfg[where + i] &= ~mask;
		f->cfg[where + i] |= (val >> (8 * i)) & mask;
	}
	if (!(cmd & PCI_COMMAND_MASTER) &&
	    (epc_sim_cfg16(f, PCI_COMMAND) & PCI_COMMAND_MASTER))
		bme = true;
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	/* The endpoint functions hear of it from process context */
	if (bme)
		queue_work(system_long_wq, &sim->bme_work);

	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops epc_sim_pci_ops = {
	.read	= epc_sim_cfg_read,
	.write	= epc_sim_cfg_write,
};

/* MSI: the vectors of the host bridge's own domain, fired from irq_work */

struct epc_sim_msi_vec {
	struct irq_work work;
	unsigned int virq;
};

static void epc_sim_msi_fire(struct irq_work *work)
{
	struct epc_sim_msi_vec *vec = container_of(work, struct epc_sim_msi_vec,
						   work);

	generic_handle_irq(vec->virq);
}

static void epc_sim_msi_compose(struct irq_data *d, struct msi_msg *msg)
{
	msg->address_hi = upper_32_bits(EPC_SIM_MSI_DOORBELL);
	msg->address_lo = lower_32_bits(EPC_SIM_MSI_DOORBELL);
	msg->data = irqd_to_hwirq(d);
}

static struct irq_chip epc_sim_msi_chip = {
	.name			= "pci-epc-sim-msi",
	.irq_compose_msi_msg	= epc_sim_msi_compose,
};

/*
 * The MSI data is the hwirq, so it must fit 16 bits: the function number
 * above the vector index, which MSI-X limits to 2048.
 */
static void epc_sim_msi_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	struct pci_dev *pdev = msi_desc_to_pci_dev(desc);

	arg->desc = desc;
	arg->hwirq = (PCI_FUNC(pdev->devfn) << 11) | desc->msi_index;
}

static int epc_sim_msi_init(struct irq_domain *domain,
			    struct msi_domain_info *info, unsigned int virq,
			    irq_hw_number_t hwirq, msi_alloc_info_t *arg)
{
	struct epc_sim_msi_vec *vec;

	vec = kzalloc(sizeof(*vec), GFP_KERNEL);
	if (!vec)
		return -ENOMEM;

	vec->work = IRQ_WORK_INIT_HARD(epc_sim_msi_fire);
	vec->virq = virq;
	irq_domain_set_info(domain, virq, hwirq, info->chip, vec,
			    handle_simple_irq, NULL, NULL);

	return 0;
}

static void epc_sim_msi_free(struct irq_domain *domain,
			     struct msi_domain_info *info, unsigned int virq)
{
	struct epc_sim_msi_vec *vec;
	unsigned long flags;

	raw_spin_lock_irqsave(&epc_sim_msi_lock, flags);
	vec = irq_get_chip_data(virq);
	irq_set_chip_data(virq, NULL);
	raw_spin_unlock_irqrestore(&epc_sim_msi_lock, flags);

	if (vec) {
		irq_work_sync(&vec->work);
		kfree(vec);
	}
}

static struct msi_domain_ops epc_sim_msi_domain_ops = {
	.set_desc	= epc_sim_msi_set_desc,
	.msi_init	= epc_sim_msi_init,
	.msi_free	= epc_sim_msi_free,
};

static struct msi_domain_info epc_sim_msi_domain_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
			  MSI_FLAG_NO_AFFINITY | MSI_FLAG_MULTI_PCI_MSI |
			  MSI_FLAG_PCI_MSIX,
	.ops		= &epc_sim_msi_domain_ops,
	.chip		= &epc_sim_msi_chip,
};

/* A memory write of @data to @addr by the function, as the RC takes it */
static int epc_sim_msi_write(struct epc_sim *sim, u8 func_no, u64 addr,
			     u32 data)
{
	struct epc_sim_msi_vec *vec = NULL;
	unsigned long flags;
	unsigned int virq;

	if (addr != EPC_SIM_MSI_DOORBELL) {
		dev_err_ratelimited(&sim->epc->dev,
				    "function %u: MSI write to %#llx, not to the doorbell: dropped\n",
				    func_no, addr);
		return -EIO;
	}

	raw_spin_lock_irqsave(&epc_sim_msi_lock, flags);
	virq = irq_find_mapping(sim->msi_domain, data);
	if (virq)
		vec = irq_get_chip_data(virq);
	if (vec)
		irq_work_queue(&vec->work);
	raw_spin_unlock_irqrestore(&epc_sim_msi_lock, flags);

	if (!vec) {
		dev_err_ratelimited(&sim->epc->dev,
				    "function %u: MSI data %#x names no vector: dropped\n",
				    func_no, data);
		return -EIO;
	}

	return 0;
}

/* Whether the function may send memory writes. Context: cfg_lock held. */
static bool epc_sim_bus_master(struct epc_sim *sim, u8 func_no)
{
	struct epc_sim_func *f = &sim->func[func_no];

	if (sim->link_up &&
	    (epc_sim_cfg16(f, PCI_COMMAND) & PCI_COMMAND_MASTER))
		return true;

	dev_err_ratelimited(&sim->epc->dev,
			    "function %u: bus mastering is disabled, no MSI can be sent\n",
			    func_no);
	return false;
}

/**
 * epc_sim_raise_msi() - send an MSI as the function would
 * @sim: the controller
 * @func_no: the function
 * @num: the vector, from 1
 *
 * Context: process context, epc->lock held.
 * Return: 0, -EINVAL if the RC did not enable that vector, -EIO if the
 * message goes nowhere.
 */
int epc_sim_raise_msi(struct epc_sim *sim, u8 func_no, u16 num)
{
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned int cap = EPC_SIM_MSI_CAP;
	unsigned int nvec = 0;
	unsigned long flags;
	bool master;
	u16 ctrl;
	u64 addr;
	u32 data;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	ctrl = f->msi ? epc_sim_cfg16(f, cap + PCI_MSI_FLAGS) : 0;
	addr = epc_sim_cfg32(f, cap + PCI_MSI_ADDRESS_LO) |
	       (u64)epc_sim_cfg32(f, cap + PCI_MSI_ADDRESS_HI) << 32;
	data = epc_sim_cfg16(f, cap + PCI_MSI_DATA_64);
	master = epc_sim_bus_master(sim, func_no);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	if (ctrl & PCI_MSI_FLAGS_ENABLE)
		nvec = 1 << FIELD_GET(PCI_MSI_FLAGS_QSIZE, ctrl);
	if (!num || num > nvec) {
		dev_err(&sim->epc->dev, "function %u: MSI %u is not enabled (%u enabled)\n",
			func_no, num, nvec);
		return -EINVAL;
	}
	if (!master)
		return -EIO;

	/* Multiple Message Enable: the function sets the low data bits */
	data = (data & ~(nvec - 1)) | (num - 1);

	return epc_sim_msi_write(sim, func_no, addr, data);
}

/**
 * epc_sim_raise_msix() - send an MSI-X message as the function would
 * @sim: the controller
 * @func_no: the function
 * @num: the vector, from 1
 *
 * The message comes from the MSI-X table in the function's BAR, where the
 * RC wrote it. A masked vector only sets its pending bit, unless the
 * profile's controller ignores the mask.
 *
 * Context: process context, epc->lock held.
 * Return: 0, -EINVAL if MSI-X is off or @num out of the table, -EIO if the
 * message goes nowhere.
 */
int epc_sim_raise_msix(struct epc_sim *sim, u8 func_no, u16 num)
{
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned int cap = EPC_SIM_MSIX_CAP;
	u32 table, pba, data, vctrl;
	struct epc_sim_bar *bar;
	unsigned long flags;
	void *entry;
	bool master;
	u16 ctrl;
	u64 addr;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	ctrl = f->msix_count ? epc_sim_cfg16(f, cap + PCI_MSIX_FLAGS) : 0;
	table = epc_sim_cfg32(f, cap + PCI_MSIX_TABLE);
	pba = epc_sim_cfg32(f, cap + PCI_MSIX_PBA);
	master = epc_sim_bus_master(sim, func_no);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE) || !num || num > f->msix_count) {
		dev_err(&sim->epc->dev, "function %u: MSI-X %u is not enabled\n",
			func_no, num);
		return -EINVAL;
	}
	if (!master)
		return -EIO;

	/* The BARs only change under epc->lock, which the caller holds */
	bar = &f->bar[table & PCI_MSIX_TABLE_BIR];
	if (!bar->virt ||
	    (table & PCI_MSIX_TABLE_OFFSET) + num * PCI_MSIX_ENTRY_SIZE > bar->size) {
		dev_err(&sim->epc->dev, "function %u: MSI-X table not in BAR%u\n",
			func_no, table & PCI_MSIX_TABLE_BIR);
		return -EINVAL;
	}

	entry = bar->virt + (table & PCI_MSIX_TABLE_OFFSET) +
		(num - 1) * PCI_MSIX_ENTRY_SIZE;
	addr = get_unaligned_le32(entry + PCI_MSIX_ENTRY_LOWER_ADDR) |
	       (u64)get_unaligned_le32(entry + PCI_MSIX_ENTRY_UPPER_ADDR) << 32;
	data = get_unaligned_le32(entry + PCI_MSIX_ENTRY_DATA);
	vctrl = get_unaligned_le32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL);

	if (!sim->profile->msix_ignore_mask &&
	    ((ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	     (vctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))) {
		struct epc_sim_bar *pbar = &f->bar[pba & PCI_MSIX_PBA_BIR];
		u32 off = (pba & PCI_MSIX_PBA_OFFSET) + (num - 1) / 8;

		if (pbar->virt && off < pbar->size)
			*(u8 *)(pbar->virt + off) |= BIT((num - 1) % 8);
		return 0;
	}

	return epc_sim_msi_write(sim, func_no, addr, data);
}

/**
 * epc_sim_raise_intx() - pulse the function's INTx pin
 * @sim: the controller
 * @func_no: the function
 *
 * Context: any.
 * Return: 0, or -EINVAL if the function has no interrupt pin.
 */
int epc_sim_raise_intx(struct epc_sim *sim, u8 func_no)
{
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned long flags;
	unsigned int virq;
	u16 cmd;
	u8 pin;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	pin = f->cfg[PCI_INTERRUPT_PIN];
	cmd = epc_sim_cfg16(f, PCI_COMMAND);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	if (!pin) {
		dev_err(&sim->epc->dev, "function %u has no INTx pin\n",
			func_no);
		return -EINVAL;
	}
	if (cmd & PCI_COMMAND_INTX_DISABLE)
		return 0;

	virq = READ_ONCE(sim->intx_virq[func_no * PCI_NUM_INTX + pin - 1]);
	if (!virq)
		return 0;

	return irq_set_irqchip_state(virq, IRQCHIP_STATE_PENDING, true);
}

static int epc_sim_map_irq(const struct pci_dev *pdev, u8 slot, u8 pin)
{
	struct epc_sim *sim = epc_sim_from_bus(pdev->bus);
	unsigned int hwirq = PCI_FUNC(pdev->devfn) * PCI_NUM_INTX + pin - 1;
	unsigned int virq;

	if (!pin || pin > PCI_NUM_INTX)
		return 0;

	virq = irq_create_mapping(sim->intx_domain, hwirq);
	WRITE_ONCE(sim->intx_virq[hwirq], virq);

	return virq;
}

/**
 * epc_sim_host_scan() - enumerate the functions, as after a link up
 * @sim: the controller
 *
 * The BARs stay where the endpoint functions' memory is: the PCI core
 * claims them as it would firmware-assigned BARs, and assigns nothing.
 *
 * Context: process context, no EPC lock held.
 */
void epc_sim_host_scan(struct epc_sim *sim)
{
	unsigned long flags;

	pci_lock_rescan_remove();
	/* A stop() since the work was queued wins */
	if (READ_ONCE(sim->link_want)) {
		raw_spin_lock_irqsave(&sim->cfg_lock, flags);
		sim->link_up = true;
		raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

		pci_scan_slot(sim->bus, PCI_DEVFN(0, 0));
		pci_bus_claim_resources(sim->bus);
		pci_bus_add_devices(sim->bus);
	}
	pci_unlock_rescan_remove();
}

/* What a reset does to the registers the RC writes. Context: cfg_lock held. */
static void epc_sim_cfg_hot_reset(struct epc_sim *sim, struct epc_sim_func *f)
{
	unsigned int i, bar, reg;
	u64 bus;

	for (i = 0; i < PCI_CFG_SPACE_SIZE; i++)
		if (i < PCI_BASE_ADDRESS_0 || i >= PCI_CARDBUS_CIS)
			f->cfg[i] &= ~f->wmask[i];

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!f->bar[bar].virt)
			continue;
		reg = PCI_BASE_ADDRESS_0 + 4 * bar;
		bus = f->bar[bar].phys - sim->pool_phys + EPC_SIM_BAR_BUS_BASE;
		epc_sim_set32(f->cfg, reg, lower_32_bits(bus) |
			      (f->cfg[reg] & ~PCI_BASE_ADDRESS_MEM_MASK));
		if (f->cfg[reg] & PCI_BASE_ADDRESS_MEM_TYPE_64)
			epc_sim_set32(f->cfg, reg + 4, upper_32_bits(bus));
	}
}

/**
 * epc_sim_host_remove() - take functions off the bus
 * @sim: the controller
 * @func_no: the function, or -1 for all of them and the link, which
 *	resets what the RC wrote in the configuration space
 *
 * Context: process context; may be called with epc->lock held.
 */
void epc_sim_host_remove(struct epc_sim *sim, int func_no)
{
	struct pci_dev *pdev, *tmp;
	unsigned long flags;
	unsigned int i;

	pci_lock_rescan_remove();
	list_for_each_entry_safe_reverse(pdev, tmp, &sim->bus->devices,
					 bus_list) {
		if (func_no < 0 || PCI_FUNC(pdev->devfn) == func_no)
			pci_stop_and_remove_bus_device(pdev);
	}
	if (func_no < 0) {
		raw_spin_lock_irqsave(&sim->cfg_lock, flags);
		sim->link_up = false;
		for (i = 0; i < sim->profile->max_functions; i++)
			epc_sim_cfg_hot_reset(sim, &sim->func[i]);
		raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);
	}
	pci_unlock_rescan_remove();
}

/*
 * The DMA window of the host bridge: RC memory at EPC_SIM_RAM_BUS_OFFSET
 * above its physical address. The driver core frees a device's map when its
 * driver unbinds, and the PCI core sets none for a host bridge without
 * firmware node: give it again to every driver that binds.
 */
static const struct bus_dma_region epc_sim_dma_map[] = {
	{
		.cpu_start	= 0,
		.dma_start	= EPC_SIM_RAM_BUS_OFFSET,
		.size		= EPC_SIM_RAM_BUS_OFFSET,
	},
	{}
};

static int epc_sim_pci_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;
	struct pci_dev *pdev = to_pci_dev(dev);

	if (action != BUS_NOTIFY_BIND_DRIVER || pdev->bus->ops != &epc_sim_pci_ops)
		return NOTIFY_DONE;

	kfree(dev->dma_range_map);
	/* Without it, DMA addresses are physical ones, which the EP refuses */
	dev->dma_range_map = kmemdup(epc_sim_dma_map, sizeof(epc_sim_dma_map),
				     GFP_KERNEL);

	return NOTIFY_OK;
}

static struct notifier_block epc_sim_pci_nb = {
	.notifier_call = epc_sim_pci_notify,
};

/**
 * epc_sim_host_register() - set up what the host bridges share
 *
 * Return: 0 or a negative error code.
 */
int epc_sim_host_register(void)
{
	/* RC memory must fit the DMA window, below the bus offset */
	if (region_intersects(EPC_SIM_RAM_BUS_OFFSET,
			      ULLONG_MAX - EPC_SIM_RAM_BUS_OFFSET,
			      IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("%s: System RAM above %#llx is out of reach of the DMA window\n",
		       EPC_SIM_NAME, EPC_SIM_RAM_BUS_OFFSET);
		return -ERANGE;
	}

	return bus_register_notifier(&pci_bus_type, &epc_sim_pci_nb);
}

#ifdef CONFIG_X86
/* x86 takes the domain from sysdata: use one above those in use, as VMD */
static int epc_sim_free_domain(void)
{
	struct pci_bus *bus = NULL;
	int domain = 0xffff;

	while ((bus = pci_find_next_bus(bus)))
		domain = max(domain, pci_domain_nr(bus));

	return domain + 1;
}
#endif

/**
 * epc_sim_host_init() - create the virtual host bridge
 * @sim: the controller, with its pool set
 *
 * Return: 0 or a negative error code.
 */
int epc_sim_host_init(struct epc_sim *sim)
{
	const char *name = dev_name(sim->dev);
	LIST_HEAD(resources);
	void *sysdata = sim;
	int ret;

	if (sim->pool_size > EPC_SIM_RAM_BUS_OFFSET - EPC_SIM_BAR_BUS_BASE) {
		dev_err(sim->dev, "a %#zx BAR window would reach RC memory on the bus\n",
			sim->pool_size);
		return -ERANGE;
	}

	sim->intx_fwnode = irq_domain_alloc_named_fwnode(name);
	if (!sim->intx_fwnode)
		return -ENOMEM;
	sim->intx_domain = irq_domain_create_sim(sim->intx_fwnode,
						 sim->profile->max_functions *
						 PCI_NUM_INTX);
	if (IS_ERR(sim->intx_domain)) {
		ret = PTR_ERR(sim->intx_domain);
		goto err_intx_fwnode;
	}

	sim->msi_fwnode = irq_domain_alloc_named_fwnode(name);
	if (!sim->msi_fwnode) {
		ret = -ENOMEM;
		goto err_intx_domain;
	}
	sim->msi_domain = pci_msi_create_irq_domain(sim->msi_fwnode,
						    &epc_sim_msi_domain_info,
						    NULL);
	if (!sim->msi_domain) {
		ret = -ENOMEM;
		goto err_msi_fwnode;
	}

	sim->bar_res = DEFINE_RES_MEM_NAMED(sim->pool_phys, sim->pool_size,
					    name);
	ret = insert_resource(&iomem_resource, &sim->bar_res);
	if (ret)
		goto err_msi_domain;
	sim->busn_res = DEFINE_RES_NAMED(0, 1, name, IORESOURCE_BUS);
	pci_add_resource_offset(&resources, &sim->bar_res,
				sim->pool_phys - EPC_SIM_BAR_BUS_BASE);
	pci_add_resource(&resources, &sim->busn_res);

#ifdef CONFIG_X86
	sim->sysdata.domain = epc_sim_free_domain();
	sim->sysdata.node = NUMA_NO_NODE;
	sysdata = &sim->sysdata;
#endif
	sim->bus = pci_create_root_bus(sim->dev, sim->busn_res.start,
				       &epc_sim_pci_ops, sysdata, &resources);
	if (!sim->bus) {
		ret = -ENODEV;
		pci_free_resource_list(&resources);
		goto err_bar_res;
	}
	pci_find_host_bridge(sim->bus)->map_irq = epc_sim_map_irq;
	dev_set_msi_domain(&sim->bus->dev, sim->msi_domain);

	return 0;

err_bar_res:
	release_resource(&sim->bar_res);
err_msi_domain:
	irq_domain_remove(sim->msi_domain);
err_msi_fwnode:
	irq_domain_free_fwnode(sim->msi_fwnode);
err_intx_domain:
	irq_domain_remove_sim(sim->intx_domain);
err_intx_fwnode:
	irq_domain_free_fwnode(sim->intx_fwnode);
	return ret;
}

/**
 * epc_sim_host_exit() - remove the virtual host bridge
 * @sim: the controller
 */
void epc_sim_host_exit(struct epc_sim *sim)
{
	unsigned int i;

	pci_lock_rescan_remove();
	pci_stop_root_bus(sim->bus);
	pci_remove_root_bus(sim->bus);
	pci_unlock_rescan_remove();

	release_resource(&sim->bar_res);
	irq_domain_remove(sim->msi_domain);
	irq_domain_free_fwnode(sim->msi_fwnode);
	for (i = 0; i < ARRAY_SIZE(sim->intx_virq); i++)
		if (sim->intx_virq[i])
			irq_dispose_mapping(sim->intx_virq[i]);
	irq_domain_remove_sim(sim->intx_domain);
	irq_domain_free_fwnode(sim->intx_fwnode);
}
