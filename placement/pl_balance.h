/*
 * pl_balance.h — internals of the draw-factor computation (pl_balance.c), exposed for the unit
 * tests and the benchmark; the public entry point is pl_map_rebalance() in placement.h.
 */
#ifndef TERN_PL_BALANCE_H
#define TERN_PL_BALANCE_H

#include <stdint.h>

#include "placement.h"

#define PL__SOLVE_MAX_ITER 400      /* solver iterations at most */
#define PL__SOLVE_TOL      1e-9     /* stop when every |target / inclusion - 1| is below this */
#define PL__CAP_RATIO      256.0    /* a capped host's rate = this x the sum of uncapped rates */
#define PL_REBALANCE_DELTA 0.25     /* pl_map_rebalance's band (see pl_balance.c) */
#define PL__FACTOR_TOP     524288.0 /* 8.0 in 16.16: the largest uncapped factor */

/*
 * Inclusion probabilities of the first k eligible arrivals of an exponential race with the given
 * rates (n > 0 rates, all > 0), where arrival h is eligible with probability elig[h]
 * independently (elig NULL: all 1; a host with ghosts: real / (real + ghost) rate):
 * pi[h] = integral over t of elig_h rate_h e^{-rate_h t} P(fewer than k of the others arrived
 * eligible by t), by Gauss-Legendre on geometric panels; if dpi != NULL also
 * dpi[h] = d pi[h] / d log(rate_h), the other rates fixed. TN_OK, -EINVAL, -ENOMEM.
 */
int pl__inclusion(const double *rate, const double *elig, uint32_t n, int k, double *pi,
                  double *dpi);

/*
 * Rates whose top-k inclusion equals the capped target shares of weights w (hosts with w <= 0
 * get rate 0 and take no part): uncapped hosts by a damped Newton-like fixed point started
 * from init (or from w if init is NULL); capped hosts (target 1) get PL__CAP_RATIO times the
 * sum of the uncapped rates. capped[] is set per host. *iterations (may be NULL) gets the
 * number of solver iterations. TN_OK, -EINVAL, -ENOMEM.
 */
int pl__solve_rates(const double *w, const double *init, uint32_t n, int k, double *rate,
                    uint8_t *capped, int *iterations);

/* pl_map_rebalance with an explicit band (delta: the share of the binomial variance a host's
 * deviation may add; 0: always store the exact factors), and the same for one size. */
int pl__rebalance(pl_map_t *m, double delta);
int pl__rebalance_size(pl_map_t *m, int size, double delta);

#endif
