/* harness/target/kreport.c: the kernel's own reports in a guest's log
 * (target.h, "kernel reports"): WARNING, BUG, KASAN, UBSAN, lockdep,
 * watchdogs, oopses, the BPF private stack guard. A report is named the
 * way a kernel developer names it ("KASAN: slab-out-of-bounds in
 * check_stack_write"): its kind and the function it points at, which
 * together make a bucket. */
#include "harness/target/target.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a report starts: a line that begins with (after any "[ t]" time
 * stamp or "watchdog: " style prefix is not needed: /dev/kmsg records
 * carry none) one of these. Order matters only for the kind's name. */
static const struct {
	const char *prefix;
	const char *kind;
} starts[] = {
	{ "BUG: KASAN: ", "KASAN" },
	{ "BUG: KFENCE: ", "KFENCE" },
	{ "UBSAN: ", "UBSAN" },
	{ "WARNING: possible circular locking dependency", "LOCKDEP-circular" },
	{ "WARNING: possible recursive locking", "LOCKDEP-recursive" },
	{ "WARNING: inconsistent lock state", "LOCKDEP-inconsistent" },
	{ "WARNING: suspicious RCU usage", "LOCKDEP-RCU" },
	{ "WARNING: bad unlock balance", "LOCKDEP-unlock" },
	{ "WARNING: lock held when returning to user space", "LOCKDEP-held" },
	{ "WARNING: ", "WARNING" },
	{ "watchdog: BUG: soft lockup", "SOFTLOCKUP" },
	{ "BUG: soft lockup", "SOFTLOCKUP" },
	{ "watchdog: Watchdog detected hard LOCKUP", "HARDLOCKUP" },
	{ "INFO: task ", "HUNG" },
	{ "INFO: rcu_", "RCU-STALL" },
	{ "rcu: INFO: rcu_", "RCU-STALL" },
	{ "BUG: scheduling while atomic", "BUG-atomic" },
	{ "BUG: sleeping function called from invalid context", "BUG-sleep" },
	{ "BUG: ", "BUG" },
	{ "Oops", "OOPS" },
	{ "Internal error: ", "OOPS" },
	{ "general protection fault", "GPF" },
	{ "Unable to handle kernel ", "OOPS" },
	{ "kernel BUG at ", "BUG" },
	{ "list_add corruption", "LIST" },
	{ "list_del corruption", "LIST" },
	{ "BPF private stack overflow/underflow detected", "PRIVSTACK" },
	{ "callfuzz agent: kernel log records were lost", NULL },
};

/* Frames that say how a report was printed, not where it happened. */
static const char *const noise[] = {
	"dump_backtrace", "show_stack", "dump_stack", "dump_stack_lvl", "__dump_stack", "panic",
	"__warn", "warn_slowpath_fmt", "report_bug", "bug_handler", "call_break_hook",
	"brk_handler", "do_debug_exception", "el1_dbg", "el1h_64_sync_handler", "el1h_64_sync",
	"handle_bug", "exc_invalid_op", "asm_exc_invalid_op", "do_trap", "do_error_trap",
	"print_report", "print_address_description", "kasan_report", "__kasan_report",
	"kasan_check_range", "__asan_", "__hwasan_", "check_region_inline", "__ubsan_",
	"ubsan_", "__ubsan_handle", "print_circular_bug", "check_noncircular", "check_prev_add",
	"check_prevs_add", "validate_chain", "__lock_acquire", "lock_acquire", "lockdep_",
	"print_usage_bug", "mark_lock", "__might_resched", "__might_sleep", "__might_fault",
	"__schedule_bug", "lockdep_rcu_suspicious", "watchdog_timer_fn", "__hrtimer_run_queues",
	"hrtimer_interrupt", "arch_timer_handler", "handle_percpu_devid_irq",
	"__list_add_valid_or_report", "__list_del_entry_valid_or_report", "__list_add_valid",
	"__list_del_entry_valid", "__bug", "bug",
};

static bool is_noise(const char *fn)
{
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
		size_t n = strlen(noise[i]);

		/* a trailing '_' marks a prefix ("__asan_", "lockdep_") */
		if (noise[i][n - 1] == '_' ? !strncmp(fn, noise[i], n) : !strcmp(fn, noise[i]))
			return true;
	}
	return false;
}

/* The function of a stack-trace line: " check_stack_write+0x1c/0x88 (P)",
 * " ? __warn+0x8e/0x130", "pc : do_check+0x.../0x...", "RIP: 0010:foo+0x..".
 * Unreliable frames ("? ") are skipped. False when the line is none. */
