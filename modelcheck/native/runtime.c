/* The C backend's search: breadth-first, states stored whole in an arena, an open-
 * addressing hash table of their indices, a parent index per state. Included at the
 * top of every generated model (modelcheck/native/emit.py), which defines NVARS,
 * NLABELS, NINV, NSTEP, NCONS and the functions declared below.
 *
 * The search is a resumable machine: mc_run() expands up to `budget` states and
 * returns a status; after a violation it returns at once and the next call goes on
 * from the very successor where it stopped, so the Python side can record the
 * violation (and rebuild its trace) between the two calls. The order of the checks on
 * every successor is the Python backend's (modelcheck/search/run.py, `pipeline`):
 * step properties, seen, constraints, store, invariants.
 *
 * Nothing here prints, allocates per successor or calls back into Python. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

typedef int64_t V;

enum { ST_RUNNING = 0, ST_EXHAUSTED = 1, ST_INVARIANT = 2, ST_DEADLOCK = 3, ST_STEP = 4,
       ST_ASSERT = 5, ST_ERROR = 6, ST_MAX_STATES = 7, ST_MAX_DEPTH = 8, ST_NOMEM = 9 };
enum { PH_SUCC = 0, PH_STEP = 1, PH_CONS = 2, PH_INV = 3 };

typedef struct {
    /* the store */
    V *arena; int64_t count, cap;
    int64_t *parent;
    int64_t *table; uint64_t tmask;              /* index + 1, 0 = empty */
    /* the queue: states [head, count) are to be expanded; a level ends at level_end */
    int64_t head, level_end, depth, max_frontier, generated;
    int64_t max_states, max_depth; int check_deadlock;
    /* the successors of the state being expanded */
    V *out; int32_t *olab; int64_t nout, ocap, pos;
    int expanding;                               /* 1 while out[pos..nout) remain */
    int64_t gen_cov[NLABELS + 1], new_cov[NLABELS + 1];
    char violated[NINV + NSTEP + 1];    /* the last: deadlock */
    /* what the last status was about */
    int64_t info[8];
    V next[NVARS + 1];
    /* after a violated invariant is reported, the later ones of that state are still
       to be checked: from inv_next (0: none pending) on state inv_state */
    int64_t inv_state; int inv_next;
    /* a runtime error */
    jmp_buf jb; int err, err_node, phase, assert_failed;
    int finishing, resumed, started;
} R;

static void mc_fail(R *r, int kind, int node) { r->err = kind; r->err_node = node; longjmp(r->jb, 1); }

static void mc_succ(R *r, const V *s);
static int mc_inv(R *r, int k, const V *s);
static int mc_step(R *r, int k, const V *s, const V *t);
static int mc_cons(R *r, int k, const V *s);

static inline uint64_t mc_hash(const V *s) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < NVARS; i++) {
        uint64_t x = (uint64_t)s[i] + h;
        x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
        h = x ^ (h << 7) ^ (h >> 3);
    }
    return h ^ (h >> 29);
}

static V *mc_push(R *r, int lab) {
    if (r->nout == r->ocap) {
        int64_t nc = r->ocap ? r->ocap * 2 : 64;
        V *o = realloc(r->out, sizeof(V) * NVARS * nc);
        int32_t *l = realloc(r->olab, sizeof(int32_t) * nc);
        if (!o || !l) mc_fail(r, 99, -1);
        r->out = o; r->olab = l; r->ocap = nc;
    }
    r->olab[r->nout] = lab;
    return r->out + NVARS * (r->nout++);
}

static int mc_grow(R *r) {
    if (r->count < r->cap) return 1;
    int64_t nc = r->cap * 2;
    V *a = realloc(r->arena, sizeof(V) * NVARS * nc);
    if (!a) return 0;
    r->arena = a;
    int64_t *p = realloc(r->parent, sizeof(int64_t) * nc);
    if (!p) return 0;
    r->parent = p; r->cap = nc;
    return 1;
}

