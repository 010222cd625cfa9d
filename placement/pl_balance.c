/*
 * pl_balance.c — the per-host draw factors that correct the multipick anomaly of the flat rule
 * (placement.h, "DRAW FACTORS"): pl_map_rebalance() computes, for every replica count used by
 * a by-host pool, one factor per host so that each host's probability of being among the
 * `size` first arrivals of the exponential race equals its capped target share. Run by whoever
 * creates a map epoch (conf_build_map, ternctl); the mapping path only reads the stored
 * integers. Pure; allocates scratch.
 *
 * DETERMINISM. Every daemon that builds epoch 1 from the configuration must get the same bits,
 * so this file uses only IEEE-754 double + - * / (correctly rounded everywhere) in a fixed
 * order: no libm (the exponential below is our own polynomial), no fused multiply-add (CMake
 * builds this file with -ffp-contract=off, and the pragma below says the same to compilers
 * that honour it), and no excess precision (refused at compile time unless
 * FLT_EVAL_METHOD == 0, i.e. SSE2/AArch64/any non-x87 FPU).
 */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "pl_balance.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "pl_balance.c needs FLT_EVAL_METHOD == 0 (no x87 excess precision): build with SSE2"
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- exp(-x) with basic operations only ---- */

/* e^-x for x >= 0 (0 for x > 700), relative error below 1e-15: x = k ln2 + r with |r| <= ln2/2,
 * e^-r by its Taylor series to degree 14, times 2^-k built by exact halvings. */
static double neg_exp(double x)
{
    if (x <= 0)
        return 1;
    if (x > 700)
        return 0;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    int k = (int)(x * 1.44269504088896338700 + 0.5);
    double r = (x - k * ln2_hi) - k * ln2_lo; /* |r| <= 0.35 */
    double s = 1, term = 1;
    for (int i = 1; i <= 14; i++) {
        term = term * -r / i;
        s = s + term;
    }
    double scale = 1;
    double half_pow = 0.5; /* 2^-(2^j) for the binary digits of k */
    for (int j = k; j > 0; j >>= 1) {
        if (j & 1)
            scale = scale * half_pow;
        half_pow = half_pow * half_pow;
    }
    return s * scale;
}

/* ---- inclusion probabilities of the top-k exponential race ---- */

/* 8-point Gauss-Legendre nodes and weights on [-1, 1] (symmetric: 4 of each). */
static const double gl_x[4] = {0.18343464249564980494, 0.52553240991632898582,
                               0.79666647741362673959, 0.96028985649753623168};
static const double gl_w[4] = {0.36268378337836198297, 0.31370664587788728734,
                               0.22238103445337447054, 0.10122853629037625915};

/* Scratch for pl__inclusion: prefix/suffix Poisson-binomial tables. */
typedef struct {
    double *pre, *suf; /* (n + 1) * k each */
    double *q;         /* n: e^{-rate t} */
    double *p;         /* n: P(arrived by t and eligible) */
} incl_work_t;

/*
 * At time t (rates normalised to sum 1): acc[h] += wq * rate_h e^{-rate_h t} P(fewer than k of
 * the other hosts arrived by t). Returns max_h e^{-rate_h t} P(...), which bounds what the
 * integral beyond t can still add (the probability is non-increasing in t).
 */
