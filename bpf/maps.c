/* bpf/maps.c: the maps a program declares, and the canonical form of their
 * contents after a run (the observation kernel targets and the interpreter
 * both produce; bpf.h "observations: map contents"). No map semantics
 * live here: the interpreter models them (interp/interp.c), the kernel
 * runs its own. */
#include "bpf/bpf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cf_map *cf_prog_add_map(struct cf_prog *p, const char *name, uint32_t type, uint32_t key_size,
			       uint32_t value_size, uint32_t max_entries, struct cf_err *err)
{
	struct cf_map *m;

	if (p->nmaps >= CF_MAX_MAPS) {
		cf_err_set(err, "map %s: at most %d maps per program", name, CF_MAX_MAPS);
		return NULL;
	}
	if (cf_prog_find_map(p, name) >= 0) {
		cf_err_set(err, "map %s is declared twice", name);
		return NULL;
	}
	if (type != BPF_MAP_TYPE_ARRAY && type != BPF_MAP_TYPE_HASH && type != BPF_MAP_TYPE_PROG_ARRAY) {
		cf_err_set(err, "map %s: type %u (expected array, hash or prog_array)", name, type);
		return NULL;
	}
	/* kernel/bpf/arraymap.c array_map_alloc_check: key_size must be 4 */
	if ((type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PROG_ARRAY) && key_size != 4) {
		cf_err_set(err, "map %s: an array's key is its u32 index (key=4), not %u bytes", name, key_size);
		return NULL;
	}
	/* fd_array_map_alloc_check: a prog array's value is a program's fd */
	if (type == BPF_MAP_TYPE_PROG_ARRAY && value_size != 4) {
		cf_err_set(err, "map %s: a prog array's value is a program fd (value=4), not %u bytes", name,
			   value_size);
		return NULL;
	}
	if (key_size < 1 || key_size > CF_MAP_MAX_KEY) {
		cf_err_set(err, "map %s: key=%u (expected 1..%d)", name, key_size, CF_MAP_MAX_KEY);
		return NULL;
	}
	if (value_size < 1 || value_size > CF_MAP_MAX_VALUE) {
		cf_err_set(err, "map %s: value=%u (expected 1..%d)", name, value_size, CF_MAP_MAX_VALUE);
		return NULL;
	}
	if (max_entries < 1 || max_entries > CF_MAP_MAX_ENTRIES) {
		cf_err_set(err, "map %s: entries=%u (expected 1..%d)", name, max_entries, CF_MAP_MAX_ENTRIES);
		return NULL;
	}
	m = &p->maps[p->nmaps++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->max_entries = max_entries;
	return m;
}

int cf_map_set_rdonly(struct cf_map *m, const uint8_t *value, size_t len, struct cf_err *err)
{
	/* a constant string is a direct value (check_arg_const_str needs
	 * map_direct_value_addr): a one-entry array */
	if (m->type != BPF_MAP_TYPE_ARRAY || m->max_entries != 1) {
		cf_err_set(err, "map %s: only a one-entry array may be read-only (rdonly)", m->name);
		return -1;
	}
	if (len > m->value_size) {
		cf_err_set(err, "map %s: %zu bytes of contents, its value has %u", m->name, len, m->value_size);
		return -1;
	}
	memset(m->init, 0, sizeof(m->init));
	memcpy(m->init, value, len);
	m->rdonly = true;
	return 0;
}

int cf_prog_find_map(const struct cf_prog *p, const char *name)
{
	for (int i = 0; i < p->nmaps; i++)
		if (strcmp(p->maps[i].name, name) == 0)
			return i;
	return -1;
}

int cf_map_dump_add(struct cf_map_dump *d, const struct cf_map *m, uint32_t count, const uint8_t *entries)
{
	size_t esize = m->key_size + m->value_size, n = (size_t)count * esize;
	uint8_t tmp[CF_MAP_MAX_ENTRIES * (CF_MAP_MAX_KEY + CF_MAP_MAX_VALUE)];

	if (count > m->max_entries || count > CF_MAP_MAX_ENTRIES || d->len + 4 + n > sizeof(d->data))
		return -1;
	memcpy(tmp, entries, n);
	/* sort by key bytes (insertion sort: at most CF_MAP_MAX_ENTRIES) */
	for (uint32_t i = 1; i < count; i++)
		for (uint32_t j = i; j > 0 && memcmp(tmp + (j - 1) * esize, tmp + j * esize, m->key_size) > 0;
		     j--) {
			uint8_t t[CF_MAP_MAX_KEY + CF_MAP_MAX_VALUE];

			memcpy(t, tmp + j * esize, esize);
			memcpy(tmp + j * esize, tmp + (j - 1) * esize, esize);
			memcpy(tmp + (j - 1) * esize, t, esize);
		}
	for (int b = 0; b < 4; b++)
		d->data[d->len++] = (uint8_t)(count >> (8 * b));
	memcpy(d->data + d->len, tmp, n);
	d->len += (uint32_t)n;
	return 0;
}

static void hex(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t k = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && k + 3 < size; i++)
		k += (size_t)snprintf(buf + k, size - k, "%02x", p[i]);
}