static bool frame_func(const char *line, char *fn, size_t size)
{
	const char *p = line, *e;

	if (!strncmp(p, "pc : ", 5))
		p += 5;
	else if (!strncmp(p, "RIP: ", 5) && (e = strchr(p, ':')) && (e = strchr(e + 1, ':')))
		p = e + 1;
	else if (*p == ' ' || *p == '\t')
		while (*p == ' ' || *p == '\t')
			p++;
	else
		return false;
	if (*p == '?')
		return false;
	e = p;
	while (isalnum((unsigned char)*e) || *e == '_' || *e == '.')
		e++;
	if (e == p || strncmp(e, "+0x", 3))
		return false;
	/* "foo.constprop.0", "foo.isra.0": the function is foo */
	size_t n = (size_t)(e - p);
	const char *dot = memchr(p, '.', n);

	if (dot)
		n = (size_t)(dot - p);
	snprintf(fn, size, "%.*s", (int)n, p);
	return true;
}

/* "KASAN: slab-out-of-bounds in check_stack_write+0x1c/0x88": the kind's
 * detail ("slab-out-of-bounds") and the function after " in ". */
static void parse_in(const char *rest, char *what, size_t wsize, char *fn, size_t fsize)
{
	const char *in = strstr(rest, " in ");
	char buf[96];

	snprintf(what, wsize, "%.*s", (int)(in ? in - rest : (long)strcspn(rest, " \n")), rest);
	if (in && frame_func(in + 3, buf, sizeof(buf)))
		snprintf(fn, fsize, "%s", buf);
}

void kreport_release(struct kreport *r)
{
	free(r->text);
	r->text = NULL;
}

bool kreport_find(const char *log, struct kreport *r)
{
	const char *line, *start = NULL, *kind = NULL;
	size_t plen = 0;
	char detail[80] = "", fn[96] = "", where[96] = "";

	memset(r, 0, sizeof(*r));
	if (!log)
		return false;
	for (line = log; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
			if (strncmp(line, starts[i].prefix, strlen(starts[i].prefix)))
				continue;
			if (!starts[i].kind)
				break;
			start = line;
			kind = starts[i].kind;
			plen = strlen(starts[i].prefix);
			break;
		}
		if (start)
			break;
	}
	if (!start)
		return false;

	size_t tlen = strcspn(start, "\n");

	snprintf(r->title, sizeof(r->title), "%.*s", (int)(tlen < sizeof(r->title) ? tlen : sizeof(r->title) - 1),
		 start);
	/* the kind's detail and the place the title names */
	if (!strcmp(kind, "KASAN") || !strcmp(kind, "KFENCE") || !strcmp(kind, "UBSAN")) {
		parse_in(start + plen, detail, sizeof(detail), where, sizeof(where));
		/* UBSAN names a file:line, not a function: the first frame does */
		if (!strcmp(kind, "UBSAN"))
			where[0] = 0;
	} else if (!strcmp(kind, "WARNING")) {
		/* 7.2: "WARNING: kernel/bpf/fixups.c:1062 at bpf_jit_subprogs+0xa90/0xec8, CPU#0: init/1";
		 * before: "WARNING: CPU: 0 PID: 1 at kernel/bpf/verifier.c:123 do_check+0x../0x.." */
		const char *at = strstr(r->title, " at ");
		const char *sp = at ? strchr(at + 4, ' ') : NULL;

		if (!at || !frame_func(at + 3, where, sizeof(where))) {
			if (sp)
				frame_func(sp, where, sizeof(where));
		}
	} else if (!strcmp(kind, "BUG") || !strcmp(kind, "OOPS")) {
		/* "BUG: unable to handle page fault ...": the first words */
		const char *p = start + plen;

		snprintf(detail, sizeof(detail), "%.*s", (int)strcspn(p, ":,\n"), p);
	}
	/* the first frame that is not the reporting machinery */
	for (line = start; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		char f[96];

		if (line != start && frame_func(line, f, sizeof(f)) && !is_noise(f)) {
			if (!fn[0])
				snprintf(fn, sizeof(fn), "%s", f);
			if (!r->frames[0])
				snprintf(r->frames, sizeof(r->frames), "%s", f);
			else if (strlen(r->frames) + strlen(f) + 2 < sizeof(r->frames) &&
				 !strstr(r->frames, f)) {
				strcat(r->frames, " ");
				strcat(r->frames, f);
			} else {
				break;
			}
		}
	}
	if (!where[0])
		snprintf(where, sizeof(where), "%s", fn);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	snprintf(r->func, sizeof(r->func), "%s", where);
	/* "KASAN-slab-out-of-bounds-check_stack_write", "WARNING-do_check" */
	snprintf(r->name, sizeof(r->name), "%.31s%s%.40s%s%.40s", kind, detail[0] ? "-" : "", detail,
		 where[0] ? "-" : "", where);
	r->text = strdup(start);
	return true;
}
