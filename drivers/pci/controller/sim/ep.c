// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software PCI endpoint controller: the endpoint side, the operations
 * endpoint functions call through the EPC core.
 */

#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/pci-epc.h>
#include <linux/pci-epf.h>

#include "pci-epc-sim.h"

static struct epc_sim *to_epc_sim(struct pci_epc *epc)
{
	return epc_get_drvdata(epc);
}

static int epc_sim_write_header(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
				struct pci_epf_header *hdr)
{
	struct epc_sim *sim = to_epc_sim(epc);
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned long flags;
	int bar;

	if (hdr->interrupt_pin > PCI_INTERRUPT_INTD) {
		dev_err(&epc->dev, "function %u: interrupt pin %u is not INTA to INTD\n",
			func_no, hdr->interrupt_pin);
		return -EINVAL;
	}

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	/*
	 * Endpoint functions write the header first: a function with no BAR
	 * set is a new one, which starts from a clean configuration space.
	 */
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (f->bar[bar].virt)
			break;
	if (bar == PCI_STD_NUM_BARS)
		epc_sim_cfg_reset(sim, func_no);

	epc_sim_set16(f->cfg, PCI_VENDOR_ID, hdr->vendorid);
	epc_sim_set16(f->cfg, PCI_DEVICE_ID, hdr->deviceid);
	f->cfg[PCI_REVISION_ID] = hdr->revid;
	f->cfg[PCI_CLASS_PROG] = hdr->progif_code;
	f->cfg[PCI_CLASS_DEVICE] = hdr->subclass_code;
	f->cfg[PCI_CLASS_DEVICE + 1] = hdr->baseclass_code;
	f->cfg[PCI_CACHE_LINE_SIZE] = hdr->cache_line_size;
	epc_sim_set16(f->cfg, PCI_SUBSYSTEM_VENDOR_ID, hdr->subsys_vendor_id);
	epc_sim_set16(f->cfg, PCI_SUBSYSTEM_ID, hdr->subsys_id);
	f->cfg[PCI_INTERRUPT_PIN] = hdr->interrupt_pin;
	f->header = true;
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return 0;
}

static int epc_sim_check_bar(struct epc_sim *sim, u8 func_no,
			     struct pci_epf_bar *epf_bar, u64 aperture)
{
	const struct epc_sim_profile *p = sim->profile;
	const struct pci_epc_bar_desc *desc = &p->features.bar[epf_bar->barno];
	struct epc_sim_func *f = &sim->func[func_no];
	enum pci_barno bar = epf_bar->barno;
	bool is_64 = epf_bar->flags & PCI_BASE_ADDRESS_MEM_TYPE_64;
	struct device *dev = &sim->epc->dev;
	u64 bus;

	if (desc->type == BAR_RESERVED) {
		dev_err(dev, "BAR%d is reserved\n", bar);
		return -EINVAL;
	}
	if (desc->type == BAR_FIXED && epf_bar->size != desc->fixed_size) {
		dev_err(dev, "BAR%d has a fixed size of %#llx, not %#zx\n",
			bar, desc->fixed_size, epf_bar->size);
		return -EINVAL;
	}
	if (epf_bar->flags & PCI_BASE_ADDRESS_SPACE_IO) {
		dev_err(dev, "BAR%d: I/O BARs are not supported\n", bar);
		return -EINVAL;
	}
	if (is_64 && p->bar64_even_only && (bar & 1)) {
		dev_err(dev, "BAR%d: a 64-bit BAR must start at an even BAR\n",
			bar);
		return -EINVAL;
	}
	if (!is_64 && desc->only_64bit) {
		dev_err(dev, "BAR%d can only be a 64-bit BAR\n", bar);
		return -EINVAL;
	}
	if (!is_64 && aperture > SZ_2G) {
		dev_err(dev, "BAR%d: %#llx bytes do not fit a 32-bit BAR\n",
			bar, aperture);
		return -EINVAL;
	}
	if (bar > BAR_0 && f->bar[bar - 1].virt &&
	    (f->cfg[PCI_BASE_ADDRESS_0 + 4 * (bar - 1)] &
	     PCI_BASE_ADDRESS_MEM_TYPE_64)) {
		dev_err(dev, "BAR%d is the upper half of BAR%d\n", bar, bar - 1);
		return -EBUSY;
	}
	if (is_64 && f->bar[bar + 1].virt) {
		dev_err(dev, "BAR%d: BAR%d is in use\n", bar, bar + 1);
		return -EBUSY;
	}
	/*
	 * There is no inbound translation: the RC reaches the BAR at the CPU
	 * address of its memory, so that memory must be in the pool the host
	 * bridge window covers, and aligned to the BAR's size.
	 */
	if (epf_bar->phys_addr < sim->pool_phys ||
	    epf_bar->phys_addr - sim->pool_phys > sim->pool_size ||
	    sim->pool_size - (epf_bar->phys_addr - sim->pool_phys) < aperture) {
		dev_err(dev, "BAR%d: memory at %pad is not in the controller's pool: allocate it with pci_epf_alloc_space()\n",
			bar, &epf_bar->phys_addr);
		return -EINVAL;
	}
	if (!IS_ALIGNED(epf_bar->phys_addr - sim->pool_phys, aperture)) {
		dev_err(dev, "BAR%d: memory at %pad is not aligned to the BAR size %#llx\n",
			bar, &epf_bar->phys_addr, aperture);
		return -EINVAL;
	}
	/* A 32-bit BAR register cannot hold a bus address above 4 GiB */
	bus = epf_bar->phys_addr - sim->pool_phys + EPC_SIM_BAR_BUS_BASE;
	if (!is_64 && bus + aperture > SZ_4G) {
		dev_err(dev, "BAR%d: bus address %#llx is above 4 GiB: make it a 64-bit BAR\n",
			bar, bus);
		return -EINVAL;
	}

