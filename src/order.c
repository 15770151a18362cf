/* order: the dependency graph of the [install] requires / should words
 * (DESIGN 4.12). An edge A -> B means A needs B started first. The graph
 * knows which services can never start (on a cycle, a requirement that is no
 * service, or a requirement of those) and says so in an errlist; the
 * scheduler in pool.c runs it. Nothing here prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcctl.h"

#define WORD_SEPARATORS " \t"

static int name_order(const void *a, const void *b, void *arg)
{
	const struct order_item *items = arg;

	return strcmp(items[*(const size_t *)a].name, items[*(const size_t *)b].name);
}

struct lookup {
	const struct order_item *items;
	size_t *byname; /* item indexes sorted by name */
	size_t n;
};

/* The item named word (length len), or SIZE_MAX */
static size_t lookup_word(const struct lookup *l, const char *word, size_t len)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = l->items[l->byname[mid]].name;
		int c = strncmp(name, word, len);

		if (c == 0 && name[len] != '\0')
			c = 1;
		if (c == 0)
			return l->byname[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static void add_dep(struct order_node *node, size_t to, bool hard)
{
	if (node->ndeps == node->cap) {
		node->cap = node->cap ? node->cap * 2 : 4;
		node->deps = xrealloc(node->deps, node->cap * sizeof(*node->deps));
	}
	node->deps[node->ndeps].to = to;
	node->deps[node->ndeps].hard = hard;
	node->ndeps++;
}

/* The edges of one item's requires (hard) or should words */
static void add_words(struct order *g, const struct lookup *l, size_t i,
		      const char *words, bool hard, bool complete)
{
	const char *p = words;

	while (p && *p) {
		size_t len, to;

		p += strspn(p, WORD_SEPARATORS);
		len = strcspn(p, WORD_SEPARATORS);
		if (len == 0)
			break;
		to = p[0] == '$' ? SIZE_MAX : lookup_word(l, p, len);
		if (to != SIZE_MAX)
			add_dep(&g->nodes[i], to, hard);
		else if (p[0] != '$' && complete && hard)
			strv_push_owned(&g->nodes[i].missing,
					xasprintf("%.*s", (int)len, p));
		else if (p[0] != '$' && complete)
			strv_push_owned(
				&g->notes,
				xasprintf("%s: should '%.*s' is no service; ignored",
					  l->items[i].name, (int)len, p));
		p += len;
	}
}

struct tarjan {
	struct order *g;
	size_t *index, *low, *stack, *size;
	bool *on_stack;
	size_t sp, counter;
};

/* Tarjan's strongly connected components; a component of two or more
 * members, or one that needs itself, is a cycle. */
static void strongconnect(struct tarjan *t, size_t v)
{
	struct order_node *node = &t->g->nodes[v];

	t->index[v] = t->low[v] = ++t->counter;
	t->stack[t->sp++] = v;
	t->on_stack[v] = true;
	for (size_t k = 0; k < node->ndeps; k++) {
		size_t w = node->deps[k].to;

		if (!t->index[w]) {
			strongconnect(t, w);
			if (t->low[w] < t->low[v])
				t->low[v] = t->low[w];
		} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
			t->low[v] = t->index[w];
		}
	}
	if (t->low[v] == t->index[v]) {
		size_t comp = t->g->ncomps++, w;

		t->size[comp] = 0;
		do {
			w = t->stack[--t->sp];
			t->on_stack[w] = false;
			t->g->nodes[w].scc = comp;
			t->size[comp]++;
		} while (w != v);
	}
}

static bool needs_itself(const struct order_node *node, size_t self)
{
	for (size_t k = 0; k < node->ndeps; k++)
		if (node->deps[k].to == self)
			return true;
	return false;
}

/* The shortest cycle from start back to it inside its component, by a
 * breadth-first search; parent and queue are scratch arrays of g->n. */
