/* exp and log exactly as Rust's libm crate computes them (its ports of FreeBSD msun's
 * e_exp.c and e_log.c), the functions constriction's Laplace model calls: its CDF and
 * inverse must come out bit for bit the same here (see docs/NATIVE.md). */
#ifndef INVCODEC_MSUN_MATH_H
#define INVCODEC_MSUN_MATH_H

double msun_exp(double x);
double msun_log(double x);

#endif
