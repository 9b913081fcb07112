/* The C backend's search: breadth-first, states stored in an arena, an open-
 * addressing hash table of their indices, a parent index per state. Included at the
 * top of every generated model (modelcheck/native/emit.py), which defines NVARS,
 * NLABELS, NINV, NSTEP, NCONS and the functions declared below.
 *
 * States are stored whole (CW == NVARS) unless the model has components (NCOMP > 0,
 * SPIN's COLLAPSE): then every part of a state of several words (a channel, a
 * history, a map) is interned in a table of its own type's values and the stored state
 * holds its index there, CW words in all; mc_compress and mc_expand (generated) convert.
 * Equal values get equal indices, so equal states are equal compressed words.
 *
 * The search is a resumable machine: mc_run() expands states until `budget` (states plus
 * their successors) is spent, and returns a status; after a violation it returns at once
 * and the next call goes on
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

#ifndef NCOMP
#define NCOMP 0
#endif
#ifndef CW
#define CW NVARS
#endif
#ifndef NTAB
#define NTAB 0
#endif
#if !NCOMP && CW != NVARS
#error "a state without components is stored whole: its key is its words (mc_run computes hashes ahead on that)"
#endif

/* An entry of the store's table is the state's index + 1 in its low TBITS bits (0:
   empty) and the top bits of the state's hash above them, its tag: a probe that meets
   another state's entry mostly tells it by the tag, without reading that state in the
   arena (a cache miss on a large store). */
#define TBITS 40
#define TIDX ((1ull << TBITS) - 1)

/* entries of a parallel worker's table of recent sends (mc_part_send): 768 KB */
#ifndef PART_DC
#define PART_DC (1 << 15)
#endif

/* a table of interned values of `len` words (the length is the caller's to give) */
typedef struct { V *vals; int64_t n, cap; int64_t *tab; uint64_t mask; } CT;

enum { ST_RUNNING = 0, ST_EXHAUSTED = 1, ST_INVARIANT = 2, ST_DEADLOCK = 3, ST_STEP = 4,
       ST_ASSERT = 5, ST_ERROR = 6, ST_MAX_STATES = 7, ST_MAX_DEPTH = 8, ST_NOMEM = 9, ST_LEVEL = 10 };

typedef struct {
    /* the store */
    V *arena; int64_t count, cap;
    int64_t *parent;
    int64_t *table; uint64_t tmask;              /* index + 1, 0 = empty */
    /* the queue: states [head, count) are to be expanded; a level ends at level_end */
    int64_t head, level_end, depth, max_frontier, generated;
    int64_t max_states, max_depth; int check_deadlock, use_canon;
    /* the successors of the state being expanded */
    V *out; int32_t *olab; int64_t nout, ocap, pos;
    uint64_t *oh; int pf;                        /* their hashes, when computed ahead (mc_run) */
    int32_t *oo;                                 /* and their owners (partition mode) */
    int expanding;                               /* 1 while out[pos..nout) remain */
    int64_t *gen_cov, *new_cov, covcap;          /* per label: static ones, then dynamic ones */
    /* labels of actions whose parameters range over a state-dependent set: numbered
     * NLABELS + k in the order first generated, k indexing dyn (action, arguments) */
    V *dyn; int64_t ndyn, dyncap; int64_t *dtab; uint64_t dmask;
    char violated[NINV + NSTEP + 1];    /* the last: deadlock */
    /* what the last status was about */
    int64_t info[8];
    V next[NVARS + 1];
    /* interning: the tables, the expanded state being expanded, a compressed key, and
       the expanded state whose invariants are checked */
    CT ct[NTAB ? NTAB : 1];
    V cur[NCOMP ? NVARS : 1], ckey[CW], ibuf[NCOMP ? NVARS : 1];
    /* after a violated invariant is reported, the later ones of that state are still
       to be checked: from inv_next (0: none pending) on state inv_state */
    int64_t inv_state; int inv_next;
    /* a runtime error */
    jmp_buf jb; int err, err_node, assert_failed;
    int finishing, resumed, started;
    /* depth-first (Python's dfs): a stack of (state, depth); si is the state being
     * expanded (both orders), dnew the first state stored by its expansion (its new
     * successors are [dnew, count): pushed in reverse when it is done) */
    int dfs, depth_cut; int64_t *dstack, sp, scap, si, dnew, dcur;
    /* the state graph, for liveness: row i (the transitions of state i, self-loops left
     * out) is rto/rlab[rstart[i] .. rstart[i + 1]]; rec_broken when a row is missing */
    int record, rec_broken;
    int64_t *rto, *rlab, nrec, reccap, *rstart, rscap;
    /* partition mode (a parallel worker, modelcheck/search/parallel.py): worker `me` of
     * `nparts` keeps the states it owns (mc_owner); a successor another worker owns goes
     * to that worker's box (mc_part_send) instead of the seen test; mc_run returns
     * ST_LEVEL at the end of the level mc_part_level set */
    int nparts, me;
    struct Box { V *e; int64_t n, len, cap; } *box;   /* entries, words used, words held */
    int64_t **cfrom, *cfcap;                     /* per sender: states admitted, per its labels */
    V ubuf[NVARS];                               /* an admitted state unpacked */
    /* the previous one admitted, whole and compressed (NCOMP; mc_part_admit) */
    V uprev[NCOMP ? NVARS : 1], kprev[NCOMP ? CW : 1]; int has_prev, prev_in_ubuf;
    struct Sent { uint64_t h; int64_t at, len; } *dc;  /* the recent sends (mc_part_send) */
    V abuf[NVARS];                               /* an entry looked ahead at (mc_part_admit) */
    int *pw, npw;                                /* the words the owner hashes (0: all; mc_part_words) */
    uint64_t *pwx, *pwm;                         /* and their constants (mc_proj_hash) */
    int sampling; int32_t *slog; int64_t nslog, slogcap, nsteps;   /* mc_sample_on */
} R;

static void mc_fail(R *r, int kind, int node) { r->err = kind; r->err_node = node; longjmp(r->jb, 1); }

