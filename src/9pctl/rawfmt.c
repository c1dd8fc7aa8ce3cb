/*
 * rawfmt.c - how the shell shows what the server sent: a message in the
 * one-line format of p9_fmt (as 9ptrace shows it), a qid as p9_fmt does,
 * and data read, as text or in the layout of hexdump -C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw.h"

void
print_fcall(const struct p9_fcall *f, size_t datamax)
{
	enum p9_dialect d = p9_session_dialect(sess);
	char small[1024], *buf = small;
	int n = p9_fmt(small, sizeof small, f, d, datamax);

	if (n >= (int)sizeof small && (buf = malloc((size_t)n + 1)) != NULL)
		p9_fmt(buf, (size_t)n + 1, f, d, datamax);
	printf("%s\n", buf ? buf : small);
	if (buf != small)
		free(buf);
	fflush(stdout);
}

void
fmt_qid(const struct p9_qid *q, char *out, size_t cap)
{
	static const char bits[] = "dalmAtLH";
	char t[9];
	int n = 0;

	/* as p9_fmt shows a qid */
	for (int i = 0; i < 8; i++)
		if (q->type & (0x80 >> i))
			t[n++] = bits[i];
	t[n] = '\0';
	snprintf(out, cap, "(%016llx %u %s)", (unsigned long long)q->path,
	    q->version, t);
}

/* Text is UTF-8 with no control characters but newline and tab. */
static int
is_text(const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int more;

		if (d[i] < 0x80) {
			if (d[i] < ' ' && d[i] != '\n' && d[i] != '\t')
				return 0;
			if (d[i] == 0x7f)
				return 0;
			continue;
		}
		if ((d[i] & 0xe0) == 0xc0 && d[i] >= 0xc2)
			more = 1;
		else if ((d[i] & 0xf0) == 0xe0)
			more = 2;
		else if ((d[i] & 0xf8) == 0xf0 && d[i] <= 0xf4)
			more = 3;
		else
			return 0;
		for (int k = 0; k < more; k++)
			if (++i >= n || (d[i] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/*
 * Data read: as it is if it is text (with a newline added if it lacks
 * one), else in the layout of hexdump -C with the file's offsets.
 */
void
print_data(const uint8_t *d, uint32_t n, uint64_t off, int hex)
{
	if (n == 0)
		return;
	if (!hex && is_text(d, n)) {
		fwrite(d, 1, n, stdout);
		if (d[n - 1] != '\n')
			putchar('\n');
		fflush(stdout);
		return;
	}
	for (uint32_t i = 0; i < n; i += 16) {
		printf("%08llx ", (unsigned long long)(off + i));
		for (uint32_t k = 0; k < 16; k++) {
			if (k % 8 == 0)
				putchar(' ');
			if (i + k < n)
				printf("%02x ", d[i + k]);
			else
				printf("   ");
		}
		printf(" |");
		for (uint32_t k = 0; k < 16 && i + k < n; k++)
			putchar(d[i + k] >= ' ' && d[i + k] < 0x7f ?
			    d[i + k] : '.');
		printf("|\n");
	}
	fflush(stdout);
}