static double incl_node(const double *rate, const double *elig, uint32_t n, int k, double t,
                        double wq, double *acc, double *dacc, incl_work_t *w)
{
    double *pre = w->pre, *suf = w->suf, *q = w->q, *p = w->p;
    for (uint32_t i = 0; i < n; i++) {
        q[i] = neg_exp(rate[i] * t);
        p[i] = elig != NULL ? elig[i] * (1 - q[i]) : 1 - q[i]; /* arrived and eligible */
    }
    /* pre[i*k + m] = P(m arrivals among hosts < i), m < k */
    for (int m = 0; m < k; m++)
        pre[m] = m == 0;
    for (uint32_t i = 0; i < n; i++) {
        const double *a = pre + (size_t)i * (size_t)k;
        double *b = pre + (size_t)(i + 1) * (size_t)k;
        b[0] = a[0] * (1 - p[i]);
        for (int m = 1; m < k; m++)
            b[m] = a[m] * (1 - p[i]) + a[m - 1] * p[i];
    }
    /* suf[i*k + m] = P(m arrivals among hosts >= i) */
    for (int m = 0; m < k; m++)
        suf[(size_t)n * (size_t)k + (size_t)m] = m == 0;
    for (uint32_t i = n; i-- > 0;) {
        const double *a = suf + (size_t)(i + 1) * (size_t)k;
        double *b = suf + (size_t)i * (size_t)k;
        b[0] = a[0] * (1 - p[i]);
        for (int m = 1; m < k; m++)
            b[m] = a[m] * (1 - p[i]) + a[m - 1] * p[i];
    }
    double bound = 0;
    for (uint32_t h = 0; h < n; h++) {
        const double *a = pre + (size_t)h * (size_t)k, *b = suf + (size_t)(h + 1) * (size_t)k;
        double less = 0; /* P(fewer than k of the others) */
        for (int m = 0; m < k; m++)
            for (int j = 0; j <= m; j++)
                less = less + a[j] * b[m - j];
        double v = q[h] * less, e = elig != NULL ? elig[h] : 1;
        acc[h] = acc[h] + wq * rate[h] * e * v;
        if (dacc != NULL)
            dacc[h] = dacc[h] + wq * rate[h] * e * (1 - rate[h] * t) * v;
        if (v > bound)
            bound = v;
    }
    return bound;
}

int pl__inclusion(const double *rate, const double *elig, uint32_t n, int k, double *pi,
                  double *dpi)
{
    if (rate == NULL || pi == NULL || k < 1)
        return -EINVAL;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(rate[i] > 0))
            return -EINVAL;
        total = total + rate[i];
    }
    if ((uint32_t)k >= n) { /* everyone is always in */
        for (uint32_t i = 0; i < n; i++) {
            pi[i] = 1;
            if (dpi != NULL)
                dpi[i] = 0;
        }
        return TN_OK;
    }
    incl_work_t w;
    double *r = malloc(n * sizeof(double));
    w.pre = malloc((size_t)(n + 1) * (size_t)k * sizeof(double));
    w.suf = malloc((size_t)(n + 1) * (size_t)k * sizeof(double));
    w.q = malloc(n * sizeof(double));
    w.p = malloc(n * sizeof(double));
    if (r == NULL || w.pre == NULL || w.suf == NULL || w.q == NULL || w.p == NULL) {
        free(r);
        free(w.pre);
        free(w.suf);
        free(w.q);
        free(w.p);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        r[i] = rate[i] / total;
        pi[i] = 0;
        if (dpi != NULL)
            dpi[i] = 0;
    }
    /* Panels [0, a0], then [a, 1.5 a] up to where nothing is left: 8-point Gauss-Legendre on
     * each. The integrand is smooth; panels grow geometrically because the rates span orders
     * of magnitude. */
    double a = 0, b = 1.0 / 1024;
    for (int panel = 0; panel < 200; panel++) {
        double mid = 0.5 * (a + b), half = 0.5 * (b - a);
        for (int j = 0; j < 4; j++) {
            incl_node(r, elig, n, k, mid - half * gl_x[j], half * gl_w[j], pi, dpi, &w);
            incl_node(r, elig, n, k, mid + half * gl_x[j], half * gl_w[j], pi, dpi, &w);
        }
        double left = incl_node(r, elig, n, k, b, 0, pi, NULL, &w);
        if (left < 1e-15)
            break;
        a = b;
        b = b * 1.5;
    }
    free(r);
    free(w.pre);
    free(w.suf);
    free(w.q);
    free(w.p);
    return TN_OK;
}

/* ---- targets and the solver ---- */

/*
 * One damped Newton step for a host's rate: the factor that moves its inclusion pi towards
 * aim, given dpi = d pi / d log(rate) with the other rates fixed, scaled by alpha and bounded
 * to [1/2, 2]. (Jacobi-style: all hosts step at once, so the caller damps alpha when the error
 * stops shrinking.)
 */
static double newton_factor(double pi, double dpi, double aim, double alpha)
{
    double f;
    if (dpi > 1e-12)
        f = 1 + alpha * (aim - pi) / dpi;
    else
        f = aim > pi ? 2 : 0.5;
    if (f < 0.5)
        f = 0.5;
    if (f > 2)
        f = 2;
    return f;
}

