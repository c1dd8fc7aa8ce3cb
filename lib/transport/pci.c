/*
 * pci.c - finding virtio-9p PCI functions (libpci), and handing one to
 * vfio-pci and back (sysfs).  The driver a device had is recorded under
 * /run/9ptools so that a later run, after a crash, gives it back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pci/pci.h>

#include "p9int.h"
#include "vfio.h"

#define SYSPCI	"/sys/bus/pci/devices"
#define STATE	"/run/9ptools"

static int
readline(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");

	buf[0] = '\0';
	if (fp == NULL)
		return -1;
	if (fgets(buf, (int)cap, fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
writestr(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* strlcpy: truncating copies are intended here */
static void
scopy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* a small state file under /run/9ptools */
static void
save(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fprintf(fp, "%s\n", s);
		fclose(fp);
	}
}

/* basename of a sysfs link, "" if none */
static void
linkname(const char *bdf, const char *what, char *out, size_t cap)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof path, SYSPCI "/%s/%s", bdf, what);
	out[0] = '\0';
	if ((n = readlink(path, target, sizeof target - 1)) <= 0)
		return;
	target[n] = '\0';
	scopy(out, cap, strrchr(target, '/') ? strrchr(target, '/') + 1 :
	    target);
}

static void
tag_of(const char *bdf, char *tag, size_t cap)
{
	char pat[PATH_MAX], state[PATH_MAX];
	glob_t g;

	tag[0] = '\0';
	snprintf(pat, sizeof pat, SYSPCI "/%s/virtio*/mount_tag", bdf);
	if (glob(pat, 0, NULL, &g) == 0) {
		readline(g.gl_pathv[0], tag, cap);
		globfree(&g);
		if (tag[0])
			return;
	}
	/* bound to vfio-pci by us: the tag we saw then */
	snprintf(state, sizeof state, STATE "/%s.tag", bdf);
	readline(state, tag, cap);
}

static int
mounted_by_kernel(const char *tag)
{
	char line[1024], src[256], type[64];
	FILE *fp = fopen("/proc/mounts", "r");
	int found = 0;

	if (fp == NULL || !tag[0])
		return fp ? (fclose(fp), 0) : 0;
	while (!found && fgets(line, sizeof line, fp))
		if (sscanf(line, "%255s %*s %63s", src, type) == 2 &&
		    strcmp(src, tag) == 0 && strcmp(type, "9p") == 0)
			found = 1;
	fclose(fp);
	return found;
}

/* Whether group g is one VFIO's no-IOMMU mode made (/dev/vfio/noiommu-g). */
static int
noiommu_node(const char *g)
{
	char path[96];

	snprintf(path, sizeof path, "/dev/vfio/noiommu-%s", g);
	return access(path, F_OK) == 0;
}

/* Why this device cannot be used now ("" if it can). */
static void
why_not(struct p9_vdev *d)
{
	char path[PATH_MAX], drv[64], other[64];
	DIR *dir;
	struct dirent *de;

	d->why[0] = '\0';
	if (geteuid() != 0)
		snprintf(d->why, sizeof d->why, "needs root");
	else if (!strcmp(d->driver, "virtio-pci") && mounted_by_kernel(d->tag))
		snprintf(d->why, sizeof d->why, "mounted by the kernel's 9p "
		    "(umount it first)");
	else if (access("/sys/bus/pci/drivers/vfio-pci", F_OK) != 0)
		snprintf(d->why, sizeof d->why, "vfio-pci is not loaded "
		    "(modprobe vfio-pci)");
	else if (!d->group[0] && readline("/sys/module/vfio/parameters/"
	    "enable_unsafe_noiommu_mode", drv, sizeof drv) != 0)
		snprintf(d->why, sizeof d->why, "no IOMMU group: boot with "
		    "intel_iommu=on (or amd_iommu=on), or enable VFIO's no-IOMMU "
		    "mode");
	else if (!d->group[0] && drv[0] != 'Y')
		snprintf(d->why, sizeof d->why, "no IOMMU group and VFIO's "
		    "no-IOMMU mode is off (echo Y > /sys/module/vfio/"
		    "parameters/enable_unsafe_noiommu_mode)");
	if (d->why[0] || !d->group[0])
		goto out;
	/* every other device of the group must be free for vfio-pci */
	snprintf(path, sizeof path, "/sys/kernel/iommu_groups/%s/devices",
	    d->group);
	if ((dir = opendir(path)) == NULL)
		goto out;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, d->bdf))
			continue;
		linkname(de->d_name, "driver", other, sizeof other);
		if (other[0] && strcmp(other, "vfio-pci") && strcmp(other,
		    "pcieport")) {
			snprintf(d->why, sizeof d->why, "IOMMU group %.16s "
			    "also holds %.16s (driver %.32s)", d->group,
			    de->d_name, other);
			break;
		}
	}
	closedir(dir);
