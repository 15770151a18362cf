/* The lines of the log flood (stress 05): written by flood, checked by
 * floodcheck. */
#ifndef FLOOD_H
#define FLOOD_H

#include <string.h>

#define FLOOD_DIGITS 10
#define FLOOD_FILL_MAX 97
#define FLOOD_LINE_MAX (FLOOD_DIGITS + 1 + FLOOD_FILL_MAX + 1)

/* the filler of line n: its length (0..96) and its letter */
static inline size_t flood_fill_len(long n)
{
	return (size_t)((unsigned long)n * 7919UL % FLOOD_FILL_MAX);
}

static inline char flood_fill_char(long n)
{
	return (char)('a' + n % 26);
}

/* writes line n, newline included, at p; returns its length */
static inline size_t flood_line(long n, char *p)
{
	size_t fill = flood_fill_len(n);
	long v = n;

	for (int i = FLOOD_DIGITS - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	p[FLOOD_DIGITS] = ' ';
	memset(p + FLOOD_DIGITS + 1, flood_fill_char(n), fill);
	p[FLOOD_DIGITS + 1 + fill] = '\n';
	return FLOOD_DIGITS + 2 + fill;
}

#endif