	return 0;
}

static int epc_sim_set_bar(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			   struct pci_epf_bar *epf_bar)
{
	struct epc_sim *sim = to_epc_sim(epc);
	struct epc_sim_func *f = &sim->func[func_no];
	enum pci_barno bar = epf_bar->barno;
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	bool is_64 = epf_bar->flags & PCI_BASE_ADDRESS_MEM_TYPE_64;
	unsigned long flags;
	u64 aperture, bus;
	int ret;

	if (!epf_bar->size || !epf_bar->addr)
		return -EINVAL;

	aperture = max_t(u64, epf_bar->size, sim->profile->bar_min_size);
	aperture = 1ULL << fls64(aperture - 1);
	ret = epc_sim_check_bar(sim, func_no, epf_bar, aperture);
	if (ret)
		return ret;

	bus = epf_bar->phys_addr - sim->pool_phys + EPC_SIM_BAR_BUS_BASE;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	f->bar[bar].phys = epf_bar->phys_addr;
	f->bar[bar].virt = epf_bar->addr;
	f->bar[bar].size = epf_bar->size;
	f->bar[bar].aperture = aperture;
	/* The RC sizes the BAR by writing ones: only bits above the size stick */
	epc_sim_set32(f->cfg, reg, lower_32_bits(bus) |
		      (epf_bar->flags & ~PCI_BASE_ADDRESS_MEM_MASK));
	epc_sim_set32(f->wmask, reg,
		      lower_32_bits(~(aperture - 1)) & PCI_BASE_ADDRESS_MEM_MASK);
	if (is_64) {
		epc_sim_set32(f->cfg, reg + 4, upper_32_bits(bus));
		epc_sim_set32(f->wmask, reg + 4, upper_32_bits(~(aperture - 1)));
	}
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return 0;
}

static void epc_sim_clear_bar(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			      struct pci_epf_bar *epf_bar)
{
	struct epc_sim *sim = to_epc_sim(epc);
	struct epc_sim_func *f = &sim->func[func_no];
	enum pci_barno bar = epf_bar->barno;
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	unsigned long flags;
	int n;

	if (!f->bar[bar].virt)
		return;

	/*
	 * The BAR memory is about to go: take the function off the bus first,
	 * as a hot-unplug would, so that no RC driver keeps it mapped.
	 */
	epc_sim_host_remove(sim, func_no);

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	n = (f->cfg[reg] & PCI_BASE_ADDRESS_MEM_TYPE_64) ? 8 : 4;
	memset(&f->cfg[reg], 0, n);
	memset(&f->wmask[reg], 0, n);
	memset(&f->bar[bar], 0, sizeof(f->bar[bar]));
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);
}