out:
	d->usable = d->why[0] == '\0';
}

static int
is_9p(struct pci_dev *p, int *modern, int *legacy)
{
	int cap;

	if (p->vendor_id != 0x1af4)
		return 0;
	if (p->device_id == 0x1049) {
		*modern = 1;
		*legacy = 0;
		return 1;
	}
	if (p->device_id != 0x1009 ||
	    pci_read_word(p, PCI_SUBSYSTEM_ID) != 9)
		return 0;
	/* transitional: legacy I/O, and modern too if it has the caps */
	*legacy = 1;
	*modern = 0;
	if (!(pci_read_word(p, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 1;
	/*
	 * A bounded walk: without root, config space past 64 bytes reads
	 * as 0xff, which would make a loop of the list.
	 */
	cap = pci_read_byte(p, PCI_CAPABILITY_LIST) & ~3;
	for (int n = 0; cap >= 0x40 && cap < 0xff && n < 48; n++) {
		if (pci_read_byte(p, cap) == PCI_CAP_ID_VNDR &&
		    pci_read_byte(p, cap + 3) == 1)
			*modern = 1;
		cap = pci_read_byte(p, cap + 1) & ~3;
	}
	return 1;
}

int
p9_virtio_list(struct p9_vdev **out, int *n)
{
	struct pci_access *pa;
	struct pci_dev *p;
	struct p9_vdev *v = NULL, *nv;
	int k = 0, modern, legacy;

	if ((pa = pci_alloc()) == NULL)
		return -ENOMEM;
	pci_init(pa);
	pci_scan_bus(pa);
	for (p = pa->devices; p; p = p->next) {
		pci_fill_info(p, PCI_FILL_IDENT);
		if (!is_9p(p, &modern, &legacy))
			continue;
		if ((nv = realloc(v, (size_t)(k + 1) * sizeof *v)) == NULL) {
			free(v);
			pci_cleanup(pa);
			return -ENOMEM;
		}
		v = nv;
		memset(&v[k], 0, sizeof v[k]);
		snprintf(v[k].bdf, sizeof v[k].bdf, "%04x:%02x:%02x.%d",
		    p->domain, p->bus, p->dev, p->func);
		v[k].modern = modern;
		v[k].legacy = legacy;
		k++;
	}
	pci_cleanup(pa);
	for (int i = 0; i < k; i++) {
		char g[64];

		linkname(v[i].bdf, "driver", v[i].driver, sizeof v[i].driver);
		linkname(v[i].bdf, "iommu_group", g, sizeof g);
		scopy(v[i].group, sizeof v[i].group, g);
		if (g[0] && noiommu_node(g))	/* held, in no-IOMMU mode */
			snprintf(v[i].group, sizeof v[i].group, "noiommu-%s",
			    g);
		tag_of(v[i].bdf, v[i].tag, sizeof v[i].tag);
		why_not(&v[i]);
	}
	*out = v;
	*n = k;
	return 0;
}

/* The BDF of the device with this tag (or this BDF), else a clear error. */
int
pci_find(const char *tag, const char *bdf, char *out, size_t cap)
{
	struct p9_vdev *v;
	char found[512] = "";
	int n, err, hit = -1;

	if ((err = p9_virtio_list(&v, &n)) != 0)
		return p9__fail(err, "scanning PCI: %s", strerror(-err));
	for (int i = 0; i < n; i++) {
		if ((tag && !strcmp(v[i].tag, tag)) ||
		    (bdf && !strcmp(v[i].bdf, bdf)))
			hit = i;
		snprintf(found + strlen(found), sizeof found - strlen(found),
		    "%s%s%s%s", i ? ", " : "", v[i].tag[0] ? v[i].tag : "?",
		    " at ", v[i].bdf);
	}
	if (hit < 0) {
		err = p9__fail(-ENODEV, "no virtio-9p device %s %s (found: %s)",
		    tag ? "with tag" : "at", tag ? tag : bdf,
		    n ? found : "none");
		free(v);
		return err;
	}
	if (!v[hit].usable) {
		err = p9__fail(-EBUSY, "%s (%s): %s", v[hit].bdf, v[hit].tag,
		    v[hit].why);
		free(v);
		return err;
	}
	snprintf(out, cap, "%s", v[hit].bdf);
	free(v);
	return 0;
}

/*
 * Hand bdf to vfio-pci.  *orig gets the driver to give it back to ("" if
 * it had none); a device already on vfio-pci (an earlier run that died)
 * keeps the driver that run recorded.
 */
int
pci_bind_vfio(const char *bdf, char *orig, size_t cap, char *group,
    size_t gcap)
{
	char path[PATH_MAX], drv[64], tag[64], g[64];
	int err;

	linkname(bdf, "driver", drv, sizeof drv);
	snprintf(path, sizeof path, STATE "/%s.driver", bdf);
	if (strcmp(drv, "vfio-pci") == 0) {
		if (readline(path, orig, cap) != 0)
			snprintf(orig, cap, "virtio-pci");
	} else {
		tag_of(bdf, tag, sizeof tag);
		snprintf(orig, cap, "%s", drv);
		mkdir("/run", 0755);
		mkdir(STATE, 0755);
		save(path, orig);
		snprintf(path, sizeof path, STATE "/%s.tag", bdf);
		save(path, tag);
		if (drv[0]) {
			snprintf(path, sizeof path, SYSPCI "/%s/driver/unbind",
			    bdf);
			if ((err = writestr(path, bdf)) != 0)
				return p9__fail(err, "%s: unbinding from %s: "
				    "%s", bdf, drv, strerror(-err));
		}
		snprintf(path, sizeof path, SYSPCI "/%s/driver_override", bdf);
		writestr(path, "vfio-pci");
		writestr("/sys/bus/pci/drivers_probe", bdf);
		linkname(bdf, "driver", drv, sizeof drv);
		if (strcmp(drv, "vfio-pci") != 0) {
			pci_restore(bdf, orig);
			return p9__fail(-ENODEV, "%s: vfio-pci did not take the "
			    "device", bdf);
		}
	}
	/*
	 * The group's node appears a moment after the bind: /dev/vfio/N, or
	 * /dev/vfio/noiommu-N for the group VFIO's no-IOMMU mode made.
	 */
	linkname(bdf, "iommu_group", g, sizeof g);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10000000 };

		snprintf(group, gcap, noiommu_node(g) ? "noiommu-%s" : "%s", g);
		snprintf(path, sizeof path, "/dev/vfio/%s", group);
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return 0;	/* vfio_open says what is missing */
}

/* Give bdf back to the driver it had (the default match if none known). */
void
pci_restore(const char *bdf, const char *orig)
{
	char path[PATH_MAX];

	(void)orig;
	writestr("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	snprintf(path, sizeof path, SYSPCI "/%s/driver_override", bdf);
	writestr(path, "\n");
	writestr("/sys/bus/pci/drivers_probe", bdf);
	snprintf(path, sizeof path, STATE "/%s.driver", bdf);
	unlink(path);
	snprintf(path, sizeof path, STATE "/%s.tag", bdf);
	unlink(path);
}

/* Remember the tag read from the device itself (for p9_virtio_list). */
void
pci_note_tag(const char *bdf, const char *tag)
{
	char path[PATH_MAX];

	mkdir("/run", 0755);
	mkdir(STATE, 0755);
	snprintf(path, sizeof path, STATE "/%s.tag", bdf);
	save(path, tag);
}
