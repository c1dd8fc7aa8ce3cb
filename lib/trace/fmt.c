/*
 * fmt.c - a decoded message as 9ptrace shows it: one line (Plan 9 style,
 * each fid with its path as strace -y shows file descriptors), one field
 * per line, or one JSON object.  Replies carry their request's type and
 * latency; errors their errno name and text; directory reads their
 * entries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trace/tdec.h"

#define put	p9__out_fmt

/* A p9__fmt* result appended at o (it is snprintf-like too). */
static void
took(struct p9__out *o, int n)
{
	if (n > 0)
		o->len += (size_t)n;
}

static char *
at(struct p9__out *o)
{
	return o->len < o->cap ? o->p + o->len : NULL;
}

static size_t
room(struct p9__out *o)
{
	return o->len < o->cap ? o->cap - o->len : 0;
}

/* HH:MM:SS.uuuuuu in local time; localtime_r once per second */
static void
clock_str(struct p9__out *o, const struct timespec *ts)
{
	static time_t last = -1;
	static char hms[16];
	char us[8];
	long v = ts->tv_nsec / 1000;

	if (ts->tv_sec != last) {
		struct tm tm;
		time_t t = ts->tv_sec;

		localtime_r(&t, &tm);
		snprintf(hms, sizeof hms, "%02d:%02d:%02d.", tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		last = ts->tv_sec;
	}
	p9__out_raw(o, hms, 9);
	for (int i = 5; i >= 0; i--, v /= 10)
		us[i] = (char)('0' + v % 10);
	p9__out_raw(o, us, 6);
}

/* " 0.123 ms" from nanoseconds, rounded to microseconds */
static void
ms_str(struct p9__out *o, int64_t ns)
{
	uint64_t us;
	char frac[3];

	if (ns < 0) {
		p9__out_raw(o, " -", 2);
		ns = -ns;
	} else {
		p9__out_raw(o, " ", 1);
	}
	us = ((uint64_t)ns + 500) / 1000;
	p9__out_u64(o, us / 1000);
	frac[0] = (char)('0' + us / 100 % 10);
	frac[1] = (char)('0' + us / 10 % 10);
	frac[2] = (char)('0' + us % 10);
	p9__out_raw(o, ".", 1);
	p9__out_raw(o, frac, 3);
	p9__out_raw(o, " ms", 3);
}

static void
hex_preview(struct p9__out *o, const uint8_t *p, uint32_t n, size_t max)
{
	for (uint32_t i = 0; i < n && i < max; i++)
		put(o, "%02x", p[i]);
	if (n > max)
		put(o, "...");
}

/* The file a reply is about: a walk's target, else the request's fid. */
static const char *
reply_path(const struct p9_tmsg *m)
{
	if (m->req == NULL)
		return NULL;
	if ((m->req->type == P9_Twalk || m->req->type == P9_Txattrwalk) &&
	    m->path[1])
		return m->path[1];
	return m->path[0];
}

int
p9_tmsg_fmt(char *buf, size_t cap, const struct p9_tmsg *m,
    enum p9_tdec_fmt how, size_t datamax)
{
	struct p9__out o = { buf, cap, 0 };
	struct p9__fmtx x = { { m->path[0], m->path[1] }, 1,
	    how == P9_TFMT_VERBOSE, 0 };
	const char *tn = p9_typename(m->f.type);

	if (cap)
		buf[0] = '\0';
	if (m->err == 0 && m->f.type == P9_Rreaddir)
		x.dirents = 1;
	else if (m->err == 0 && m->dirread)
		x.dirents = 2;

	if (how == P9_TFMT_JSON) {
		put(&o, "{\"time\":%lld.%09ld,\"conn\":%u,\"from\":\"%s\","
		    "\"msglen\":%u,\"dialect\":\"%s\"", (long long)m->time.tv_sec,
		    m->time.tv_nsec, m->conn, m->fromserver ? "server" :
		    "client", m->len, p9_dialect_name(m->dialect));
		if (m->err) {
			put(&o, ",\"type\":");
			if (tn)
				put(&o, "\"%s\"", tn);
			else
				put(&o, "null,\"typenum\":%u", m->f.type);
			put(&o, ",\"tag\":%u,\"malformed\":\"%s\",\"raw\":\"",
			    m->f.tag, m->why ? m->why : "?");
			hex_preview(&o, m->raw, m->len, datamax);
			put(&o, "\"}");
			return (int)o.len;
		}
		/* the message's own object, its "{" replaced by our "," */
		if (room(&o) > 0)
			o.p[o.len] = '\0';
		{
			size_t start = o.len;
			int n = p9__fmt_json(at(&o), room(&o), &m->f,
			    m->dialect, datamax, &x);

			took(&o, n);
			if (start < o.cap)
				o.p[start] = ',';
			if (o.len >= 1)
				o.len--;	/* its "}" */
			if (o.len < o.cap)
				o.p[o.len] = '\0';
		}
		if (m->req) {
			const char *rp = reply_path(m);

			put(&o, ",\"req\":\"%s\",\"latency_ns\":%lld",
			    p9_typename(m->req->type),
			    (long long)m->latency_ns);
			if (rp) {
				put(&o, ",\"path\":\"");
				for (const unsigned char *c = (const unsigned
				    char *)rp; *c; c++) {
					if (*c == '"' || *c == '\\')
						put(&o, "\\%c", *c);
					else if (*c < ' ' || *c >= 0x7f)
						put(&o, "\\u%04x", *c);
					else
						put(&o, "%c", *c);
				}
				put(&o, "\"");
			}
		}
		put(&o, "}");
		return (int)o.len;
	}

	clock_str(&o, &m->time);
	p9__out_raw(&o, " #", 2);
	p9__out_u64(&o, m->conn);
	p9__out_raw(&o, " ", 1);
	if (m->err) {
		if (tn)
			put(&o, "%s tag %u", tn, m->f.tag);
		else
			put(&o, "type %u tag %u", m->f.type, m->f.tag);
		put(&o, " !malformed: %s (%u bytes: ", m->why ? m->why : "?",
		    m->len);
		hex_preview(&o, m->raw, m->len, datamax < 64 ? datamax : 64);
		put(&o, ")");
		return (int)o.len;
	}
	took(&o, p9__fmt(at(&o), room(&o), &m->f, m->dialect, datamax, &x));
	if (how == P9_TFMT_VERBOSE) {
		put(&o, "\n\tsize %u\n\tdialect %s", m->len,
		    p9_dialect_name(m->dialect));
		if (m->req)
			put(&o, "\n\trequest %s%s%s\n\tlatency %.3f ms",
			    p9_typename(m->req->type), reply_path(m) ? " " :
			    "", reply_path(m) ? reply_path(m) : "",
			    (double)m->latency_ns / 1e6);
	} else if (m->req) {
		p9__out_raw(&o, " [", 2);
		p9__out_str(&o, p9_typename(m->req->type));
		if (reply_path(m)) {
			p9__out_raw(&o, " ", 1);
			p9__out_str(&o, reply_path(m));
		}
		ms_str(&o, m->latency_ns);
		p9__out_raw(&o, "]", 1);
	}
	return (int)o.len;
}
