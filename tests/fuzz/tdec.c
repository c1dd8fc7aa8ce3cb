/*
 * tdec.c - libFuzzer target for 9ptrace's stream decoder (lib/trace): the
 * input is either two interleaved byte streams of one connection or a run
 * of captured packets, and every message decoded is rendered in all three
 * output formats.  No input may crash it, read out of bounds or leak.
 *
 * Input: byte 0 picks the mode.
 *   even: streams.  Then records of [dir|len (1 byte)][len bytes]: the
 *         low bit of the first byte is the direction, the rest the length
 *         (0 = a gap of 100 bytes).
 *   odd:  packets.  Byte 1 picks the link type from a list; then records
 *         of [len (2 bytes, big-endian)][len bytes].
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "p9.h"

static void
on_msg(void *arg, const struct p9_tmsg *m)
{
	static char buf[1 << 16];

	(void)arg;
	p9_tmsg_fmt(buf, sizeof buf, m, P9_TFMT_LINE, 64);
	p9_tmsg_fmt(buf, sizeof buf, m, P9_TFMT_VERBOSE, 64);
	p9_tmsg_fmt(buf, sizeof buf, m, P9_TFMT_JSON, 64);
	p9_tmsg_fmt(buf, 10, m, P9_TFMT_JSON, 64);	/* cut short */
}

static void
on_note(void *arg, unsigned conn, const struct timespec *ts, const char *t)
{
	(void)arg, (void)conn, (void)ts, (void)t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = { 0, 1, 12, 101, 108, 113, 228, 229, 276 };
	static const struct p9_tdec_cb cb = { on_msg, on_note };
	struct timespec ts = { 1, 0 };
	struct p9_tdec *d;
	size_t i;

	if (size < 2 || (d = p9_tdec_new(&cb, NULL)) == NULL)
		return 0;
	if (!(data[0] & 1)) {
		unsigned c = p9_tdec_open(d, "fuzz");

		for (i = 1; i < size;) {
			int dir = data[i] & 1;
			size_t n = data[i] >> 1;

			i++;
			if (n == 0) {
				p9_tdec_gap(d, c, dir, 100);
				continue;
			}
			if (n > size - i)
				n = size - i;
			ts.tv_nsec += 1000;
			p9_tdec_bytes(d, c, dir, &ts, data + i, n);
			i += n;
		}
		p9_tdec_close(d, c);
	} else {
		int lt = links[data[1] % (sizeof links / sizeof links[0])];
		uint16_t ports[2] = { 564, 5640 };

		p9_tdec_ports(d, ports, 2);
		for (i = 2; i + 2 <= size;) {
			size_t n = (size_t)data[i] << 8 | data[i + 1];

			i += 2;
			if (n > size - i)
				n = size - i;
			ts.tv_nsec += 1000;
			p9_tdec_packet(d, lt, &ts, data + i, n, n + (n & 3));
			i += n;
		}
	}
	p9_tdec_finish(d);
	p9_tdec_free(d);
	return 0;
}
