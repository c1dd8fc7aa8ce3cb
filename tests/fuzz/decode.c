/*
 * decode.c - libFuzzer target for the codec: p9_decode of any bytes in any
 * dialect, then everything that trusts a decoded message: re-encoding
 * (which must give back the very same bytes), p9_check_reply, the
 * printers, the errno tables, and the 9P2000 stat and 9P2000.L directory
 * entry decoders on the data (each entry that decodes must re-encode to
 * its own bytes).  The decoders run on the raw bytes too, whatever
 * p9_decode thought of them.
 *
 * Input: one selector byte (dialect = b % 3; bit 2: msize 8192, else no
 * limit), then the message.  FUZZ_SEEDS=DIR writes seeds into DIR (every
 * message of tests/data/golden, and one of each type in each dialect)
 * and exits; see tests/fuzz/README.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p9.h"
#include "../unit/hex.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* a crash libFuzzer reports with the reason on stderr */
#define CHECK(c, why)	do { if (!(c)) { \
	fprintf(stderr, "decode: %s\n", why); abort(); } } while (0)

static uint8_t again[1 << 20];

/* Every entry of data[n]: 9P2000 / .u stats, or 9P2000.L dirents. */
static void
entries(const uint8_t *p, size_t n, int kind)
{
	while (n > 0) {
		struct p9_stat st;
		struct p9_dirent de;
		ssize_t used, w;

		if (kind == 2) {
			if ((used = p9_dirent_decode(p, n, &de)) <= 0)
				return;
			w = p9_dirent_encode(again, sizeof again, &de);
		} else {
			enum p9_dialect d = kind ? P9_2000U : P9_2000;

			if ((used = p9_stat_decode(p, n, d, &st)) <= 0)
				return;
			CHECK(p9_stat_size(&st, d) == (size_t)used,
			    "p9_stat_size disagrees with the decoder");
			w = p9_stat_encode(again, sizeof again, &st, d);
		}
		CHECK(w == used && memcmp(again, p, (size_t)used) == 0,
		    "an entry does not re-encode to its own bytes");
		CHECK((size_t)used <= n, "an entry longer than its buffer");
		p += used;
		n -= (size_t)used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[8192];
	struct p9_fcall f, t;
	enum p9_dialect d;
	const char *why = NULL;
	uint32_t msize;
	uint8_t *m;
	size_t n;
	ssize_t w;
	int rc;

	if (size < 1)
		return 0;
	d = (enum p9_dialect)(data[0] % 3);
	msize = data[0] & 4 ? 8192 : 0;
	n = size - 1;
	/* a buffer of the exact size, so that ASan sees any overread */
	if ((m = malloc(n ? n : 1)) == NULL)
		return 0;
	memcpy(m, data + 1, n);
	for (int k = 0; k < 3; k++)
		entries(m, n, k);

	rc = p9_decode(m, n, msize, d, &f, &why);
	CHECK(rc == 0 || ((rc == -EBADMSG || rc == -EMSGSIZE) && why &&
	    *why), "p9_decode failed without a reason");
	if (rc != 0) {
		free(m);
		return 0;
	}
	CHECK(p9_size(&f, d) == n, "p9_size disagrees with the decoder");
	w = p9_encode(again, sizeof again, &f, d);
	CHECK(w == (ssize_t)n && memcmp(again, m, n) == 0,
	    "a decoded message does not re-encode to its own bytes");
	/* printers, cut short and whole */
	for (size_t cap = 1; cap <= sizeof out; cap *= 64) {
		int l = p9_fmt(out, cap, &f, d, cap / 4);

		CHECK(l >= 0 && strlen(out) < cap, "p9_fmt overran its buffer");
		l = p9_fmt_json(out, cap, &f, d, cap / 4);
		CHECK(l >= 0 && strlen(out) < cap, "p9_fmt_json overran");
	}
	/* as a reply to a request of the type before it */
	memset(&t, 0, sizeof t);
	t.type = (uint8_t)(f.type - 1);
	t.tag = f.tag;
	t.msize = (uint32_t)n * 7;
	t.nwname = (uint16_t)(n % 17);
	t.count = (uint32_t)n * 3;
	rc = p9_check_reply(&t, &f, d, &why);
	CHECK(rc == 0 || (rc == -EPROTO && why), "p9_check_reply without "
	    "a reason");
	if (f.type == P9_Rerror)
		(void)p9_errno_from_string(f.ename.s, f.ename.len);
	if (f.type == P9_Rlerror || f.type == P9_Rerror) {
		(void)p9_errno_name(f.ecode);
		CHECK(p9_errno_from_linux(f.ecode) > 0,
		    "an errno of 0 or less");
	}
	if (f.type == P9_Rread || f.type == P9_Twrite)
		entries(f.data, f.count, d == P9_2000U);
	if (f.type == P9_Rreaddir)
		entries(f.data, f.count, 2);
	free(m);
	return 0;
}

/* ---- seeds ------------------------------------------------------------- */

static int nseed;

static void
seed(const char *dir, uint8_t sel, const uint8_t *m, size_t n)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/seed-%04d", dir, nseed++);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	fputc(sel, fp);
	fwrite(m, 1, n, fp);
	fclose(fp);
}

/* Every message of every golden capture (9P2000.L), whole. */
static void
golden(const char *out)
{
	const char *td = getenv("P9_TESTDATA");
	static char line[300000];
	char path[4096];
	struct dirent *e;
	DIR *dp;

	snprintf(path, sizeof path, "%s/golden", td ? td : "tests/data");
	if ((dp = opendir(path)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		size_t l = strlen(e->d_name);
		FILE *fp;

		if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
			continue;
		snprintf(path, sizeof path, "%s/golden/%s", td ? td :
		    "tests/data", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, fp)) {
			int n;

			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' || line[0] == '\0')
				continue;
			if ((n = unhex(line, again, sizeof again)) >= 7)
				seed(out, P9_2000L, again, (size_t)n);
		}
		fclose(fp);
	}
	closedir(dp);
}

/* One message of each type in each dialect, with a little in it. */
static void
every_type(const char *out)
{
	for (int type = 0; type < 256; type++)
		for (int d = P9_2000; d <= P9_2000L; d++) {
			struct p9_fcall f = { .type = (uint8_t)type, .tag = 3,
			    .nwname = 2, .nwqid = 1, .count = 5,
			    .data = (const uint8_t *)"hello" };
			ssize_t n;

			if (!p9_type_in(type, (enum p9_dialect)d))
				continue;
			f.wname[0] = (struct p9_str){ "usr", 3 };
			f.wname[1] = (struct p9_str){ "lib", 3 };
			f.name = f.version = f.ename =
			    (struct p9_str){ "x", 1 };
			f.stat.name = (struct p9_str){ "st", 2 };
			f.msize = 8192;
			if ((n = p9_encode(again, sizeof again, &f,
			    (enum p9_dialect)d)) > 0)
				seed(out, (uint8_t)d, again, (size_t)n);
		}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *out = getenv("FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (out == NULL)
		return 0;
	golden(out);
	every_type(out);
	fprintf(stderr, "decode: %d seeds in %s\n", nseed, out);
	exit(0);
}