static void mc_succ(R *r, const V *s);
static int mc_inv(R *r, int k, const V *s);
static int mc_step(R *r, int k, const V *s, const V *t);
static int mc_cons(R *r, int k, const V *s);
static void mc_canon(R *r, V *s);
static int mc_compress(R *r, const V *s, V *c, int add, const V *ps, const V *pc);
static void mc_expand(R *r, const V *c, V *s);

/* A hash of n words. A zero word is skipped (each other word is mixed with its
   position): a wide state (a ZAB state is 1,123 words) and its parts are mostly zero,
   and mixing costs more than the rest of a successor's work there. */
static inline uint64_t mc_hashn(const V *s, int n) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < n; i++) {
        if (!s[i]) continue;
        uint64_t x = (uint64_t)s[i] + h + (uint64_t)i * 0xD6E8FEB86659FD93ull;
        x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
        h = x ^ (h << 7) ^ (h >> 3);
    }
    return h ^ (h >> 29);
}

static inline uint64_t mc_hash(const V *s) { return mc_hashn(s, CW); }

/* the index of the value v (len words) in table t: interned when new and `add`;
   -1 when absent and not `add`, -2 when out of memory */
static int64_t mc_intern(R *r, int t, int len, const V *v, int add) {
    CT *c = &r->ct[t];
    if (!c->tab) {
        c->mask = 1023;
        c->tab = calloc(c->mask + 1, sizeof(int64_t));
        if (!c->tab) return -2;
    }
    uint64_t h = mc_hashn(v, len) & c->mask;
    for (;; h = (h + 1) & c->mask) {
        int64_t e = c->tab[h];
        if (!e) break;
        if (memcmp(c->vals + (int64_t)len * (e - 1), v, sizeof(V) * len) == 0) return e - 1;
    }
    if (!add) return -1;
    if (c->n == c->cap) {
        int64_t nc = c->cap ? c->cap * 2 : 1024;
        V *a = realloc(c->vals, sizeof(V) * len * nc);
        if (!a) return -2;
        c->vals = a; c->cap = nc;
    }
    memcpy(c->vals + (int64_t)len * c->n, v, sizeof(V) * len);
    c->tab[h] = ++c->n;
    if ((uint64_t)c->n * 2 > c->mask) {
        uint64_t m = c->mask * 2 + 1;
        int64_t *nt = calloc(m + 1, sizeof(int64_t));
        if (!nt) return -2;
        for (int64_t k = 0; k < c->n; k++) {
            uint64_t g = mc_hashn(c->vals + (int64_t)len * k, len) & m;
            while (nt[g]) g = (g + 1) & m;
            nt[g] = k + 1;
        }
        free(c->tab); c->tab = nt; c->mask = m;
    }
    return c->n - 1;
}

#ifndef MAXP
#define MAXP 1
#endif
#define DYNW (MAXP + 1)

static int mc_cov_grow(R *r, int64_t need) {
    if (need <= r->covcap) return 1;
    int64_t nc = r->covcap ? r->covcap : 64;
    while (nc < need) nc *= 2;
    int64_t *g = realloc(r->gen_cov, sizeof(int64_t) * nc), *n = g ? realloc(r->new_cov, sizeof(int64_t) * nc) : 0;
    if (g) r->gen_cov = g;
    if (!g || !n) return 0;
    r->new_cov = n;
    memset(r->gen_cov + r->covcap, 0, sizeof(int64_t) * (nc - r->covcap));
    memset(r->new_cov + r->covcap, 0, sizeof(int64_t) * (nc - r->covcap));
    r->covcap = nc;
    return 1;
}

/* the label of a dynamic action instance: (ai, args[0..n)) numbered in first-seen order */
static int mc_dyn_label(R *r, int ai, int n, const V *args) {
    V key[DYNW];
    memset(key, 0, sizeof key);
    key[0] = ai;
    for (int i = 0; i < n; i++) key[i + 1] = args[i];
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < DYNW; i++) { h ^= (uint64_t)key[i]; h *= 0xff51afd7ed558ccdull; h ^= h >> 29; }
    if (!r->dtab) {
        r->dmask = 255;
        r->dtab = calloc(r->dmask + 1, sizeof(int64_t));
        if (!r->dtab) mc_fail(r, 99, -1);
    }
    uint64_t i = h & r->dmask;
    for (;; i = (i + 1) & r->dmask) {
        int64_t e = r->dtab[i];
        if (!e) break;
        if (memcmp(r->dyn + DYNW * (e - 1), key, sizeof key) == 0) return (int)(NLABELS + e - 1);
    }
    if (r->ndyn == r->dyncap) {
        int64_t nc = r->dyncap ? r->dyncap * 2 : 64;
        V *d = realloc(r->dyn, sizeof(V) * DYNW * nc);
        if (!d) mc_fail(r, 99, -1);
        r->dyn = d; r->dyncap = nc;
    }
    if (!mc_cov_grow(r, NLABELS + r->ndyn + 1)) mc_fail(r, 99, -1);
    memcpy(r->dyn + DYNW * r->ndyn, key, sizeof key);
    r->dtab[i] = ++r->ndyn;
    if ((uint64_t)r->ndyn * 2 > r->dmask) {            /* grow the table */
        uint64_t m = r->dmask * 2 + 1;
        int64_t *t = calloc(m + 1, sizeof(int64_t));
        if (!t) mc_fail(r, 99, -1);
        for (int64_t k = 0; k < r->ndyn; k++) {
            const V *kk = r->dyn + DYNW * k;
            uint64_t hh = 0x9E3779B97F4A7C15ull;
            for (int j = 0; j < DYNW; j++) { hh ^= (uint64_t)kk[j]; hh *= 0xff51afd7ed558ccdull; hh ^= hh >> 29; }
            uint64_t s = hh & m;
            while (t[s]) s = (s + 1) & m;
            t[s] = k + 1;
        }
        free(r->dtab); r->dtab = t; r->dmask = m;
    }
    return (int)(NLABELS + r->ndyn - 1);
}

int64_t mc_ndyn(R *r) { return r->ndyn; }
/* dynamic label k: its action index, and its arguments into args (MAXP words) */
int mc_dyn(R *r, int64_t k, V *args) {
    memcpy(args, r->dyn + DYNW * k + 1, sizeof(V) * MAXP);
    return (int)r->dyn[DYNW * k];
}

