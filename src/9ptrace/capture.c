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

/* Feed every packet of p to d until the end, an error or a signal. */
static int
pump(pcap_t *p, struct p9_tdec *d, const char *what, int live)
{
	int lt = pcap_datalink(p), nano, rc;
	struct pcap_pkthdr *h;
	const u_char *pkt;

	nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	while (!stopping) {
		struct timespec ts;

		rc = pcap_next_ex(p, &h, &pkt);
		if (rc == 0)			/* live: the timeout passed */
			continue;
		if (rc == PCAP_ERROR_BREAK)	/* end of the file, or Ctrl-C */
			return 0;
		if (rc < 0 && stopping)
			return 0;
		if (rc < 0) {
			/* a truncated or damaged file: what came before is
			 * decoded, and the damage is reported */
			fprintf(stderr, "9ptrace: %s: %s\n", what,
			    pcap_geterr(p));
			return live ? 1 : 0;
		}
		ts.tv_sec = h->ts.tv_sec;
		ts.tv_nsec = nano ? h->ts.tv_usec : h->ts.tv_usec * 1000L;
		if (p9_tdec_packet(d, lt, &ts, pkt, h->caplen, h->len) ==
		    -EPROTONOSUPPORT) {
			fprintf(stderr, "9ptrace: %s: link type %s (%d) is not "
			    "one 9ptrace decodes\n", what,
			    pcap_datalink_val_to_name(lt) ?
			    pcap_datalink_val_to_name(lt) : "?", lt);
			return 1;
		}
		if (live)
			out_flush();
	}
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
	pcap_set_snaplen(p, 262144);
	pcap_set_immediate_mode(p, 1);
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