static void find_cycle(struct order *g, size_t start, size_t *parent, size_t *queue)
{
	struct order_cycle *cy;
	size_t head = 0, tail = 0, last = SIZE_MAX, len = 1, comp = g->nodes[start].scc;

	parent[start] = start;
	queue[tail++] = start;
	while (head < tail && last == SIZE_MAX) {
		size_t v = queue[head++];
		const struct order_node *node = &g->nodes[v];

		for (size_t k = 0; k < node->ndeps; k++) {
			size_t w = node->deps[k].to;

			if (w == start) {
				last = v;
				break;
			}
			if (g->nodes[w].scc != comp || parent[w] != SIZE_MAX)
				continue;
			parent[w] = v;
			queue[tail++] = w;
		}
	}
	for (size_t v = last; v != start; v = parent[v])
		len++;
	g->cycles = xrealloc(g->cycles, (g->ncycles + 1) * sizeof(*g->cycles));
	cy = &g->cycles[g->ncycles++];
	cy->n = len;
	cy->v = xcalloc(len, sizeof(*cy->v));
	/* the path found runs backwards from last to start */
	for (size_t v = last, k = len; k > 0; v = parent[v])
		cy->v[--k] = v;
	for (size_t k = 0; k < tail; k++)
		parent[queue[k]] = SIZE_MAX;
}

/* Names every member of every cyclic component: a cycle through its first
 * member by name, then through the first one not named yet, until each is. */
static void find_cycles(struct order *g, const struct lookup *l, const size_t *size)
{
	size_t *parent = xcalloc(g->n, sizeof(*parent));
	size_t *queue = xcalloc(g->n, sizeof(*queue));
	bool *named = xcalloc(g->n, sizeof(*named));

	for (size_t i = 0; i < g->n; i++)
		parent[i] = SIZE_MAX;
	for (size_t k = 0; k < g->n; k++) {
		size_t v = l->byname[k], comp = g->nodes[v].scc;

		if (named[v] || (size[comp] < 2 && !needs_itself(&g->nodes[v], v)))
			continue;
		find_cycle(g, v, parent, queue);
		for (size_t m = 0; m < g->cycles[g->ncycles - 1].n; m++)
			named[g->cycles[g->ncycles - 1].v[m]] = true;
	}
	for (size_t i = 0; i < g->n; i++)
		if (named[i])
			g->nodes[i].block = ORDER_CYCLE;
	free(parent);
	free(queue);
	free(named);
}

/* Whatever requires a service that cannot start cannot start either. */
static void block_dependents(struct order *g)
{
	size_t *first = xcalloc(g->n + 1, sizeof(*first)), *rev, *queue;
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].ndeps; k++)
			if (g->nodes[i].deps[k].hard)
				first[g->nodes[i].deps[k].to + 1]++;
	for (size_t i = 0; i < g->n; i++)
		first[i + 1] += first[i];
	rev = xcalloc(first[g->n] + 1, sizeof(*rev));
	queue = xcalloc(g->n + 1, sizeof(*queue));
	{
		size_t *fill = xcalloc(g->n + 1, sizeof(*fill));

		for (size_t i = 0; i < g->n; i++)
			for (size_t k = 0; k < g->nodes[i].ndeps; k++) {
				size_t to = g->nodes[i].deps[k].to;

				if (g->nodes[i].deps[k].hard)
					rev[first[to] + fill[to]++] = i;
			}
		free(fill);
	}
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].block != ORDER_OK)
			queue[tail++] = i;
	while (head < tail) {
		size_t v = queue[head++];

		for (size_t k = first[v]; k < first[v + 1]; k++) {
			struct order_node *d = &g->nodes[rev[k]];

			if (d->block != ORDER_OK)
				continue;
			d->block = ORDER_NEEDS;
			d->cause = v;
			queue[tail++] = rev[k];
		}
	}
	free(first);
	free(rev);
	free(queue);
}

/* Builds the graph of items[0..n-1]. complete: the items are every service,
 * so a requires word that names none of them is an error (a should word
 * only a note); otherwise words outside the items are ignored. Returns 0,
 * or -1 with each missing requirement and each cycle in el (the graph is
 * built all the same: the blocked services are marked). */