static V *mc_push(R *r, int lab) {
    if (r->nout == r->ocap) {
        int64_t nc = r->ocap ? r->ocap * 2 : 64;
        V *o = realloc(r->out, sizeof(V) * NVARS * nc);
        if (o) r->out = o;
        int32_t *l = realloc(r->olab, sizeof(int32_t) * nc);
        if (l) r->olab = l;
        uint64_t *g = realloc(r->oh, sizeof(uint64_t) * nc);
        if (g) r->oh = g;
        int32_t *w = realloc(r->oo, sizeof(int32_t) * nc);
        if (w) r->oo = w;
        if (!o || !l || !g || !w) mc_fail(r, 99, -1);
        r->ocap = nc;
    }
    r->olab[r->nout] = lab;
    return r->out + NVARS * (r->nout++);
}

static int mc_grow(R *r) {
    if (r->count < r->cap) return 1;
    int64_t nc = r->cap * 2;
    V *a = realloc(r->arena, sizeof(V) * CW * nc);
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
        const uint64_t f = mc_hash(r->arena + CW * i);
        uint64_t h = f & (n - 1);
        while (t[h]) h = (h + 1) & (n - 1);
        t[h] = (int64_t)((f >> TBITS << TBITS) | (uint64_t)(i + 1));
    }
    free(r->table); r->table = t; r->tmask = n - 1;
    return 1;
}