static struct epc_sim_ob *epc_sim_ob_get(struct epc_sim *sim, phys_addr_t phys,
					 u64 pci_addr, size_t size)
{
	const struct epc_sim_profile *p = sim->profile;
	phys_addr_t offset = phys - sim->ob_res.start;
	struct device *dev = &sim->epc->dev;
	struct epc_sim_ob *ob = NULL;
	unsigned int i, bits;
	u64 mask = 0;

	lockdep_assert_held(&sim->ob_lock);

	if (!size || phys < sim->ob_res.start ||
	    offset > resource_size(&sim->ob_res) ||
	    resource_size(&sim->ob_res) - offset < size) {
		dev_err(dev, "%pa+%#zx is not in the outbound window %pR\n",
			&phys, size, &sim->ob_res);
		return ERR_PTR(-EINVAL);
	}

	for (i = 0; i < p->ob_regions; i++) {
		if (!sim->ob[i].used) {
			ob = &sim->ob[i];
			break;
		}
	}
	if (!ob) {
		dev_err(dev, "no free outbound region (%u in use)\n",
			p->ob_regions);
		return ERR_PTR(-ENOSPC);
	}

	if (p->ob_min_bits) {
		bits = max_t(unsigned int, ilog2(1ULL << fls64(size - 1)),
			     p->ob_min_bits);
		mask = BIT_ULL(bits) - 1;
		if ((pci_addr & mask) != (offset & mask))
			dev_warn_ratelimited(dev,
					     "outbound region %u: PCI address %#llx and window offset %pa differ in their low %u bits, which the region passes through: accesses land at %#llx\n",
					     i, pci_addr, &offset, bits,
					     (pci_addr & ~mask) | (offset & mask));
	}

	ob->phys = phys;
	ob->pci_addr = pci_addr;
	ob->size = size;
	ob->mask = mask;
	ob->used = true;

	return ob;
}

static void epc_sim_ob_put(struct epc_sim_ob *ob)
{
	memset(ob, 0, sizeof(*ob));
}

/* The PCI address a CPU or DMA access to @phys in the region reaches */
static u64 epc_sim_ob_target(struct epc_sim *sim, struct epc_sim_ob *ob,
			     phys_addr_t phys)
{
	if (ob->mask)
		return (ob->pci_addr & ~ob->mask) |
		       ((phys - sim->ob_res.start) & ob->mask);

	return ob->pci_addr + (phys - ob->phys);
}

/**
 * epc_sim_pci_to_phys() - CPU address behind a PCI address of the RC side
 * @sim: the controller
 * @pci_addr: PCI address an outbound access reaches
 * @size: size of the access
 * @phys: where to return the CPU physical address
 * @ram: where to return whether it is System RAM
 *
 * RC memory is at EPC_SIM_RAM_BUS_OFFSET above its CPU physical address,
 * where the RC side's DMA mappings put it; the BARs are behind the host
 * bridge window.
 *
 * Return: 0, or -EFAULT if nothing answers at @pci_addr.
 */
int epc_sim_pci_to_phys(struct epc_sim *sim, u64 pci_addr, size_t size,
			phys_addr_t *phys, bool *ram)
{
	if (!size || pci_addr + size < pci_addr)
		return -EFAULT;

	if (pci_addr >= EPC_SIM_BAR_BUS_BASE &&
	    pci_addr + size <= EPC_SIM_BAR_BUS_BASE + sim->pool_size) {
		*phys = sim->pool_phys + (pci_addr - EPC_SIM_BAR_BUS_BASE);
		*ram = false;
		return 0;
	}

	if (pci_addr >= EPC_SIM_RAM_BUS_OFFSET &&
	    region_intersects(pci_addr - EPC_SIM_RAM_BUS_OFFSET, size,
			      IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) == REGION_INTERSECTS) {
		*phys = pci_addr - EPC_SIM_RAM_BUS_OFFSET;
		*ram = true;
		return 0;
	}

	dev_err_ratelimited(&sim->epc->dev,
			    "PCI address range %#llx+%#zx is neither RC memory (a DMA address of the RC side) nor a BAR\n",
			    pci_addr, size);
	return -EFAULT;
}

/*
 * The CPU mapping of outbound window memory, which pci_epc_mem_alloc_addr()
 * makes before the PCI address is known, has nothing behind it here: software
 * cannot re-point it as an address translation unit would. Refuse, rather
 * than let accesses through it go nowhere.
 */
