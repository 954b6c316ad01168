// Reading a whole paged list. The server's lists come a page at a time (`limit`, `after`) with the
// cursor of the next page in `next`; a screen that needs the whole list reads page after page.

/** One page of a list: its cursor to the next page, or none on the last. */
export interface Paged {
  next?: string | null
}

/**
 * Every item of a paged list, in the server's order. `fetch(after)` asks for one page (`after` is
 * `undefined` for the first) and `items(page)` picks the page's rows. Stops at the last page, at an
 * empty page, or after `maxPages` pages (a bound, so a server that kept answering `next` cannot keep
 * a screen reading forever).
 *
 * ```ts
 * const users = await allPages(
 *   (after) => call(session.api.GET('/api/users', { params: { query: { limit: 1000, after } } })),
 *   (page) => page.users,
 * )
 * ```
 */
export async function allPages<P extends Paged, T>(
  fetch: (after: string | undefined) => Promise<P>,
  items: (page: P) => T[],
  maxPages = 20,
): Promise<T[]> {
  const all: T[] = []
  let after: string | undefined
  for (let i = 0; i < maxPages; i += 1) {
    const page = await fetch(after)
    const rows = items(page)
    all.push(...rows)
    if (!page.next || rows.length === 0) break
    after = page.next
  }
  return all
}