/*
 * Capped target shares over hosts with weight w[h] > 0 for k replicas: t[h] in (0, 1] is the
 * fraction of PGs that should include host h (sum = min(k, live hosts)); same iteration as
 * pl_ideal_counts. capped[h] = 1 for hosts at 1.
 */
static void capped_targets(const double *w, uint32_t n, int k, double *t, uint8_t *capped)
{
    uint32_t live = 0;
    for (uint32_t h = 0; h < n; h++) {
        live += w[h] > 0;
        capped[h] = 0;
        t[h] = 0;
    }
    double total = live < (uint32_t)k ? live : (double)k;
    for (int changed = 1; changed;) {
        changed = 0;
        double rem = total, wu = 0;
        for (uint32_t h = 0; h < n; h++) {
            if (capped[h])
                rem = rem - 1;
            else
                wu = wu + w[h];
        }
        for (uint32_t h = 0; h < n; h++) {
            if (capped[h] || w[h] <= 0)
                continue;
            t[h] = rem * w[h] / wu;
            if (t[h] > 1 + 1e-12) {
                capped[h] = 1;
                t[h] = 1;
                changed = 1;
            }
        }
    }
    for (uint32_t h = 0; h < n; h++)
        if (w[h] > 0 && t[h] >= 1 - 1e-12) {
            capped[h] = 1;
            t[h] = 1;
        }
}

int pl__solve_rates(const double *w, const double *init, uint32_t n, int k, double *rate,
                    uint8_t *capped, int *iterations)
{
    if (w == NULL || rate == NULL || capped == NULL || k < 1)
        return -EINVAL;
    double *t = malloc((n ? n : 1) * sizeof(double));
    double *ru = malloc((n ? n : 1) * sizeof(double)); /* rates of the uncapped, compacted */
    double *tu = malloc((n ? n : 1) * sizeof(double));
    double *pi = malloc((n ? n : 1) * sizeof(double));
    double *dpi = malloc((n ? n : 1) * sizeof(double));
    uint32_t *ix = malloc((n ? n : 1) * sizeof(uint32_t));
    int rc = -ENOMEM;
    if (t == NULL || ru == NULL || tu == NULL || pi == NULL || dpi == NULL || ix == NULL)
        goto out;
    capped_targets(w, n, k, t, capped);
    uint32_t nu = 0, nc = 0;
    for (uint32_t h = 0; h < n; h++) {
        rate[h] = 0;
        if (w[h] <= 0)
            continue;
        if (capped[h]) {
            nc++;
            continue;
        }
        ix[nu] = h;
        tu[nu] = t[h];
        ru[nu] = init != NULL && init[h] > 0 ? init[h] : w[h];
        nu++;
    }
    int ku = k - (int)nc, it = 0;
    if (ku >= 1 && (uint32_t)ku < nu) {
        double alpha = 1, prev = 1e300;
        for (it = 0; it < PL__SOLVE_MAX_ITER; it++) {
            double sum = 0;
            for (uint32_t i = 0; i < nu; i++)
                sum = sum + ru[i];
            for (uint32_t i = 0; i < nu; i++)
                ru[i] = ru[i] / sum;
            rc = pl__inclusion(ru, NULL, nu, ku, pi, dpi);
            if (rc != TN_OK)
                goto out;
            double worst = 0;
            for (uint32_t i = 0; i < nu; i++) {
                double e = tu[i] / pi[i] - 1;
                if (e < 0)
                    e = -e;
                if (e > worst)
                    worst = e;
            }
            if (worst < PL__SOLVE_TOL)
                break;
            if (worst >= prev && alpha > 1.0 / 64)
                alpha = alpha * 0.5;
            else if (alpha < 1)
                alpha = alpha * 1.25 > 1 ? 1 : alpha * 1.25;
            prev = worst;
            for (uint32_t i = 0; i < nu; i++)
                ru[i] = ru[i] * newton_factor(pi[i], dpi[i], tu[i], alpha);
        }
    }
    double sum = 0;
    for (uint32_t i = 0; i < nu; i++) {
        rate[ix[i]] = ru[i];
        sum = sum + ru[i];
    }
    if (nu == 0 || ku < 1 || (uint32_t)ku >= nu) { /* nobody competes: plain weights */
        sum = 0;
        for (uint32_t i = 0; i < nu; i++) {
            rate[ix[i]] = w[ix[i]];
            sum = sum + w[ix[i]];
        }
    }
    if (sum <= 0)
        sum = 1;
    for (uint32_t h = 0; h < n; h++)
        if (w[h] > 0 && capped[h])
            rate[h] = PL__CAP_RATIO * sum;
    if (iterations != NULL)
        *iterations = it;
    rc = TN_OK;
out:
    free(t);
    free(ru);
    free(tu);
    free(pi);
    free(dpi);
    free(ix);
    return rc;
}