static int mc_rehash(R *r) {
    uint64_t n = (r->tmask + 1) * 2;
    int64_t *t = calloc(n, sizeof(int64_t));
    if (!t) return 0;
    for (int64_t i = 0; i < r->count; i++) {
        uint64_t h = mc_hash(r->arena + NVARS * i) & (n - 1);
        while (t[h]) h = (h + 1) & (n - 1);
        t[h] = i + 1;
    }
    free(r->table); r->table = t; r->tmask = n - 1;
    return 1;
}

/* the index of s in the store, or -1 (and the free slot in *slot) */
static inline int64_t mc_lookup(R *r, const V *s, uint64_t *slot) {
    uint64_t h = mc_hash(s) & r->tmask;
    for (;;) {
        int64_t e = r->table[h];
        if (!e) { *slot = h; return -1; }
        if (memcmp(r->arena + NVARS * (e - 1), s, sizeof(V) * NVARS) == 0) return e - 1;
        h = (h + 1) & r->tmask;
    }
}

/* store s (not yet stored, its free slot found by mc_lookup) with its parent; -1 when out of memory */
static int64_t mc_store(R *r, const V *s, uint64_t slot, int64_t parent) {
    if (!mc_grow(r)) return -1;
    int64_t i = r->count++;
    memcpy(r->arena + NVARS * i, s, sizeof(V) * NVARS);
    r->parent[i] = parent;
    r->table[slot] = i + 1;
    if ((uint64_t)r->count * 2 > r->tmask) {
        if (!mc_rehash(r)) return -1;
    }
    return i;
}

/* ------------------------------------------------------------------ the interface */

R *mc_new(int64_t max_states, int64_t max_depth, int check_deadlock) {
    R *r = calloc(1, sizeof(R));
    if (!r) return 0;
    r->cap = 1024;
    r->arena = malloc(sizeof(V) * NVARS * r->cap);
    r->parent = malloc(sizeof(int64_t) * r->cap);
    r->tmask = 4095;
    r->table = calloc(r->tmask + 1, sizeof(int64_t));
    if (!r->arena || !r->parent || !r->table) return 0;
    r->max_states = max_states; r->max_depth = max_depth; r->check_deadlock = check_deadlock;
    return r;
}

void mc_free(R *r) {
    if (!r) return;
    free(r->arena); free(r->parent); free(r->table); free(r->out); free(r->olab); free(r);
}

int mc_nvars(void) { return NVARS; }
int mc_nlabels(void) { return NLABELS; }

/* an initial state (checked and admitted by the caller): 1 stored, 0 already there, -1 no memory */
int mc_add_initial(R *r, const V *s) {
    uint64_t slot;
    if (mc_lookup(r, s, &slot) >= 0) return 0;
    if (mc_store(r, s, slot, -1) < 0) return -1;
    r->depth = 1;
    return 1;
}

int64_t mc_find(R *r, const V *s) { uint64_t slot; return mc_lookup(r, s, &slot); }
void mc_get(R *r, int64_t i, V *out) { memcpy(out, r->arena + NVARS * i, sizeof(V) * NVARS); }
int64_t mc_parent(R *r, int64_t i) { return r->parent[i]; }
int64_t mc_count(R *r) { return r->count; }
int64_t mc_generated(R *r) { return r->generated; }
int64_t mc_depth(R *r) { return r->depth; }
int64_t mc_queue(R *r) { return r->count - r->head; }
int64_t mc_max_frontier(R *r) { return r->max_frontier; }
int64_t *mc_info(R *r) { return r->info; }
V *mc_next(R *r) { return r->next; }
void mc_coverage(R *r, int64_t *gen, int64_t *nw) {
    memcpy(gen, r->gen_cov, sizeof(int64_t) * NLABELS); memcpy(nw, r->new_cov, sizeof(int64_t) * NLABELS);
}
void mc_mark_violated(R *r, int k) { r->violated[k] = 1; }

/* evaluate the invariants of a stored initial state: the index of the first violated one, -1 none, -2 an error */
int mc_check_state(R *r, const V *s) {
    if (setjmp(r->jb)) return -2;
    for (int k = 0; k < NINV; k++) if (!mc_inv(r, k, s)) return k;
    return -1;
}

/* the invariants k0.. of the stored state ti: the first one newly violated is
 * reported (1), and the next call of mc_run goes on with the one after it; 0 when
 * none is. Every invariant is evaluated, violated or not, as in Python (an error in
 * it is the run's error). */