static int epc_sim_map_addr(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			    phys_addr_t addr, u64 pci_addr, size_t size)
{
	dev_err(&epc->dev,
		"map_addr: outbound window memory cannot reach PCI on this controller: map PCI address %#llx with pci_epc_mem_map()\n",
		pci_addr);

	return -EOPNOTSUPP;
}

static int epc_sim_mem_map(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			   struct pci_epc_map *map)
{
	struct epc_sim *sim = to_epc_sim(epc);
	void __iomem *win_virt;
	struct epc_sim_ob *ob;
	phys_addr_t win_phys, target;
	void *virt;
	bool ram;
	int ret;

	/*
	 * Take a region and window memory as a hardware controller would:
	 * the window offset is what a region that passes the low address
	 * bits through puts there.
	 */
	win_virt = pci_epc_mem_alloc_addr(epc, &win_phys, map->map_size);
	if (!win_virt)
		return -ENOMEM;

	mutex_lock(&sim->ob_lock);
	ob = epc_sim_ob_get(sim, win_phys, map->map_pci_addr, map->map_size);
	if (IS_ERR(ob)) {
		ret = PTR_ERR(ob);
		goto err_free;
	}

	ret = epc_sim_pci_to_phys(sim, epc_sim_ob_target(sim, ob, win_phys),
				  map->map_size, &target, &ram);
	if (ret)
		goto err_put;

	/* BAR memory is mapped write-combining by its owner: match it */
	virt = memremap(target, map->map_size,
			ram ? MEMREMAP_WB : MEMREMAP_WC);
	if (!virt) {
		ret = -ENOMEM;
		goto err_put;
	}
	ob->virt = virt;
	ob->win_virt = win_virt;
	mutex_unlock(&sim->ob_lock);

	/*
	 * The mem_map() contract: the memory the region reaches is at a CPU
	 * physical address of its own, which @virt maps: hand that out, so
	 * that DMA to @map->phys_addr and CPU accesses to @map->virt_addr
	 * reach the same bytes.
	 */
	map->phys_base = target;
	map->virt_base = (void __iomem __force *)virt;

	return 0;

err_put:
	epc_sim_ob_put(ob);
err_free:
	mutex_unlock(&sim->ob_lock);
	pci_epc_mem_free_addr(epc, win_phys, win_virt, map->map_size);

	return ret;
}

static void epc_sim_mem_unmap(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			      struct pci_epc_map *map)
{
	struct epc_sim *sim = to_epc_sim(epc);
	void __iomem *win_virt = NULL;
	phys_addr_t win_phys = 0;
	unsigned int i;

	mutex_lock(&sim->ob_lock);
	for (i = 0; i < sim->profile->ob_regions; i++) {
		struct epc_sim_ob *ob = &sim->ob[i];

		if (ob->used && ob->virt == (void __force *)map->virt_base) {
			memunmap(ob->virt);
			win_virt = ob->win_virt;
			win_phys = ob->phys;
			epc_sim_ob_put(ob);
			break;
		}
	}
	mutex_unlock(&sim->ob_lock);

	if (!win_virt) {
		dev_err(&epc->dev, "mem_unmap: %pa was not mapped\n",
			&map->phys_base);
		return;
	}

	pci_epc_mem_free_addr(epc, win_phys, win_virt, map->map_size);
}