/* ---- storing the factors ---- */

/* Rounds a positive factor to 16.16 within [1, UINT32_MAX]. */
static uint32_t quantise(double f)
{
    if (!(f >= 1))
        return 1;
    if (f >= 4294967295.0)
        return 4294967295u;
    return (uint32_t)(f + 0.5);
}

/* Stores the solver's factors (fresh[h] = rate / weight, any scale) for the hosts with weight,
 * scaled so the largest uncapped one is PL__FACTOR_TOP; hosts without weight keep theirs. */
static void store_factors(pl_map_t *m, int size, const double *w, const double *fresh,
                          const uint8_t *capped)
{
    double top = 0;
    for (uint32_t h = 0; h < m->n_hosts; h++)
        if (w[h] > 0 && !capped[h] && fresh[h] > top)
            top = fresh[h];
    for (uint32_t h = 0; h < m->n_hosts; h++)
        if (w[h] > 0)
            m->hosts[h].draw[size - 1] =
                top > 0 ? quantise(fresh[h] / top * PL__FACTOR_TOP) : PL_WEIGHT_ONE;
}

/* Square root by Newton's method from above (basic operations only, so deterministic). */
static double sqroot(double v)
{
    if (v <= 0)
        return 0;
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 2000; i++) {
        double nx = 0.5 * (x + v / x);
        if (nx >= x)
            break;
        x = nx;
    }
    return x;
}

/*
 * The incremental update (placement.h, "DRAW FACTORS" and "GHOSTS"): starting from the stored
 * factors and ghosts, only hosts whose inclusion is off their target by more than their band
 * are changed, to half a band inside it: a host below its band with ghosts first gets weaker
 * ghosts (that moves PGs only onto it, and only those its ghosts blocked); otherwise its
 * factor moves. Hosts within their band keep everything, so a change that leaves every host
 * in its band moves no more than the change itself. A host's band is the deviation of its
 * inclusion that adds delta times the binomial variance to its busiest OSD's count at pg_num
 * PGs. Returns 1 when done, 0 if the caller must fall back to the exact solution, or -ENOMEM.
 */