static int mc_invariants(R *r, int64_t ti, int k0) {
    r->phase = PH_INV;
    const V *tt = r->arena + NVARS * ti;
    for (int k = k0; k < NINV; k++) {
        if (!mc_inv(r, k, tt) && !r->violated[k]) {
            r->violated[k] = 1;
            r->info[0] = k; r->info[1] = ti;
            r->inv_state = ti; r->inv_next = k + 1;
            return 1;
        }
    }
    r->inv_next = 0;
    return 0;
}

int mc_run(R *r, int64_t budget) {
    if (setjmp(r->jb)) {
        r->info[0] = r->err; r->info[1] = r->head - 1; r->info[2] = r->err_node; r->info[3] = r->phase;
        r->expanding = 0; r->finishing = 0;
        return r->err == 99 ? ST_NOMEM : ST_ERROR;
    }
    for (;;) {
        if (r->expanding) {
            const int64_t si = r->head - 1;
            if (r->inv_next && mc_invariants(r, r->inv_state, r->inv_next)) return ST_INVARIANT;
            while (r->pos < r->nout) {
                const int64_t j = r->pos++;
                const V *t = r->out + NVARS * j;
                const int lab = r->olab[j];
                const V *s = r->arena + NVARS * si;   /* the arena may move: reread */
                if (!r->resumed) r->gen_cov[lab]++;
                r->resumed = 0;
                if (NSTEP) {
                    r->phase = PH_STEP;
                    for (int k = 0; k < NSTEP; k++) {
                        /* evaluated even once violated, as in Python: it may fail */
                        if (!mc_step(r, k, s, t) && !r->violated[NINV + k]) {
                            r->violated[NINV + k] = 1;
                            r->info[0] = k; r->info[1] = si; r->info[2] = lab;
                            memcpy(r->next, t, sizeof(V) * NVARS);
                            r->pos--; r->resumed = 1;   /* go on with this very successor */
                            return ST_STEP;
                        }
                    }
                }
                uint64_t slot;
                if (mc_lookup(r, t, &slot) >= 0) continue;
                if (NCONS) {
                    r->phase = PH_CONS;
                    int ok = 1;
                    for (int k = 0; k < NCONS && ok; k++) ok = mc_cons(r, k, t);
                    if (!ok) continue;
                }
                int64_t ti = mc_store(r, t, slot, si);
                if (ti < 0) { r->pos--; r->resumed = 1; return ST_NOMEM; }
                r->new_cov[lab]++;
                if (NINV && mc_invariants(r, ti, 0)) return ST_INVARIANT;
            }
            r->expanding = 0;
            r->finishing = 1;
        }
        if (r->finishing) {                          /* a state's expansion is over */
            r->finishing = 0;
            if (r->max_states >= 0 && r->count >= r->max_states) return ST_MAX_STATES;
            if (--budget <= 0) return ST_RUNNING;
        }
        if (r->head == r->level_end) {               /* a level is done: the next one */
            if (r->head == r->count) return ST_EXHAUSTED;
            if (r->started) r->depth++;
            r->started = 1;
            r->level_end = r->count;
            if (r->max_depth >= 0 && r->depth >= r->max_depth) return ST_MAX_DEPTH;
            if (r->level_end - r->head > r->max_frontier) r->max_frontier = r->level_end - r->head;
        }
        const int64_t si = r->head++;
        r->nout = 0; r->pos = 0; r->resumed = 0;
        r->assert_failed = 0;
        r->phase = PH_SUCC;
        mc_succ(r, r->arena + NVARS * si);
        r->finishing = 1;
        if (r->assert_failed) {
            r->info[1] = si;
            r->nout = 0;
            return ST_ASSERT;          /* the caller records it; the state counts as expanded */
        }
        if (r->nout == 0) {
            if (r->check_deadlock && !r->violated[NINV + NSTEP]) {
                r->violated[NINV + NSTEP] = 1;
                r->info[1] = si;
                return ST_DEADLOCK;
            }
            continue;
        }
        r->generated += r->nout;
        r->expanding = 1;
        r->finishing = 0;
    }
}
