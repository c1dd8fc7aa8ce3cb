/*
 * golden.c - decode real traffic byte for byte: the files under
 * tests/data/golden/ hold whole 9P messages captured between diod and its
 * own tools and between diod and Linux's v9fs client (see the README
 * there).  Every message must decode, re-encode to the same bytes, print,
 * and every reply must pass p9_check_reply against its request.
 */
#include <dirent.h>
#include <errno.h>

#include "p9int.h"
#include "tap.h"
#include "hex.h"

struct pending {
	int		used;
	struct p9_fcall	t;
	uint8_t		buf[65536];
};

static struct pending tags[65536 / 64];	/* tags seen are small */

static void
one_file(const char *path)
{
	static char line[300000];
	static uint8_t msg[150000], again[150000];
	static int seen[256];
	enum p9_dialect d = P9_2000L;
	uint32_t msize = 0;
	FILE *fp = fopen(path, "r");
	int nmsg = 0, bad_dec = 0, bad_enc = 0, bad_pair = 0, types = 0;
	char first_err[256] = "";

	if (!ok(fp != NULL, "open %s", path))
		return;
	memset(tags, 0, sizeof tags);
	memset(seen, 0, sizeof seen);
	while (fgets(line, sizeof line, fp)) {
		struct p9_fcall f;
		const char *why = NULL;
		char txt[512];
		int n;

		line[strcspn(line, "\r\n")] = '\0';
		if (sscanf(line, "# dialect: %511s", txt) == 1)
			p9_dialect_parse(txt, &d);
		sscanf(line, "# msize: %u", &msize);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		nmsg++;
		n = unhex(line, msg, sizeof msg);
		if (n < 7 || p9_decode(msg, (size_t)n, (msg[4] & 1) ? msize : 0,
		    d, &f, &why) != 0) {
			if (!bad_dec++)
				snprintf(first_err, sizeof first_err,
				    "line %d: %s", nmsg, why);
			continue;
		}
		if (!seen[f.type]++)
			types++;
		if (p9_encode(again, sizeof again, &f, d) != n ||
		    memcmp(again, msg, (size_t)n) != 0)
			bad_enc++;
		p9_fmt(txt, sizeof txt, &f, d, 16);
		if (strncmp(txt, p9_typename(f.type), 4) != 0)
			bad_enc++;
		if (!(f.type & 1)) {
			struct pending *p = &tags[f.tag % 1024];

			/* keep a copy: f's strings point into msg */
			memcpy(p->buf, msg, (size_t)n);
			p9_decode(p->buf, (size_t)n, 0, d, &p->t, NULL);
			p->used = 1;
		} else {
			struct pending *p = &tags[f.tag % 1024];

			if (!p->used || p9_check_reply(&p->t, &f, d, &why) != 0) {
				if (!bad_pair++)
					snprintf(first_err, sizeof first_err,
					    "line %d: unpaired reply: %s", nmsg,
					    p->used ? why : "no request");
			}
			p->used = 0;
		}
	}
	fclose(fp);
	ok(nmsg > 0 && bad_dec == 0, "%s: all %d messages decode %s", path,
	    nmsg, first_err);
	is(bad_enc, 0, "%s: every message re-encodes to its own bytes and "
	    "prints", path);
	is(bad_pair, 0, "%s: every reply answers its request", path);
	diag("%s: %d distinct message types", path, types);
}

int
main(void)
{
	const char *dir = getenv("P9_TESTDATA");
	char path[4096];
	struct dirent **names;
	int n, files = 0;

	if (dir == NULL)
		dir = "tests/data";
	snprintf(path, sizeof path, "%s/golden", dir);
	n = scandir(path, &names, NULL, alphasort);
	ok(n > 0, "golden data in %s", path);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);

		if (l > 4 && strcmp(nm + l - 4, ".txt") == 0) {
			snprintf(path, sizeof path, "%s/golden/%s", dir, nm);
			one_file(path);
			files++;
		}
		free(names[i]);
	}
	free(names);
	ok(files >= 4, "%d golden files (diod tools and Linux v9fs)", files);
	return done();
}