static int band_update(pl_map_t *m, int size, const double *w, const double *maxw, const double *gw,
                       double pg_num, double delta)
{
    uint32_t n = m->n_hosts;
    size_t sz = (n ? n : 1) * sizeof(double);
    double *t = malloc(sz), *band = malloc(sz), *c = malloc(sz), *gam = malloc(sz);
    double *rn = malloc(sz), *el = malloc(sz), *pi = malloc(sz), *dpi = malloc(sz);
    uint8_t *capped = malloc(n ? n : 1), *moved = calloc(n ? n : 1, 1);
    uint32_t *ix = malloc((n ? n : 1) * sizeof(uint32_t));
    int rc = -ENOMEM;
    if (t == NULL || band == NULL || c == NULL || gam == NULL || rn == NULL || el == NULL ||
        pi == NULL || dpi == NULL || capped == NULL || moved == NULL || ix == NULL)
        goto out;
    capped_targets(w, n, size, t, capped);
    uint32_t nu = 0, nc = 0;
    for (uint32_t h = 0; h < n; h++) {
        if (w[h] <= 0)
            continue;
        if (capped[h]) {
            nc++;
            continue;
        }
        double frac = maxw[h] / w[h], ideal = pg_num * t[h] * frac;
        double var = ideal * (1 - ideal / pg_num);
        ix[nu] = h;
        band[nu] = sqroot(delta * var) / (pg_num * frac);
        c[nu] = m->hosts[h].draw[size - 1];
        gam[nu] = 1;
        nu++;
    }
    int ku = size - (int)nc;
    rc = 1;
    if (ku >= 1 && (uint32_t)ku < nu) {
        rc = 0;
        double alpha = 1, prev = 1e300;
        for (int it = 0; it < PL__SOLVE_MAX_ITER; it++) {
            double sum = 0;
            for (uint32_t i = 0; i < nu; i++) {
                double real = c[i] * w[ix[i]], ghost = c[i] * gam[i] * gw[ix[i]];
                rn[i] = real + ghost;
                el[i] = real / (real + ghost);
                sum = sum + rn[i];
            }
            for (uint32_t i = 0; i < nu; i++)
                rn[i] = rn[i] / sum;
            int r = pl__inclusion(rn, el, nu, ku, pi, dpi);
            if (r != TN_OK) {
                rc = r;
                goto out;
            }
            double worst = 0;
            for (uint32_t i = 0; i < nu; i++) {
                double d = pi[i] - t[ix[i]];
                d = (d < 0 ? -d : d) / band[i];
                if (d > worst)
                    worst = d;
            }
            if (worst <= 1) {
                rc = 1;
                break;
            }
            if (worst >= prev && alpha > 1.0 / 64)
                alpha = alpha * 0.5;
            else if (alpha < 1)
                alpha = alpha * 1.25 > 1 ? 1 : alpha * 1.25;
            prev = worst;
            for (uint32_t i = 0; i < nu; i++) {
                double d = pi[i] - t[ix[i]], aim;
                if (d > band[i])
                    aim = t[ix[i]] + 0.5 * band[i];
                else if (d < -band[i])
                    aim = t[ix[i]] - 0.5 * band[i];
                else
                    continue;
                if (aim > pi[i] && gam[i] > 0 && gw[ix[i]] > 0) {
                    /* weaker ghosts: eligibility up by the missing ratio (damped) */
                    double e = el[i] * (1 + alpha * (aim / pi[i] - 1));
                    gam[i] = e >= 1 ? 0 : (1 / e - 1) * w[ix[i]] / gw[ix[i]] / 1;
                    if (gam[i] > 1)
                        gam[i] = 1;
                    moved[i] |= 2;
                } else {
                    c[i] = c[i] * newton_factor(pi[i], dpi[i], aim, alpha);
                    moved[i] |= 1;
                }
            }
        }
    }
    if (rc != 1)
        goto out;
    /* new factors in the stored scale; fall back if one leaves the representable range */
    double sum = 0;
    for (uint32_t i = 0; i < nu; i++) {
        sum = sum + c[i] * w[ix[i]];
        if ((moved[i] & 1) && (c[i] < 1024.0 || c[i] > 4294967295.0))
            rc = 0;
    }
    for (uint32_t h = 0; h < n && rc == 1; h++)
        if (w[h] > 0 && capped[h] &&
            w[h] * m->hosts[h].draw[size - 1] < 0.5 * PL__CAP_RATIO * sum &&
            PL__CAP_RATIO * sum / w[h] > 4294967295.0)
            rc = 0;
    if (rc != 1)
        goto out;
    for (uint32_t i = 0; i < nu; i++) {
        uint32_t h = ix[i];
        if (moved[i] & 1)
            m->hosts[h].draw[size - 1] = quantise(c[i]);
        if (moved[i] & 2)
            for (uint32_t j = 0; j < m->n_osds; j++)
                if (m->osds[j].host == (int32_t)h && m->osds[j].ghost[size - 1] != 0)
                    m->osds[j].ghost[size - 1] =
                        (uint32_t)(m->osds[j].ghost[size - 1] * gam[i] + 0.5);
    }
    for (uint32_t h = 0; h < n; h++) {
        if (w[h] <= 0 || !capped[h])
            continue;
        if (w[h] * m->hosts[h].draw[size - 1] < 0.5 * PL__CAP_RATIO * sum)
            m->hosts[h].draw[size - 1] = quantise(PL__CAP_RATIO * sum / w[h]);
    }
out:
    free(t);
    free(band);
    free(c);
    free(gam);
    free(rn);
    free(el);
    free(pi);
    free(dpi);
    free(capped);
    free(moved);
    free(ix);
    return rc;
}