static inline int mc_eq(const V *a, const V *b) {
    for (int i = 0; i < CW; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* the index of s (compressed; h its mc_hash) in the store, or -1 (and in *slot the free
   slot, with the tag, for mc_store) */
static inline int64_t mc_lookup_h(R *r, const V *s, uint64_t h, uint64_t *slot) {
    const uint64_t tag = h >> TBITS << TBITS;
    for (h &= r->tmask;; h = (h + 1) & r->tmask) {
        const uint64_t e = (uint64_t)r->table[h];
        if (!e) { *slot = h | tag; return -1; }
        if ((e & ~TIDX) == tag && mc_eq(r->arena + CW * ((e & TIDX) - 1), s)) return (int64_t)(e & TIDX) - 1;
    }
}
static inline int64_t mc_lookup(R *r, const V *s, uint64_t *slot) { return mc_lookup_h(r, s, mc_hash(s), slot); }

/* store s (compressed; not yet stored, its free slot found by mc_lookup) with its
   parent; -1 when out of memory */
static int64_t mc_store(R *r, const V *s, uint64_t slot, int64_t parent) {
    if ((uint64_t)r->count >= TIDX - 1 || !mc_grow(r)) return -1;
    int64_t i = r->count++;
    memcpy(r->arena + CW * i, s, sizeof(V) * CW);
    r->parent[i] = parent;
    r->table[slot & TIDX] = (int64_t)((slot & ~TIDX) | (uint64_t)(i + 1));
    if ((uint64_t)r->count * 2 > r->tmask) {
        if (!mc_rehash(r)) return -1;
    }
    return i;
}

/* ------------------------------------------------------------------ the interface */

static void mc_rec(R *r, int64_t to, int64_t lab) {
    if (r->nrec == r->reccap) {
        int64_t nc = r->reccap ? r->reccap * 2 : 4096;
        int64_t *a = realloc(r->rto, sizeof(int64_t) * nc), *b = a ? realloc(r->rlab, sizeof(int64_t) * nc) : 0;
        if (a) r->rto = a;
        if (!a || !b) mc_fail(r, 99, -1);
        r->rlab = b; r->reccap = nc;
    }
    r->rto[r->nrec] = to; r->rlab[r->nrec] = lab; r->nrec++;
}

static void mc_rec_row(R *r, int64_t si) {     /* the row of state si is complete */
    if (si + 2 > r->rscap) {
        int64_t nc = r->rscap ? r->rscap * 2 : 4096;
        while (nc < si + 2) nc *= 2;
        int64_t *a = realloc(r->rstart, sizeof(int64_t) * nc);
        if (!a) mc_fail(r, 99, -1);
        r->rstart = a; r->rscap = nc;
    }
    r->rstart[0] = 0;
    r->rstart[si + 1] = r->nrec;
}

R *mc_new(int64_t max_states, int64_t max_depth, int check_deadlock, int use_canon) {
    R *r = calloc(1, sizeof(R));
    if (!r) return 0;
    r->cap = 1024;
    r->arena = malloc(sizeof(V) * CW * r->cap);
    r->parent = malloc(sizeof(int64_t) * r->cap);
    r->tmask = 4095;
    r->table = calloc(r->tmask + 1, sizeof(int64_t));
    if (!r->arena || !r->parent || !r->table) return 0;
    if (!mc_cov_grow(r, NLABELS + 1)) return 0;
    r->max_states = max_states; r->max_depth = max_depth; r->check_deadlock = check_deadlock;
    r->use_canon = use_canon;
    return r;
}

void mc_free(R *r) {
    if (!r) return;
    free(r->arena); free(r->parent); free(r->table); free(r->out); free(r->olab); free(r->oh); free(r->oo); free(r->slog);
    free(r->dstack);
    free(r->rto); free(r->rlab); free(r->rstart); free(r->gen_cov); free(r->new_cov); free(r->dyn); free(r->dtab);
    for (int t = 0; t < NTAB; t++) { free(r->ct[t].vals); free(r->ct[t].tab); }
    for (int d = 0; d < r->nparts; d++) { free(r->box[d].e); free(r->cfrom[d]); }
    free(r->box); free(r->cfrom); free(r->cfcap); free(r->dc); free(r->pw); free(r->pwx); free(r->pwm);
    free(r);
}

int mc_nlabels(void) { return NLABELS; }

/* the stored state i, whole */
static inline const V *mc_state(R *r, int64_t i, V *buf) {
#if NCOMP
    mc_expand(r, r->arena + CW * i, buf);
    return buf;
#else
    (void)buf;
    return r->arena + CW * i;
#endif
}

/* the compressed form of s in r->ckey (*ok 1), or *ok 0 when a part of it was never
   interned (so s was never stored; only without `add`), -1 when out of memory. A part
   equal to the same part of the state ps (whole; pc compressed), s's parent, keeps its
   index without being looked up: most steps change one or two parts of a state. */
static inline const V *mc_key(R *r, const V *s, int add, int *ok, const V *ps, const V *pc) {
#if NCOMP
    *ok = mc_compress(r, s, r->ckey, add, ps, pc);
    return r->ckey;
#else
    (void)add; (void)ps; (void)pc; *ok = 1;
    return s;
#endif
}

/* an initial state (checked and admitted by the caller): 1 stored, 0 already there, -1 no memory */
int mc_add_initial(R *r, const V *s) {
    uint64_t slot;
    int ok;
    const V *k = mc_key(r, s, 1, &ok, 0, 0);
    if (ok < 0) return -1;
    if (mc_lookup(r, k, &slot) >= 0) return 0;
    if (mc_store(r, k, slot, -1) < 0) return -1;
    r->depth = 1;
    return 1;
}

int64_t mc_find(R *r, const V *s) {
    uint64_t slot;
    int ok;
    const V *k = mc_key(r, s, 0, &ok, 0, 0);
    return ok > 0 ? mc_lookup(r, k, &slot) : -1;
}
void mc_get(R *r, int64_t i, V *out) {
    const V *s = mc_state(r, i, out);
    if (s != out) memcpy(out, s, sizeof(V) * NVARS);
}
/* the stored states from..from+n-1, whole, into out (n * NVARS words) */
void mc_states(R *r, int64_t from, int64_t n, V *out) {
    for (int64_t i = 0; i < n; i++) {
        V *o = out + NVARS * i;
        const V *s = mc_state(r, from + i, o);
        if (s != o) memcpy(o, s, sizeof(V) * NVARS);
    }
}
int64_t mc_parent(R *r, int64_t i) { return r->parent[i]; }
int64_t mc_count(R *r) { return r->count; }
int64_t mc_generated(R *r) { return r->generated; }
int64_t mc_depth(R *r) { return r->depth; }
int64_t mc_queue(R *r) { return r->dfs ? r->sp : r->count - r->head; }
void mc_set_dfs(R *r) { r->dfs = 1; }

/* DFS: push states [from, to) with depth d, the first on top; 0 when out of memory
 * (then nothing is pushed, and the caller may try again) */
static int mc_push_dfs(R *r, int64_t from, int64_t to, int64_t d) {
    const int64_t need = r->sp + 2 * (to - from);
    if (need > r->scap) {
        int64_t nc = r->scap ? r->scap : 4096;
        while (nc < need) nc *= 2;
        int64_t *a = realloc(r->dstack, sizeof(int64_t) * nc);
        if (!a) return 0;
        r->dstack = a; r->scap = nc;
    }
    for (int64_t i = to - 1; i >= from; i--) {
        r->dstack[r->sp++] = i;
        r->dstack[r->sp++] = d;
    }
    if (r->sp / 2 > r->max_frontier) r->max_frontier = r->sp / 2;
    return 1;
}
int64_t mc_max_frontier(R *r) { return r->max_frontier; }
int64_t *mc_info(R *r) { return r->info; }
V *mc_next(R *r) { return r->next; }
void mc_coverage(R *r, int64_t *gen, int64_t *nw) {
    memcpy(gen, r->gen_cov, sizeof(int64_t) * (NLABELS + r->ndyn));
    memcpy(nw, r->new_cov, sizeof(int64_t) * (NLABELS + r->ndyn));
}
void mc_mark_violated(R *r, int k) { r->violated[k] = 1; }
void mc_canon_state(V *s) { mc_canon(0, s); }
void mc_record(R *r) { r->record = 1; }
/* the graph's arrays (rows for the first *rows states), or null when a row is missing */
int64_t *mc_graph(R *r, int64_t **to, int64_t **lab, int64_t *nrec) {
    *to = r->rto; *lab = r->rlab; *nrec = r->nrec;
    if (r->rec_broken) return 0;
    return r->rstart;
}
int mc_ncomp(void) { return NCOMP; }
int64_t mc_cw(void) { return CW; }


/* the invariants k0.. of the stored state ti: the first one newly violated is
 * reported (1), and the next call of mc_run goes on with the one after it; 0 when
 * none is. Every invariant is evaluated, violated or not, as in Python (an error in
 * it is the run's error). */
static int mc_invariants(R *r, int64_t ti, int k0) {
    const V *tt = mc_state(r, ti, r->ibuf);
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

/* ------------------------------------------------------------------ partition mode
 * A box is a stream of entries, each packed when it is put in: the sender's index of the
 * parent, the sender's label, then the successor's NVARS words whole (interned indices
 * are a process's own), representative taken, as runs: a word `zeros << 32 | literals`,
 * then the literals, zeros being runs of zero words (a state of ZAB's is 1,123 words,
 * most of them zero). Packing is canonical: equal states pack to equal words.
 *
 * The owner of a state is a hash of its words: the same in every process. By default
 * of all of them (mc_hashn), and a state stored whole (NCOMP 0) is its own key, so one
 * hash serves the owner and the seen test (mc_run). With mc_part_words, of the few words
 * chosen (modelcheck/native/partition.py: words that few steps change), so that most
 * successors are their parent's worker's own: two orders of two independent steps then
 * meet in one worker's store, in its cache, instead of one copy crossing to the other and
 * being looked up there a level later. */
#define PART_MOST (2 + 2 * (int64_t)NVARS + 1)   /* an entry's words at most */

static inline uint64_t mc_part_hash(const V *t) { return mc_hashn(t, NVARS); }
/* the high 32 bits of h scaled to 0..n-1 (a multiply, not a division: it is taken on
   every successor) */
static inline int mc_owner_of(uint64_t h, int n) { return (int)(((h >> 32) * (uint64_t)n) >> 32); }
/* The hash of the words pw[0..k) of t, mc_owner's with mc_part_words: a sum of one term
   per word, its value xor a constant of its place in the state times an odd constant of
   that place, so that the terms' multiplies do not wait for each other (ZAB's owner
   hashes about a hundred words) and mc_part_balance can add one word at a time. The
   owner takes the sum's high bits, which every bit of every term's value reaches
   (a difference d in a value changes the sum by d times a large odd constant), so the sum
   is not mixed further: the owner is computed for every successor. */
static inline uint64_t mc_proj_x(int w) { return ((uint64_t)w + 1) * 0xD6E8FEB86659FD93ull; }
static inline uint64_t mc_proj_m(int w) { return (((uint64_t)w + 1) * 0x9E3779B97F4A7C15ull) | 1; }
/* The owner's constants with a seed (0: those above): which values go to which worker
   depends on it, and when the words take few values, so does the balance (on TwoPhase
   the busiest worker's share of the levels is 51-56 % from one seed to another):
   partition.py tries a few on the sample. */
static inline uint64_t mc_proj_xs(int w, uint64_t seed) { return mc_proj_x(w) ^ (seed * 0x9E3779B97F4A7C15ull); }
static inline uint64_t mc_proj_ms(int w, uint64_t seed) { return mc_proj_m(w) * (2 * seed + 1); }
/* (the constants of the chosen words are kept: pwx, pwm) */
static inline uint64_t mc_proj_hash(R *r, const V *t) {
    uint64_t h = 0;
    for (int i = 0; i < r->npw; i++) h += ((uint64_t)t[r->pw[i]] ^ r->pwx[i]) * r->pwm[i];
    return h;
}
/* the worker that owns t (whole, its representative; full its mc_part_hash) */
static inline int mc_owner(R *r, const V *t, uint64_t full) {
    return mc_owner_of(r->npw ? mc_proj_hash(r, t) : full, r->nparts);
}
/* the same for a successor t of the state s this worker expands (so owns): when the
   owner's words are s's, so is its owner, and nothing is hashed (most steps change none
   of them: that is why they were chosen) */
static inline int mc_owner_near(R *r, const V *t, const V *s, uint64_t full) {
    if (r->npw) {
        int i = 0;
        while (i < r->npw && t[r->pw[i]] == s[r->pw[i]]) i++;
        if (i == r->npw) return r->me;
    }
    return mc_owner(r, t, full);
}

int mc_part_set(R *r, int n, int me) {
    r->nparts = n; r->me = me;
    r->box = calloc(n, sizeof *r->box);
    r->cfrom = calloc(n, sizeof *r->cfrom);
    r->cfcap = calloc(n, sizeof *r->cfcap);
    r->dc = calloc(PART_DC, sizeof *r->dc);
    return r->box && r->cfrom && r->cfcap && r->dc;
}
/* the owner hashes the words w[0..k) only (each below NVARS; k 0: all of them), with
   the constants of `seed` */
int mc_part_words(R *r, const int *w, int k, int64_t seed) {
    free(r->pw); free(r->pwx); free(r->pwm); r->pw = 0; r->pwx = r->pwm = 0; r->npw = 0;
    if (k <= 0) return 1;
    r->pw = malloc(sizeof(int) * k);
    r->pwx = malloc(sizeof(uint64_t) * k);
    r->pwm = malloc(sizeof(uint64_t) * k);
    if (!r->pw || !r->pwx || !r->pwm) return 0;
    for (int i = 0; i < k; i++) {
        if (w[i] < 0 || w[i] >= NVARS) return 0;
        r->pw[i] = w[i]; r->pwx[i] = mc_proj_xs(w[i], (uint64_t)seed); r->pwm[i] = mc_proj_ms(w[i], (uint64_t)seed);
    }
    r->npw = k;
    return 1;
}
/* the worker that owns the state s (whole, its representative) */
int mc_part_owner(R *r, const V *s) { return mc_owner(r, s, r->npw ? 0 : mc_part_hash(s)); }

/* put t (whole) in box o with its parent and label, packed; 0 when out of memory. A
   state sent before in this level is not sent again when the direct-mapped table of
   recent sends (PART_DC entries: its hash, its place and length in the box) still
   holds it: most repeats are near each other (the successors of siblings, expanded one
   after the other), and a table that fits in the core's cache costs far less per
   successor than a hash set of the whole level's sends. A repeat it misses is sent,
   and the owner's seen test drops it, as it drops a state already stored. */
static int mc_part_send(R *r, int o, int have_h, uint64_t h, const V *t, int64_t si, int lab) {
    struct Box *b = &r->box[o];
    if (b->len + PART_MOST > b->cap) {
        int64_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + PART_MOST) nc *= 2;
        V *a = realloc(b->e, sizeof(V) * nc);
        if (!a) return 0;
        b->e = a; b->cap = nc;
    }
    V *const e = b->e + b->len, *p = e + 2;        /* packed in place, kept unless a repeat */
    int i = 0;
    while (i < NVARS) {
        int z = 0, l = 0;
        /* four words at a time through the zeros (a ZAB state is 1,123 words, most zero) */
        while (i + z + 4 <= NVARS && (t[i + z] | t[i + z + 1] | t[i + z + 2] | t[i + z + 3]) == 0) z += 4;
        while (i + z < NVARS && t[i + z] == 0) z++;
        while (i + z + l < NVARS && t[i + z + l] != 0) l++;
        *p++ = ((V)z << 32) | l;
        memcpy(p, t + i + z, sizeof(V) * l);
        p += l; i += z + l;
    }
    const int64_t len = p - e;
    if (!have_h) {      /* the packed words' (canonical, and short), summed as mc_proj_hash does */
        h = 0;
        for (int64_t k = 2; k < len; k++) h += ((uint64_t)e[k] ^ mc_proj_x((int)k)) * mc_proj_m((int)k);
        h ^= h >> 29;
    }
    const uint64_t g = h & (PART_DC - 1);
    struct Sent *d = &r->dc[g];
    if (d->at && d->h == h && d->len == len) {
        const V *u = b->e + (d->at - 1);
        int64_t k = 2;
        while (k < len && u[k] == e[k]) k++;
        if (k == len) return 1;
    }
    e[0] = si; e[1] = lab;
    d->h = h; d->at = b->len + 1; d->len = len;
    b->len += len;
    b->n++;
    return 1;
}

/* box d of this level, packed for the other worker (mc_part_send); *n is its number of
   words. The words are the box's own, valid until mc_part_clear. */
V *mc_part_box(R *r, int d, int64_t *n) {
    struct Box *b = &r->box[d];
    *n = b->len;
    return b->e;
}
/* empty every box for the next level */
void mc_part_clear(R *r) {
    for (int d = 0; d < r->nparts; d++) r->box[d].n = r->box[d].len = 0;
    memset(r->dc, 0, sizeof *r->dc * PART_DC);
}
/* the level to expand: the states stored and not yet expanded; returns how many */
int64_t mc_part_level(R *r) { r->level_end = r->count; r->started = 1; return r->level_end - r->head; }
/* how many states the sender's label `lab` brought in, for labels 0..n-1 */
void mc_part_cov_from(R *r, int sender, int64_t *out, int64_t n) {
    for (int64_t k = 0; k < n; k++) out[k] = k < r->cfcap[sender] ? r->cfrom[sender][k] : 0;
}
int64_t mc_part_nlabels_from(R *r, int sender) { return r->cfcap[sender]; }

/* the entry of a packed box at buf[i] (mc_part_box): its words into t; returns where
   the next entry starts */
#define PART_AHEAD 16     /* the table slot of the entry this far on is fetched, */
#define PART_AHEAD2 6     /* and the stored state its slot names for the entry this far on */
static inline int64_t mc_part_unpack(const V *buf, int64_t i, V *t) {
    i += 2;
    for (int w = 0; w < NVARS;) {
        const int z = (int)(buf[i] >> 32), l = (int)(buf[i] & 0xffffffff);
        i++;
        memset(t + w, 0, sizeof(V) * z);
        memcpy(t + w + z, buf + i, sizeof(V) * l);
        i += l; w += z + l;
    }
    return i;
}

/* admit the entries of a packed box from `sender` (m words, mc_part_box), from the word
   *pos on: the seen test, constraints, store (the parent a reference
   -2 - (index * nparts + sender)), invariants on the new ones; ST_INVARIANT stops it
   (*pos is where to go on: call again), ST_EXHAUSTED when all are done, ST_ERROR /
   ST_NOMEM as mc_run */
int mc_part_admit(R *r, const V *buf, int64_t m, int sender, int64_t *pos) {
    if (setjmp(r->jb)) {
        r->info[0] = r->err; r->info[1] = -1; r->info[2] = r->err_node;
        return r->err == 99 ? ST_NOMEM : ST_ERROR;
    }
    if (r->inv_next && mc_invariants(r, r->inv_state, r->inv_next)) return ST_INVARIANT;
    /* A state stored whole is its own key, and most entries are states the owner stored
       already (it reached them itself), so a lookup costs two cache misses: the table's
       slot, then the stored state it names. Both are fetched ahead, in two stages: the
       slot of the entry PART_AHEAD further on (its hash kept in a ring), and the stored
       state named by the slot of the entry PART_AHEAD2 further on, whose slot has arrived
       by then. */
    uint64_t ring[32];
    int64_t ahead = *pos, hashed = 0;
    for (; !NCOMP && hashed < PART_AHEAD && ahead < m; hashed++) {
        ahead = mc_part_unpack(buf, ahead, r->abuf);
        const uint64_t g = ring[hashed & 31] = mc_hashn(r->abuf, NVARS);
        __builtin_prefetch(r->table + (g & r->tmask));
    }
    for (int64_t i = *pos, n = 0; i < m; n++) {
        const V *e = buf + i;
        const int64_t at = i;
        V *t = NCOMP && r->has_prev && r->prev_in_ubuf ? r->uprev : r->ubuf;   /* the two take turns (NCOMP) */
        i = mc_part_unpack(buf, i, t);
        if (!NCOMP) {
            if (n + PART_AHEAD2 < hashed) {
                const uint64_t g = ring[(n + PART_AHEAD2) & 31];
                const uint64_t x = (uint64_t)r->table[g & r->tmask];
                if (x && (x & ~TIDX) == (g >> TBITS << TBITS))
                    __builtin_prefetch(r->arena + CW * ((x & TIDX) - 1));
            }
            if (ahead < m) {
                ahead = mc_part_unpack(buf, ahead, r->abuf);
                const uint64_t g = ring[hashed++ & 31] = mc_hashn(r->abuf, NVARS);
                __builtin_prefetch(r->table + (g & r->tmask));
            }
        }
        uint64_t slot;
        int ok;
        /* A state's parts are interned (NCOMP) where they equal the previous entry's
           (mostly a sibling: the same sender expanded the same state), with its indices,
           as mc_run does with a successor's parent: of ZAB's 38 parts a step changes one
           or two. */
        const V *prev = t == r->ubuf ? r->uprev : r->ubuf;
        const V *key = mc_key(r, t, 1, &ok, NCOMP && r->has_prev ? prev : 0, NCOMP && r->has_prev ? r->kprev : 0);
        if (ok < 0) { *pos = at; return ST_NOMEM; }
        if (NCOMP) { memcpy(r->kprev, key, sizeof(V) * CW); r->has_prev = 1; r->prev_in_ubuf = t == r->ubuf; }
        *pos = i;
        if ((NCOMP ? mc_lookup(r, key, &slot) : mc_lookup_h(r, key, ring[n & 31], &slot)) >= 0) continue;
        if (NCONS) {
            int in = 1;
            for (int k = 0; k < NCONS && in; k++) in = mc_cons(r, k, t);
            if (!in) continue;
        }
        int64_t ti = mc_store(r, key, slot, -2 - (e[0] * r->nparts + sender));
        if (ti < 0) { *pos = at; return ST_NOMEM; }
        const int64_t lab = e[1];
        if (lab >= r->cfcap[sender]) {
            int64_t nc = r->cfcap[sender] ? r->cfcap[sender] : 64;
            while (nc <= lab) nc *= 2;
            int64_t *a = realloc(r->cfrom[sender], sizeof(int64_t) * nc);
            if (!a) return ST_NOMEM;
            memset(a + r->cfcap[sender], 0, sizeof(int64_t) * (nc - r->cfcap[sender]));
            r->cfrom[sender] = a; r->cfcap[sender] = nc;
        }
        r->cfrom[sender][lab]++;
        if (NINV && mc_invariants(r, ti, 0)) return ST_INVARIANT;
    }
    return ST_EXHAUSTED;
}

/* ---- choosing the owner's words (modelcheck/native/partition.py), on a sample: the
 * states of a small one-process search in this store. */

/* The sample's log of steps (mc_sample_on): for every successor generated, the number
   of words its representative differs in from the state expanded, then those words. */
static void mc_slog(R *r, const V *s, const V *t) {
    if (r->nslog + NVARS + 1 > r->slogcap) {
        int64_t nc = r->slogcap ? r->slogcap * 2 : 1 << 16;
        while (nc < r->nslog + NVARS + 1) nc *= 2;
        int32_t *a = realloc(r->slog, sizeof(int32_t) * nc);
        if (!a) mc_fail(r, 99, -1);
        r->slog = a; r->slogcap = nc;
    }
    int32_t *c = r->slog + r->nslog, *p = c + 1;
    for (int w = 0; w < NVARS; w++)
        if (t[w] != s[w]) *p++ = w;
    *c = (int32_t)(p - c - 1);
    r->nslog = p - r->slog;
    r->nsteps++;
}
void mc_sample_on(R *r) { r->sampling = 1; }

/* From the sample's log: with rank null, out[w] counts the steps that change word w
   (NVARS counters); else rank[w] is w's place in an order of k words (-1: not in it),
   and out[i] counts the steps whose first changed word in that order is the i-th
   (out[k]: those that change none of them). Returns the number of steps. */
int64_t mc_part_sample(R *r, const int *rank, int k, int64_t *out) {
    for (int64_t i = 0; i < r->nslog;) {
        const int32_t m = r->slog[i++];
        int first = k;
        for (int32_t j = 0; j < m; j++) {
            const int w = r->slog[i + j];
            if (!rank) out[w]++;
            else if (rank[w] >= 0 && rank[w] < first) first = rank[w];
        }
        if (rank) out[first]++;
        i += m;
    }
    return r->nsteps;
}

/* For the states of the sample's `last` deepest complete levels (its deepest level left
   out: the search stopped inside it), when the owner hashes the words order[0..p) (as
   mc_owner does, with the constants of each seed 0..nseeds-1), for p in 1..k:
   loads[seed * (k + 1) + p - 1] is the sum over those levels of the
   largest of the n workers' shares, and values[p - 1] the number of distinct hashes
   (the part's values, but for collisions: counted with seed 0, they hardly depend on
   it); loads[seed * (k + 1) + k] and values[k] the same with the whole state hashed
   (the default). The sample's states are read once for all the seeds. Returns the
   number of states counted, -1 when out of memory. */
int64_t mc_part_balance(R *r, const int *order, int k, int n, int last, int nseeds, int64_t *loads, int64_t *values) {
    const int64_t c = r->count;
    int32_t *depth = malloc(sizeof(int32_t) * (c ? c : 1));
    int maxd = 0;
    for (int64_t i = 0; depth && i < c; i++) {
        const int64_t p = r->parent[i];
        depth[i] = p < 0 ? 0 : depth[p] + 1;
        if (depth[i] > maxd) maxd = depth[i];
    }
    const int lo = maxd - last > 0 ? maxd - last : 0;
    int64_t m = 0;                                 /* the states counted */
    for (int64_t i = 0; depth && i < c; i++) m += depth[i] >= lo && depth[i] < maxd;
    uint64_t smask = 1;
    while (smask < (uint64_t)(2 * m + 2)) smask <<= 1;
    int64_t *at = malloc(sizeof(int64_t) * (m ? m : 1));
    uint64_t *h = malloc(sizeof(uint64_t) * (m ? m : 1)), *full = malloc(sizeof(uint64_t) * (m ? m : 1));
    V *cols = malloc(sizeof(V) * (m ? m : 1) * (k ? k : 1));
    uint64_t *set = malloc(sizeof(uint64_t) * smask);
    int64_t *cnt = calloc((size_t)(maxd + 1) * n, sizeof(int64_t));
    if (!depth || !at || !h || !full || !cols || !set || !cnt) {
        free(depth); free(at); free(h); free(full); free(cols); free(set); free(cnt);
        return -1;
    }
    smask--;
    int64_t j = 0;
    for (int64_t i = 0; i < c; i++) {
        if (depth[i] < lo || depth[i] >= maxd) continue;
        const V *s = mc_state(r, i, r->cur);
        for (int w = 0; w < k; w++) cols[j * k + w] = s[order[w]];
        full[j] = mc_part_hash(s);
        h[j] = 0;
        at[j++] = i;
    }
    for (int64_t seed = 0; seed < nseeds; seed++) {
        if (seed) memset(h, 0, sizeof(uint64_t) * (m ? m : 1));
        for (int p = 0; p <= k; p++) {
            memset(cnt, 0, sizeof(int64_t) * (size_t)(maxd + 1) * n);
            const int count_values = seed == 0;
            if (count_values) memset(set, 0, sizeof(uint64_t) * (smask + 1));
            int64_t distinct = 0, zero = 0;
            /* the p-th word's term, as mc_part_words's constants make it */
            const uint64_t px = p < k ? mc_proj_xs(order[p], (uint64_t)seed) : 0;
            const uint64_t pm = p < k ? mc_proj_ms(order[p], (uint64_t)seed) : 0;
            for (j = 0; j < m; j++) {
                uint64_t g;
                if (p < k) g = h[j] += ((uint64_t)cols[j * k + p] ^ px) * pm;
                else g = full[j];
                cnt[(int64_t)depth[at[j]] * n + mc_owner_of(g, n)]++;
                if (!count_values) continue;
                if (!g) { distinct += !zero; zero = 1; continue; }   /* 0 marks a free slot */
                uint64_t x = (g ^ (g >> 31)) & smask;
                while (set[x] && set[x] != g) x = (x + 1) & smask;
                if (!set[x]) { set[x] = g; distinct++; }
            }
            int64_t load = 0;
            for (int d = lo; d < maxd; d++) {
                int64_t most = 0;
                for (int w = 0; w < n; w++) if (cnt[(int64_t)d * n + w] > most) most = cnt[(int64_t)d * n + w];
                load += most;
            }
            loads[seed * (k + 1) + p] = load;
            if (count_values) values[p] = distinct;
        }
    }
    free(depth); free(at); free(h); free(full); free(cols); free(set); free(cnt);
    return m;
}

int mc_run(R *r, int64_t budget) {
    if (setjmp(r->jb)) {
        r->info[0] = r->err; r->info[1] = r->si; r->info[2] = r->err_node;
        r->expanding = 0; r->finishing = 0;
        return r->err == 99 ? ST_NOMEM : ST_ERROR;
    }
    for (;;) {
        if (r->expanding) {
            const int64_t si = r->si;
            if (r->inv_next && mc_invariants(r, r->inv_state, r->inv_next)) return ST_INVARIANT;
            while (r->pos < r->nout) {
                /* the budget counts successors too, and a slice may end inside a state's
                   expansion (it resumes at this successor): a state of a wide spec has
                   thousands, each with invariants over every pair of its values, and one
                   expansion ran for minutes past --time-limit (twophase, RM=1000, issue 14) */
                if (--budget < 0) return ST_RUNNING;
                const int64_t j = r->pos++;
                const V *t = r->out + NVARS * j;
                const int lab = r->olab[j];
#if NCOMP
                const V *s = r->cur;                  /* expanded when the expansion began */
#else
                const V *s = r->arena + NVARS * si;   /* the arena may move: reread */
#endif
                if (!r->resumed) r->gen_cov[lab]++;
                r->resumed = 0;
                if (NSTEP) {
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
                if (NCANON && r->use_canon) mc_canon(r, (V *)t);     /* the orbit's representative, in place */
                if (r->sampling) mc_slog(r, s, t);
                const uint64_t hh = r->pf ? r->oh[j] : 0;
                if (r->nparts > 1) {                  /* another worker's: to its box */
                    /* the whole state's hash: the owner's by default (else mc_part_send
                       hashes the packed state for its table of recent sends) */
                    const uint64_t full = r->pf || r->npw ? hh : mc_part_hash(t);
                    const int o = r->pf ? r->oo[j] : mc_owner_near(r, t, s, full);
                    if (o != r->me) {
                        if (!mc_part_send(r, o, r->pf || !r->npw, full, t, si, lab)) { r->pos--; r->resumed = 1; return ST_NOMEM; }
                        continue;
                    }
                }
                uint64_t slot;
                int ok;
                const V *key = mc_key(r, t, 1, &ok, s, r->arena + CW * si);
                if (ok < 0) { r->pos--; r->resumed = 1; return ST_NOMEM; }
                int64_t old = r->pf ? mc_lookup_h(r, key, hh, &slot) : mc_lookup(r, key, &slot);
                if (old >= 0) {
                    if (r->record && old != si) mc_rec(r, old, lab);
                    continue;
                }
                if (NCONS) {
                    int ok = 1;
                    for (int k = 0; k < NCONS && ok; k++) ok = mc_cons(r, k, t);
                    if (!ok) continue;
                }
                int64_t ti = mc_store(r, key, slot, si);
                if (ti < 0) { r->pos--; r->resumed = 1; return ST_NOMEM; }
                r->new_cov[lab]++;
                if (r->record) mc_rec(r, ti, lab);
                if (NINV && mc_invariants(r, ti, 0)) return ST_INVARIANT;
            }
            r->expanding = 0;
            r->finishing = 1;
            if (r->record) mc_rec_row(r, si);
        }
        if (r->finishing) {                          /* a state's expansion is over */
            if (r->dfs) {                            /* its new successors, the first on top */
                if (!mc_push_dfs(r, r->dnew, r->count, r->dcur + 1)) return ST_NOMEM;
                r->dnew = r->count;
            }
            r->finishing = 0;
            if (r->max_states >= 0 && r->count >= r->max_states) return ST_MAX_STATES;
            if (--budget <= 0) return ST_RUNNING;
        }
        int64_t si;
        if (r->dfs) {
            if (!r->started) {                       /* the initial states, the first on top */
                if (!mc_push_dfs(r, 0, r->count, 1)) return ST_NOMEM;
                r->started = 1;
            }
            if (r->sp == 0) return r->depth_cut ? ST_MAX_DEPTH : ST_EXHAUSTED;
            const int64_t d = r->dstack[--r->sp];
            si = r->dstack[--r->sp];
            if (d > r->depth) r->depth = d;
            if (r->max_depth >= 0 && d >= r->max_depth) { r->depth_cut = 1; continue; }
            r->dcur = d; r->dnew = r->count;
        } else {
        if (r->head == r->level_end) {               /* a level is done: the next one */
            if (r->nparts) return ST_LEVEL;          /* the coordinator's to start */
            if (r->head == r->count) return ST_EXHAUSTED;
            if (r->started) r->depth++;
            r->started = 1;
            r->level_end = r->count;
            if (r->max_depth >= 0 && r->depth >= r->max_depth) return ST_MAX_DEPTH;
            if (r->level_end - r->head > r->max_frontier) r->max_frontier = r->level_end - r->head;
        }
        si = r->head++;
        }
        r->si = si;
        r->nout = 0; r->pos = 0; r->resumed = 0;
        r->assert_failed = 0;
        mc_succ(r, mc_state(r, si, r->cur));
        r->finishing = 1;
        if (r->assert_failed) {
            r->rec_broken = 1;
            r->info[1] = si;
            r->nout = 0;
            return ST_ASSERT;          /* the caller records it; the state counts as expanded */
        }
        if (r->nout == 0) {
            if (r->record) mc_rec_row(r, si);
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
        /* A state stored whole and not replaced by its orbit's representative is its
           own key: its hash, computed here for every successor, is both its owner's and
           its place in the table, which is fetched into the cache now, so that the
           successors' cache misses overlap instead of coming one after the other. */
        r->pf = !NCOMP && !(NCANON && r->use_canon);
        if (r->pf) {
            for (int64_t j = 0; j < r->nout; j++) {
                const uint64_t h = mc_hashn(r->out + NVARS * j, NVARS);
                r->oh[j] = h;
                if (r->nparts > 1) r->oo[j] = mc_owner_near(r, r->out + NVARS * j, r->arena + NVARS * r->si, h);
                if (r->nparts <= 1 || r->oo[j] == r->me)
                    __builtin_prefetch(r->table + (h & r->tmask));
                else
                    __builtin_prefetch(r->dc + (h & (PART_DC - 1)));
            }
        }
    }
}