int order_build(struct order *g, const struct order_item *items, size_t n, bool complete,
		struct errlist *el)
{
	struct lookup l = {items, xcalloc(n + 1, sizeof(size_t)), n};
	struct tarjan t = {0};
	size_t before = el->msgs.n;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->nodes = xcalloc(n + 1, sizeof(*g->nodes));
	for (size_t i = 0; i < n; i++)
		l.byname[i] = i;
	qsort_r(l.byname, n, sizeof(size_t), name_order, (void *)items);
	for (size_t i = 0; i < n; i++) {
		add_words(g, &l, i, items[i].requires, true, complete);
		add_words(g, &l, i, items[i].should, false, complete);
		if (g->nodes[i].missing.n)
			g->nodes[i].block = ORDER_MISSING;
	}
	t.g = g;
	t.index = xcalloc(n + 1, sizeof(size_t));
	t.low = xcalloc(n + 1, sizeof(size_t));
	t.stack = xcalloc(n + 1, sizeof(size_t));
	t.size = xcalloc(n + 1, sizeof(size_t));
	t.on_stack = xcalloc(n + 1, sizeof(bool));
	for (size_t i = 0; i < n; i++)
		if (!t.index[i])
			strongconnect(&t, i);
	find_cycles(g, &l, t.size);
	block_dependents(g);
	order_report(g, items, NULL, el);
	free(t.index);
	free(t.low);
	free(t.stack);
	free(t.size);
	free(t.on_stack);
	free(l.byname);
	return el->msgs.n > before ? -1 : 0;
}

/* Adds to el the missing requirements of the items marked in only (all when
 * NULL) and every cycle one of them is on. */
void order_report(const struct order *g, const struct order_item *items, const bool *only,
		  struct errlist *el)
{
	for (size_t i = 0; i < g->n; i++) {
		if (only && !only[i])
			continue;
		for (size_t k = 0; k < g->nodes[i].missing.n; k++)
			errlist_add(el, "%s: requires '%s', which is no service (%s)",
				    items[i].name, g->nodes[i].missing.v[k],
				    items[i].file ? items[i].file : items[i].name);
	}
	for (size_t c = 0; c < g->ncycles; c++) {
		const struct order_cycle *cy = &g->cycles[c];
		bool relevant = !only;
		size_t len = 0;
		char *text;

		for (size_t k = 0; k < cy->n; k++) {
			if (only && only[cy->v[k]])
				relevant = true;
			len += strlen(items[cy->v[k]].name) + 4;
		}
		if (!relevant)
			continue;
		len += strlen(items[cy->v[0]].name) + 1;
		text = xcalloc(len, 1);
		for (size_t k = 0, at = 0; k < cy->n; k++)
			at += (size_t)snprintf(text + at, len - at, "%s -> ",
					       items[cy->v[k]].name);
		snprintf(text + strlen(text), len - strlen(text), "%s",
			 items[cy->v[0]].name);
		errlist_add(el, "dependency cycle: %s", text);
		free(text);
	}
}

/* A topological order: each item after everything it needs, in item order
 * where that leaves a choice. Returns how many were placed (fewer than n
 * when some are on a cycle). */
size_t order_topo(const struct order *g, size_t *out)
{
	size_t *waiting = xcalloc(g->n + 1, sizeof(*waiting));
	size_t *first = xcalloc(g->n + 1, sizeof(*first)), *rev, *fill;
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < g->n; i++) {
		waiting[i] = g->nodes[i].ndeps;
		for (size_t k = 0; k < g->nodes[i].ndeps; k++)
			first[g->nodes[i].deps[k].to + 1]++;
	}
	for (size_t i = 0; i < g->n; i++)
		first[i + 1] += first[i];
	rev = xcalloc(first[g->n] + 1, sizeof(*rev));
	fill = xcalloc(g->n + 1, sizeof(*fill));
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].ndeps; k++) {
			size_t to = g->nodes[i].deps[k].to;

			rev[first[to] + fill[to]++] = i;
		}
	for (size_t i = 0; i < g->n; i++)
		if (waiting[i] == 0)
			out[tail++] = i;
	while (head < tail) {
		size_t v = out[head++];

		for (size_t k = first[v]; k < first[v + 1]; k++)
			if (--waiting[rev[k]] == 0)
				out[tail++] = rev[k];
	}
	free(waiting);
	free(first);
	free(rev);
	free(fill);
	return tail;
}

