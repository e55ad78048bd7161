/*
 * What every unit test includes: cmocka (which needs these headers first)
 * and a few assertions cmocka 1.1 lacks.
 */
#ifndef REPOPOOL_TESTS_UNIT_H
#define REPOPOOL_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

/* cmocka 1.1 only compares floats; times here are doubles. */
#define assert_near(a, b, eps)                                                      \
    do {                                                                            \
        double assert_near_a_ = (a), assert_near_b_ = (b);                          \
        if (!(fabs(assert_near_a_ - assert_near_b_) <= (eps)))                      \
            fail_msg("%s = %.17g, expected %s = %.17g", #a, assert_near_a_, #b,      \
                     assert_near_b_);                                               \
    } while (0)

/* Fails with a message when cond is false; the message says why it matters. */
#define assert_msg(cond, ...)                                                       \
    do {                                                                            \
        if (!(cond))                                                                \
            fail_msg(__VA_ARGS__);                                                  \
    } while (0)

#endif
