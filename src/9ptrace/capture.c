/*
 * capture.c - 9ptrace's libpcap inputs: a capture file (pcap or pcapng,
 * "-" for stdin) and a live interface.  Packets go to the decoder with
 * their link type; timestamps are asked for in nanoseconds.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "9ptrace.h"

/* the live handle, for the signal handler: pcap_breakloop wakes a poll
 * that a signal alone doesn't end */
static pcap_t *volatile live_p;

void
capture_stop(void)
{
	if (live_p)
		pcap_breakloop(live_p);
}

static int
set_filter(pcap_t *p, const char *expr)
{
	struct bpf_program prog;

	if (expr == NULL)
		return 0;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(stderr, "9ptrace: filter '%s': %s\n", expr,
		    pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		fprintf(stderr, "9ptrace: filter '%s': %s\n", expr,
		    pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* A packet's time (the handle asked for nanoseconds, or gives micro). */
static struct timespec
when(pcap_t *p, const struct pcap_pkthdr *h)
{
	struct timespec ts;

	ts.tv_sec = h->ts.tv_sec;
	ts.tv_nsec = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ?
	    h->ts.tv_usec : h->ts.tv_usec * 1000L;
	return ts;
}

/* One packet to the decoder: 0, or 1 for a link type it cannot decode. */
static int
feed(pcap_t *p, struct p9_tdec *d, const char *what,
    const struct pcap_pkthdr *h, const u_char *pkt)
{
	int lt = pcap_datalink(p);
	struct timespec ts = when(p, h);

	if (p9_tdec_packet(d, lt, &ts, pkt, h->caplen, h->len) ==
	    -EPROTONOSUPPORT) {
		fprintf(stderr, "9ptrace: %s: link type %s (%d) is not one "
		    "9ptrace decodes\n", what, pcap_datalink_val_to_name(lt) ?
		    pcap_datalink_val_to_name(lt) : "?", lt);
		return 1;
	}
	return 0;
}

/*
 * Live, at Ctrl-C: what the kernel captured before the signal and
 * 9ptrace had not read yet (a busy machine runs the capture late) is
 * decoded too, without waiting for more.
 */
static void
drain(pcap_t *p, struct p9_tdec *d, const char *what)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int rc, broke = 0, waited = 0;

	/*
	 * Without waiting: an idle ring would keep a blocking read forever.
	 * The kernel hands over the block it is filling when the handle's
	 * timeout (100 ms) runs out, so an empty read waits that once; a
	 * packet from after the signal ends the drain too.  A pcap_breakloop
	 * that found no read under way ends the next one.
	 */
	if (pcap_setnonblock(p, 1, err) != 0)
		return;
	for (;;) {
		struct timespec ts;

		rc = pcap_next_ex(p, &h, &pkt);
		if (rc == PCAP_ERROR_BREAK && !broke++)
			continue;
		if (rc == 0 && !waited++) {
			ts = (struct timespec){ 0, 150000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (rc != 1)
			break;
		ts = when(p, h);
		if (ts.tv_sec > stopped_at.tv_sec ||
		    (ts.tv_sec == stopped_at.tv_sec &&
		    ts.tv_nsec > stopped_at.tv_nsec))
			break;
		if (feed(p, d, what, h, pkt) != 0)
			break;
	}
	out_flush();
}

/* Feed every packet of p to d until the end, an error or a signal. */
static int
pump(pcap_t *p, struct p9_tdec *d, const char *what, int live)
{
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int rc;

	while (!stopping) {
		rc = pcap_next_ex(p, &h, &pkt);
		if (rc == 0)			/* live: the timeout passed */
			continue;
		if (rc == PCAP_ERROR_BREAK || (rc < 0 && stopping))
			break;			/* end of the file, or Ctrl-C */
		if (rc < 0) {
			/* a truncated or damaged file: what came before is
			 * decoded, and the damage is reported */
			fprintf(stderr, "9ptrace: %s: %s\n", what,
			    pcap_geterr(p));
			return live ? 1 : 0;
		}
		if (feed(p, d, what, h, pkt) != 0)
			return 1;
		if (live)
			out_flush();
	}
	if (live && stopping)
		drain(p, d, what);
	return 0;
}

int
read_capture(struct p9_tdec *d, const char *file, const char *expr)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(file,
	    PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL) {
		fprintf(stderr, "9ptrace: %s: %s\n", file, err);
		return 1;
	}
	if (set_filter(p, expr) != 0) {
		pcap_close(p);
		return 2;
	}
	rc = pump(p, d, file, 0);
	pcap_close(p);
	return rc;
}

int
live_capture(struct p9_tdec *d, const char *iface, const char *expr)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc;

	if ((p = pcap_create(iface, err)) == NULL) {
		fprintf(stderr, "9ptrace: %s: %s\n", iface, err);
		return 1;
	}
	/*
	 * Not immediate mode: that gives every packet a ring slot of the
	 * snap length, so the default 2 MiB ring held 7 packets and a busy
	 * machine dropped the rest.  Packets are packed in blocks instead,
	 * handed over when full or after 100 ms, in a 32 MiB ring.
	 */
	pcap_set_snaplen(p, 262144);
	pcap_set_buffer_size(p, 32 << 20);
	pcap_set_timeout(p, 100);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	if ((rc = pcap_activate(p)) < 0) {
		fprintf(stderr, "9ptrace: %s: %s\n", iface,
		    rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
		    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (capturing "
		    "needs root or CAP_NET_RAW)" : pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	/* every TCP packet: connections on other ports are found by their
	 * Tversion */
	if (set_filter(p, expr ? expr : "tcp") != 0) {
		pcap_close(p);
		return 2;
	}
	fprintf(stderr, "9ptrace: listening on %s\n", iface);
	live_p = p;
	rc = pump(p, d, iface, 1);
	live_p = NULL;
	pcap_close(p);
	return rc;
}
