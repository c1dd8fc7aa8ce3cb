/*
 * badinput.c - the decoder and reply checker against malformed input:
 * every case is a clear error (errno and reason), never a crash or a read
 * outside the buffer.  Buffers are allocated at their exact size so that
 * AddressSanitizer (CI builds this with -fsanitize=address,undefined)
 * catches any overread.  Ends with every truncation and every one-byte
 * corruption of a valid message of each type.
 */
#include <errno.h>

#include "p9int.h"
#include "tap.h"

static size_t lastlen;

/* Build a message from a hex-ish byte list; size[4] is patched unless set. */
static uint8_t *
msg(size_t *len, int patch, const uint8_t *b, size_t n)
{
	uint8_t *m = malloc(n);

	memcpy(m, b, n);
	if (patch) {
		m[0] = (uint8_t)n;
		m[1] = (uint8_t)(n >> 8);
		m[2] = m[3] = 0;
	}
	*len = n;
	lastlen = n;
	return m;
}

#define MSG(patch, ...) \
	msg(&len, patch, (const uint8_t[]){ __VA_ARGS__ }, \
	    sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Decode m (len 0: as long as MSG built it) and expect err and reason. */
static void
expect(uint8_t *m, size_t len, uint32_t msize, enum p9_dialect d, int want,
    const char *reason, const char *name)
{
	struct p9_fcall f;
	const char *why = NULL;
	int rc = p9_decode(m, len ? len : lastlen, msize, d, &f, &why);

	ok(rc == want && why && strstr(why, reason) != NULL,
	    "%s: %s (%s)", name, why ? why : "accepted", strerror(-rc));
	free(m);
}

static void
reply_checks(void)
{
	struct p9_fcall t = { 0 }, r = { 0 };
	const char *why = "";

	t.type = P9_Twalk; t.tag = 5; t.nwname = 1;
	r.type = P9_Rwalk; r.tag = 5; r.nwqid = 2;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "nwqid above nwname"), "nwqid > nwname: %s", why);
	t = (struct p9_fcall){ .type = P9_Tread, .tag = 1, .count = 10 };
	r = (struct p9_fcall){ .type = P9_Rread, .tag = 1, .count = 20 };
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "count above"), "Rread count > requested: %s", why);
	t.type = P9_Treaddir;
	r.type = P9_Rreaddir;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO,
	    "Rreaddir count > requested: %s", why);
	t = (struct p9_fcall){ .type = P9_Tclunk, .tag = 2 };
	r = (struct p9_fcall){ .type = P9_Tclunk, .tag = 2 };
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "T-message"), "a T where an R is expected: %s", why);
	r.type = P9_Rremove;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "does not match"), "Rremove answering Tclunk: %s", why);
	r.type = P9_Rlerror;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == 0,
	    "Rlerror may stand in for any reply in 9P2000.L");
	r.type = P9_Rerror;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO,
	    "Rerror may not stand in for a reply in 9P2000.L");
	ok(p9_check_reply(&t, &r, P9_2000U, &why) == 0,
	    "Rerror may stand in for any reply in 9P2000.u");
	r.type = P9_Rlerror;
	ok(p9_check_reply(&t, &r, P9_2000, &why) == -EPROTO,
	    "Rlerror may not stand in for a reply in 9P2000");
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = 3 };
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "tag"), "reply with another tag: %s", why);
	t = (struct p9_fcall){ .type = P9_Tversion, .tag = P9_NOTAG,
	    .msize = 8192 };
	r = (struct p9_fcall){ .type = P9_Rversion, .tag = P9_NOTAG,
	    .msize = 8193 };
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == -EPROTO &&
	    strstr(why, "msize"), "Rversion msize above the request: %s", why);
	r.msize = 8192;
	ok(p9_check_reply(&t, &r, P9_2000L, &why) == 0,
	    "Rversion msize equal to the request is fine");
}

/* Every prefix and every single-byte corruption of one valid message. */
static int
mutate(int type, enum p9_dialect d)
{
	struct p9_fcall f = { .type = (uint8_t)type, .tag = 7, .nwname = 2,
	    .nwqid = 3, .count = 5, .data = (const uint8_t *)"hello" };
	uint8_t buf[4096];
	ssize_t n;
	int crashes = 0;

	f.wname[0] = p9__str("usr");
	f.wname[1] = p9__str("lib");
	f.name = p9__str("name");
	f.stat.name = p9__str("st");
	n = p9_encode(buf, sizeof buf, &f, d);
	if (n <= 0)
		return 1;
	for (ssize_t cut = 0; cut < n; cut++) {
		uint8_t *m = malloc((size_t)cut + 1);
		struct p9_fcall g;

		memcpy(m, buf, (size_t)cut);
		if (cut >= 4) {	/* a consistent size field, short body */
			m[0] = (uint8_t)cut;
			m[1] = (uint8_t)(cut >> 8);
			m[2] = m[3] = 0;
		}
		if (cut < n && p9_decode(m, (size_t)cut, 0, d, &g, NULL) == 0)
			crashes++;	/* a truncated message must not pass */
		free(m);
	}
	for (ssize_t i = 4; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			uint8_t *m = malloc((size_t)n);
			struct p9_fcall g;

			memcpy(m, buf, (size_t)n);
			m[i] ^= (uint8_t)(1 << bit);
			(void)p9_decode(m, (size_t)n, 0, d, &g, NULL);
			free(m);
		}
	return crashes;
}