/* Clears the ghosts of size on hosts that are capped or have no in-OSD (they must always, or
 * can never, take part) and, with all, everywhere. */
static void clear_ghosts(pl_map_t *m, int size, const double *w, int all)
{
    double *t = malloc((m->n_hosts ? m->n_hosts : 1) * sizeof(double));
    uint8_t *capped = malloc(m->n_hosts ? m->n_hosts : 1);
    if (t == NULL || capped == NULL)
        all = 1; /* clearing everything is always valid */
    else
        capped_targets(w, m->n_hosts, size, t, capped);
    for (uint32_t j = 0; j < m->n_osds; j++) {
        pl_osd_t *o = &m->osds[j];
        if (all || o->in || w[o->host] <= 0 || capped[o->host])
            o->ghost[size - 1] = 0;
    }
    free(t);
    free(capped);
}

int pl__rebalance_size(pl_map_t *m, int size, double delta)
{
    uint32_t n = m->n_hosts;
    double *w = calloc(n ? n : 1, sizeof(double));
    double *maxw = calloc(n ? n : 1, sizeof(double));
    double *gw = calloc(n ? n : 1, sizeof(double));
    double *rate = calloc(n ? n : 1, sizeof(double));
    uint8_t *capped = calloc(n ? n : 1, 1);
    int rc = -ENOMEM;
    if (w == NULL || maxw == NULL || gw == NULL || rate == NULL || capped == NULL)
        goto out;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->in && o->weight > 0) {
            w[o->host] = w[o->host] + o->weight;
            if (o->weight > maxw[o->host])
                maxw[o->host] = o->weight;
        }
    }
    clear_ghosts(m, size, w, 0);
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->ghost[size - 1] != 0) /* ghost weight in weight units, before the factor */
            gw[o->host] = gw[o->host] + (double)o->weight * o->ghost[size - 1] / 65536.0;
    }
    uint32_t pg_num = 0, stored = 0;
    for (uint32_t p = 0; p < m->n_pools; p++)
        if (m->pools[p].fd == PL_FD_HOST && m->pools[p].size == size && m->pools[p].pg_num > pg_num)
            pg_num = m->pools[p].pg_num;
    for (uint32_t h = 0; h < n; h++)
        stored += w[h] > 0 && m->hosts[h].draw[size - 1] != PL_WEIGHT_ONE;
    if (delta > 0 && stored > 0 && pg_num > 0) {
        rc = band_update(m, size, w, maxw, gw, pg_num, delta);
        if (rc != 0)
            goto out; /* done (1) or out of memory */
    }
    clear_ghosts(m, size, w, 1);
    rc = pl__solve_rates(w, NULL, n, size, rate, capped, NULL);
    if (rc != TN_OK)
        goto out;
    for (uint32_t h = 0; h < n; h++)
        rate[h] = w[h] > 0 ? rate[h] / w[h] : 0; /* now the factor, any scale */
    store_factors(m, size, w, rate, capped);
out:
    free(w);
    free(maxw);
    free(gw);
    free(rate);
    free(capped);
    return rc < 0 ? rc : TN_OK;
}

int pl__rebalance(pl_map_t *m, double delta)
{
    if (m == NULL)
        return -EINVAL;
    uint32_t used = 0; /* bit s-1: some by-host pool has size s */
    for (uint32_t p = 0; p < m->n_pools; p++)
        if (m->pools[p].fd == PL_FD_HOST && m->pools[p].size >= 1 &&
            m->pools[p].size <= PL_MAX_SIZE)
            used |= 1u << (m->pools[p].size - 1);
    for (int s = 1; s <= PL_MAX_SIZE; s++) {
        if (!(used & (1u << (s - 1)))) {
            for (uint32_t h = 0; h < m->n_hosts; h++)
                m->hosts[h].draw[s - 1] = PL_WEIGHT_ONE;
            for (uint32_t i = 0; i < m->n_osds; i++)
                m->osds[i].ghost[s - 1] = 0;
            continue;
        }
        int rc = pl__rebalance_size(m, s, delta);
        if (rc != TN_OK)
            return rc;
    }
    return TN_OK;
}

int pl_map_rebalance(pl_map_t *m)
{
    return pl__rebalance(m, PL_REBALANCE_DELTA);
}