void order_free(struct order *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->nodes[i].deps);
		strv_free(&g->nodes[i].missing);
	}
	for (size_t c = 0; c < g->ncycles; c++)
		free(g->cycles[c].v);
	free(g->cycles);
	free(g->nodes);
	strv_free(&g->notes);
	memset(g, 0, sizeof(*g));
}

static void set_add(struct order_set *s, const struct globalconf *gc, const char *name)
{
	struct errlist el = {0};

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->svcs = xrealloc(s->svcs, s->cap * sizeof(*s->svcs));
		s->loaded = xrealloc(s->loaded, s->cap * sizeof(*s->loaded));
	}
	strv_push(&s->names, name);
	/* a service that does not load has no known edges; its action
	 * reports why when it loads it again */
	s->loaded[s->n] = service_load(&s->svcs[s->n], gc, name, &el) == 0;
	if (!s->loaded[s->n])
		service_free(&s->svcs[s->n]);
	errlist_free(&el);
	s->n++;
}

static void set_items(struct order_set *s)
{
	s->items = xcalloc(s->n + 1, sizeof(*s->items));
	for (size_t i = 0; i < s->n; i++) {
		s->items[i].name = s->names.v[i];
		if (!s->loaded[i])
			continue;
		s->items[i].file = s->svcs[i].ini_path;
		s->items[i].requires = s->svcs[i].requires;
		s->items[i].should = s->svcs[i].should;
	}
}

/* Loads each of names once: the graph and the actions share the loads. */
void order_set_load(struct order_set *s, const struct globalconf *gc,
		    const struct strv *names)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < names->n; i++)
		set_add(s, gc, names->v[i]);
	set_items(s);
}

static int str_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads roots and every service their requires and should words reach, so
 * a graph of them is complete for the roots: a word that names no NAME.ini
 * in services_dir is missing. Returns 0, or -1 when services_dir cannot be
 * listed. */
int order_set_reach(struct order_set *s, const struct globalconf *gc,
		    const struct strv *roots)
{
	struct strv all = {0};
	bool *taken;

	memset(s, 0, sizeof(*s));
	if (service_list(gc, &all) < 0)
		return -1;
	taken = xcalloc(all.n + 1, sizeof(*taken));
	for (size_t i = 0; i < roots->n; i++) {
		/* bsearch wants a base even for no names */
		char **hit = !all.n
			? NULL
			: bsearch(&roots->v[i], all.v, all.n, sizeof(char *), str_order);

		if (hit)
			taken[hit - all.v] = true;
		set_add(s, gc, roots->v[i]);
	}
	for (size_t i = 0; i < s->n; i++) {
		const char *lists[2];

		if (!s->loaded[i])
			continue;
		lists[0] = s->svcs[i].requires;
		lists[1] = s->svcs[i].should;
		for (int w = 0; w < 2; w++) {
			const char *p = lists[w];

			while (p && *p) {
				size_t len;
				char *word, **hit;

				p += strspn(p, WORD_SEPARATORS);
				len = strcspn(p, WORD_SEPARATORS);
				if (len == 0)
					break;
				word = xasprintf("%.*s", (int)len, p);
				p += len;
				hit = word[0] == '$' || !all.n
					? NULL
					: bsearch(&word, all.v, all.n, sizeof(char *),
						  str_order);
				if (hit && !taken[hit - all.v]) {
					taken[hit - all.v] = true;
					set_add(s, gc, word);
				}
				free(word);
			}
		}
	}
	free(taken);
	strv_free(&all);
	set_items(s);
	return 0;
}

void order_set_free(struct order_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->loaded[i])
			service_free(&s->svcs[i]);
	free(s->svcs);
	free(s->loaded);
	free(s->items);
	strv_free(&s->names);
	memset(s, 0, sizeof(*s));
}