const uint8_t *cf_map_dump_entries(const struct cf_prog *p, const struct cf_map_dump *d, int mi, uint32_t *count)
{
	uint32_t at = 0;

	for (int k = 0; k <= mi && k < p->nmaps; k++) {
		uint32_t esize = p->maps[k].key_size + p->maps[k].value_size, n;

		if (at + 4 > d->len)
			return NULL;
		n = (uint32_t)d->data[at] | (uint32_t)d->data[at + 1] << 8 | (uint32_t)d->data[at + 2] << 16 |
		    (uint32_t)d->data[at + 3] << 24;
		at += 4;
		if ((uint64_t)at + (uint64_t)n * esize > d->len)
			return NULL;
		if (k == mi) {
			*count = n;
			return d->data + at;
		}
		at += n * esize;
	}
	return NULL;
}

int cf_map_dump_diff(const struct cf_prog *p, const struct cf_map_dump *want, const struct cf_map_dump *got,
		     char *place, size_t size)
{
	uint32_t a = 0, b = 0;

	for (int mi = 0; mi < p->nmaps; mi++) {
		const struct cf_map *m = &p->maps[mi];
		uint32_t esize = m->key_size + m->value_size, na, nb;

		if (a + 4 > want->len || b + 4 > got->len) {
			snprintf(place, size, "map %d (%s): contents missing", mi, m->name);
			return 1;
		}
		na = (uint32_t)want->data[a] | (uint32_t)want->data[a + 1] << 8 | (uint32_t)want->data[a + 2] << 16 |
		     (uint32_t)want->data[a + 3] << 24;
		nb = (uint32_t)got->data[b] | (uint32_t)got->data[b + 1] << 8 | (uint32_t)got->data[b + 2] << 16 |
		     (uint32_t)got->data[b + 3] << 24;
		a += 4, b += 4;
		if (na != nb) {
			snprintf(place, size, "map %d (%s) entries %u != %u", mi, m->name, na, nb);
			return 1;
		}
		if (a + na * esize > want->len || b + nb * esize > got->len) {
			snprintf(place, size, "map %d (%s): contents truncated", mi, m->name);
			return 1;
		}
		for (uint32_t e = 0; e < na; e++) {
			const uint8_t *x = want->data + a + e * esize, *y = got->data + b + e * esize;
			char k[2 * CF_MAP_MAX_KEY + 1];

			hex(k, sizeof(k), x, m->key_size);
			if (memcmp(x, y, m->key_size)) {
				char k2[2 * CF_MAP_MAX_KEY + 1];

				hex(k2, sizeof(k2), y, m->key_size);
				snprintf(place, size, "map %d (%s) entry %u key %s != %s", mi, m->name, e, k, k2);
				return 1;
			}
			for (uint32_t v = 0; v < m->value_size; v++)
				if (x[m->key_size + v] != y[m->key_size + v]) {
					snprintf(place, size, "map %d (%s) key %s value[%u]", mi, m->name, k, v);
					return 1;
				}
		}
		a += na * esize, b += nb * esize;
	}
	return 0;
}