int
main(void)
{
	size_t len;
	int bad = 0, n = 0;

	expect(MSG(0, 5, 0, 0, 0, 121, 0), 6, 0, P9_2000L, -EBADMSG,
	    "shorter than", "a buffer shorter than the header");
	expect(MSG(0, 5, 0, 0, 0, 121, 0, 0), 7, 0, P9_2000L, -EBADMSG,
	    "below 7", "size < 7");
	expect(MSG(0, 0x00, 0x20, 0, 0, 121, 0, 0), 7, 4096, P9_2000L,
	    -EMSGSIZE, "above msize", "size > msize");
	expect(MSG(0, 100, 0, 0, 0, 121, 0, 0, 0, 0), 10, 0, P9_2000L,
	    -EBADMSG, "past the buffer", "size past the buffer");
	expect(MSG(0, 7, 0, 0, 0, 121, 1, 0, 0xaa), 8, 0, P9_2000L, -EBADMSG,
	    "bytes after", "buffer longer than the size field");
	/* Rversion msize 8192, version "9P2000.L" claimed 50 bytes long */
	expect(MSG(1, 0, 0, 0, 0, 101, 0xff, 0xff, 0, 0x20, 0, 0, 50, 0,
	    '9', 'P', '2'), 0, 0, P9_2000L, -EBADMSG, "string runs past",
	    "a string running past the end");
	/* Twalk fid 0 newfid 1 nwname 17 */
	expect(MSG(1, 0, 0, 0, 0, 110, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 17, 0),
	    0, 0, P9_2000L, -EBADMSG, "nwname above 16", "nwname > 16");
	/* Rwalk nwqid 17 */
	expect(MSG(1, 0, 0, 0, 0, 111, 1, 0, 17, 0), 0, 0, P9_2000L,
	    -EBADMSG, "nwqid above 16", "nwqid > 16");
	/* Rread count 100, 3 bytes of data */
	expect(MSG(1, 0, 0, 0, 0, 117, 1, 0, 100, 0, 0, 0, 'a', 'b', 'c'), 0,
	    0, P9_2000L, -EBADMSG, "count runs past", "Rread count > body");
	/* Rreaddir count 50, 2 bytes */
	expect(MSG(1, 0, 0, 0, 0, 41, 1, 0, 50, 0, 0, 0, 1, 2), 0, 0,
	    P9_2000L, -EBADMSG, "count runs past", "Rreaddir count > body");
	/* Rclunk with two trailing bytes inside its size */
	expect(MSG(1, 0, 0, 0, 0, 121, 1, 0, 0xde, 0xad), 0, 0, P9_2000L,
	    -EBADMSG, "trailing bytes", "trailing bytes");
	expect(MSG(1, 0, 0, 0, 0, 200, 1, 0), 0, 0, P9_2000L, -EBADMSG,
	    "unknown message type", "unknown type 200");
	expect(MSG(1, 0, 0, 0, 0, 106, 1, 0, 0, 0), 0, 0, P9_2000, -EBADMSG,
	    "unknown message type", "Terror is never valid");
	expect(MSG(1, 0, 0, 0, 0, 113, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0), 0, 0, P9_2000L, -EBADMSG, "not in the negotiated",
	    "Ropen in 9P2000.L");
	/* Rstat whose inner stat size disagrees with n[2] */
	expect(MSG(1, 0, 0, 0, 0, 125, 1, 0, 4, 0, 9, 0, 0, 0), 0, 0, P9_2000,
	    -EBADMSG, "stat", "stat size inconsistent with n[2]");
	reply_checks();

	for (int t = 0; t < 256; t++)
		for (int d = P9_2000; d <= P9_2000L; d++)
			if (p9_type_in(t, (enum p9_dialect)d)) {
				bad += mutate(t, (enum p9_dialect)d);
				n++;
			}
	ok(bad == 0 && n > 100, "%d messages: every truncation refused, every "
	    "bit flip survived", n);
	return done();
}
