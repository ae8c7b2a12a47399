// Pages a list the way GitHub's REST API does: `per_page` (default 30) items from `page` (default 1), and a `Link`
// header whose absolute URLs keep every other query parameter of the request.

export interface Page<T> {
  items: T[];
  /** The Link header value, or undefined when everything fits on the first page. */
  link: string | undefined;
}

/** `requestUrl` is the absolute URL of the request as the client sent it (on the server's base URL). */
export function paginate<T>(all: readonly T[], requestUrl: URL, page: number, perPage: number): Page<T> {
  const items = all.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const at = (n: number): string => {
    const url = new URL(requestUrl);
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  // GitHub's order: prev, next, last, first.
  const parts: string[] = [];
  if (page > 1) parts.push(`<${at(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last) parts.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) parts.push(`<${at(1)}>; rel="first"`);
  return { items, link: parts.length > 0 ? parts.join(', ') : undefined };
}
