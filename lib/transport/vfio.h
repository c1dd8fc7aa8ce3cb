/*
 * vfio.h - the VFIO calls the virtio transport needs, and PCI discovery
 * and driver binding through sysfs and libpci (Linux only).
 */
#ifndef P9_VFIO_H
#define P9_VFIO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

struct vfio {
	int	container, group, device;
	int	noiommu;
	struct vfio_region_info	reg[VFIO_PCI_NUM_REGIONS];
};

int	vfio_open(struct vfio *v, const char *bdf, const char *group);
void	vfio_close(struct vfio *v);
int	vfio_rd(struct vfio *v, int region, uint64_t off, void *buf, size_t n);
int	vfio_wr(struct vfio *v, int region, uint64_t off, const void *buf,
	    size_t n);
void	*vfio_map_bar(struct vfio *v, int bar, size_t *len);
int	vfio_dma_map(struct vfio *v, void *va, uint64_t iova, size_t len);
void	vfio_dma_unmap(struct vfio *v, uint64_t iova, size_t len);
int	vfio_msix(struct vfio *v, int efd);
void	vfio_msix_off(struct vfio *v);

/* pci.c: sysfs and libpci */
int	pci_find(const char *tag, const char *bdf, char *out, size_t cap);
int	pci_bind_vfio(const char *bdf, char *orig, size_t cap, char *group,
	    size_t gcap);
void	pci_restore(const char *bdf, const char *orig);
void	pci_note_tag(const char *bdf, const char *tag);

#endif