static int epc_sim_set_msi(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			   u8 mmc)
{
	struct epc_sim *sim = to_epc_sim(epc);
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned int cap = EPC_SIM_MSI_CAP;
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	f->msi = true;
	epc_sim_set16(f->cfg, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT |
		      FIELD_PREP(PCI_MSI_FLAGS_QMASK, mmc));
	epc_sim_set16(f->wmask, cap + PCI_MSI_FLAGS,
		      PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	epc_sim_set32(f->wmask, cap + PCI_MSI_ADDRESS_LO, ~3U);
	epc_sim_set32(f->wmask, cap + PCI_MSI_ADDRESS_HI, ~0U);
	epc_sim_set16(f->wmask, cap + PCI_MSI_DATA_64, 0xffff);
	epc_sim_cfg_caps(f);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return 0;
}

/* The Message Control word of an MSI or MSI-X capability, 0 if absent. */
static u16 epc_sim_msg_ctrl(struct epc_sim *sim, u8 func_no, bool msix)
{
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned long flags;
	u16 ctrl = 0;

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	if (msix && f->msix_count)
		ctrl = epc_sim_cfg16(f, EPC_SIM_MSIX_CAP + PCI_MSIX_FLAGS);
	else if (!msix && f->msi)
		ctrl = epc_sim_cfg16(f, EPC_SIM_MSI_CAP + PCI_MSI_FLAGS);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return ctrl;
}

static int epc_sim_get_msi(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	u16 ctrl = epc_sim_msg_ctrl(to_epc_sim(epc), func_no, false);

	if (!(ctrl & PCI_MSI_FLAGS_ENABLE))
		return -EINVAL;

	return FIELD_GET(PCI_MSI_FLAGS_QSIZE, ctrl);
}

static int epc_sim_set_msix(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			    u16 nr_irqs, enum pci_barno bir, u32 offset)
{
	struct epc_sim *sim = to_epc_sim(epc);
	struct epc_sim_func *f = &sim->func[func_no];
	unsigned int cap = EPC_SIM_MSIX_CAP;
	unsigned long flags;

	if (!IS_ALIGNED(offset, 8)) {
		dev_err(&epc->dev, "MSI-X table offset %#x is not 8-byte aligned\n",
			offset);
		return -EINVAL;
	}

	raw_spin_lock_irqsave(&sim->cfg_lock, flags);
	f->msix_count = nr_irqs;
	epc_sim_set16(f->cfg, cap + PCI_MSIX_FLAGS, nr_irqs - 1);
	epc_sim_set16(f->wmask, cap + PCI_MSIX_FLAGS,
		      PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	epc_sim_set32(f->cfg, cap + PCI_MSIX_TABLE, offset | bir);
	epc_sim_set32(f->cfg, cap + PCI_MSIX_PBA,
		      (offset + nr_irqs * PCI_MSIX_ENTRY_SIZE) | bir);
	epc_sim_cfg_caps(f);
	raw_spin_unlock_irqrestore(&sim->cfg_lock, flags);

	return 0;
}

static int epc_sim_get_msix(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	u16 ctrl = epc_sim_msg_ctrl(to_epc_sim(epc), func_no, true);

	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE))
		return -EINVAL;

	return ctrl & PCI_MSIX_FLAGS_QSIZE;
}

static int epc_sim_raise_irq(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			     unsigned int type, u16 interrupt_num)
{
	struct epc_sim *sim = to_epc_sim(epc);

	switch (type) {
	case PCI_IRQ_INTX:
		return epc_sim_raise_intx(sim, func_no);
	case PCI_IRQ_MSI:
		return epc_sim_raise_msi(sim, func_no, interrupt_num);
	case PCI_IRQ_MSIX:
		return epc_sim_raise_msix(sim, func_no, interrupt_num);
	default:
		dev_err(&epc->dev, "unknown interrupt type %u\n", type);
		return -EINVAL;
	}
}

static int epc_sim_start(struct pci_epc *epc)
{
	struct epc_sim *sim = to_epc_sim(epc);

	/*
	 * Called under epc->lock: the link-up event and the enumeration,
	 * which take other locks, run from a work item.
	 */
	WRITE_ONCE(sim->link_want, true);
	queue_work(system_long_wq, &sim->link_work);

	return 0;
}

static void epc_sim_stop(struct pci_epc *epc)
{
	struct epc_sim *sim = to_epc_sim(epc);

	WRITE_ONCE(sim->link_want, false);
	/* Orderly removal, as on a hot-unplug request, then link down */
	epc_sim_host_remove(sim, -1);
	queue_work(system_long_wq, &sim->link_work);
}

static const struct pci_epc_features *
epc_sim_get_features(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	return &to_epc_sim(epc)->profile->features;
}

const struct pci_epc_ops epc_sim_ops = {
	.write_header	= epc_sim_write_header,
	.set_bar	= epc_sim_set_bar,
	.clear_bar	= epc_sim_clear_bar,
	.map_addr	= epc_sim_map_addr,
	.mem_map	= epc_sim_mem_map,
	.mem_unmap	= epc_sim_mem_unmap,
	.set_msi	= epc_sim_set_msi,
	.get_msi	= epc_sim_get_msi,
	.set_msix	= epc_sim_set_msix,
	.get_msix	= epc_sim_get_msix,
	.raise_irq	= epc_sim_raise_irq,
	.start		= epc_sim_start,
	.stop		= epc_sim_stop,
	.get_features	= epc_sim_get_features,
	.owner		= THIS_MODULE,
};
