/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest_compat.h: the subset of tools/testing/selftests/kselftest.h
 * that the cabacheck reproducers use, for building them outside a kernel
 * tree. Same names, same TAP output, same exit codes. Inside
 * tools/testing/selftests/caba/ the programs include ../kselftest.h instead.
 * Written for cabacheck (reproduce/templates); not a copy of the kernel file.
 */
#ifndef CABA_KSELFTEST_COMPAT_H
#define CABA_KSELFTEST_COMPAT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_XFAIL 2
#define KSFT_XPASS 3
#define KSFT_SKIP 4

struct ksft_count {
	unsigned int ksft_pass, ksft_fail, ksft_xfail, ksft_xpass, ksft_xskip, ksft_error;
};

static struct ksft_count ksft_cnt;
static unsigned int ksft_plan;

static inline unsigned int ksft_test_num(void)
{
	return ksft_cnt.ksft_pass + ksft_cnt.ksft_fail + ksft_cnt.ksft_xfail + ksft_cnt.ksft_xpass +
	       ksft_cnt.ksft_xskip + ksft_cnt.ksft_error;
}

static inline int ksft_get_fail_cnt(void) { return ksft_cnt.ksft_fail; }
static inline int ksft_get_xskip_cnt(void) { return ksft_cnt.ksft_xskip; }

static inline void ksft_print_header(void)
{
	if (!getenv("KSFT_TAP_LEVEL"))
		printf("TAP version 13\n");
}

static inline void ksft_set_plan(unsigned int plan)
{
	ksft_plan = plan;
	printf("1..%u\n", plan);
}

static inline void ksft_print_cnts(void)
{
	if (ksft_plan != ksft_test_num())
		printf("# Planned tests != run tests (%u != %u)\n", ksft_plan, ksft_test_num());
	printf("# Totals: pass:%u fail:%u xfail:%u xpass:%u skip:%u error:%u\n", ksft_cnt.ksft_pass,
	       ksft_cnt.ksft_fail, ksft_cnt.ksft_xfail, ksft_cnt.ksft_xpass, ksft_cnt.ksft_xskip,
	       ksft_cnt.ksft_error);
}

static inline void ksft_vreport(const char *prefix, unsigned int *cnt, const char *msg, va_list ap)
{
	(*cnt)++;
	printf(prefix, ksft_test_num());
	vprintf(msg, ap);
}

static inline void ksft_print_msg(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	printf("# ");
	vprintf(msg, ap);
	va_end(ap);
}

static inline void ksft_test_result_pass(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	ksft_vreport("ok %u ", &ksft_cnt.ksft_pass, msg, ap);
	va_end(ap);
}

static inline void ksft_test_result_fail(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	ksft_vreport("not ok %u ", &ksft_cnt.ksft_fail, msg, ap);
	va_end(ap);
}

static inline void ksft_test_result_skip(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	ksft_vreport("ok %u # SKIP ", &ksft_cnt.ksft_xskip, msg, ap);
	va_end(ap);
}

static inline int ksft_exit_pass(void)
{
	ksft_print_cnts();
	exit(KSFT_PASS);
}

static inline int ksft_exit_fail(void)
{
	ksft_print_cnts();
	exit(KSFT_FAIL);
}

static inline int ksft_exit_fail_msg(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	printf("Bail out! ");
	vprintf(msg, ap);
	va_end(ap);
	ksft_print_cnts();
	exit(KSFT_FAIL);
}

static inline int ksft_exit_skip(const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	if (ksft_plan || ksft_test_num()) {
		ksft_cnt.ksft_xskip++;
		printf("ok %u # SKIP ", 1 + ksft_test_num());
	} else {
		printf("1..0 # SKIP ");
	}
	vprintf(msg, ap);
	va_end(ap);
	if (ksft_test_num())
		ksft_print_cnts();
	exit(KSFT_SKIP);
}

#endif /* CABA_KSELFTEST_COMPAT_H */
