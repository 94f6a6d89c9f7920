/**
 * ETag and If-Match (RFC 9110) for the operators' Save: the store's version is opaque to the
 * core; here it becomes a quoted entity tag, and If-Match becomes the check the core applies.
 */

/** Cosmos returns its etag quoted; the emulator does not. The header is always quoted. */
export function quoteEtag(version: string): string {
  return version.startsWith('"') ? version : `"${version}"`;
}

/**
 * If-Match: `*`, or a list of (weak or strong) entity tags, compared as strong tags; undefined
 * when the header is absent (the core then answers 428).
 */
export function ifMatchCheck(ifMatch: string | null): ((version: string) => boolean) | undefined {
  const header = ifMatch?.trim();
  if (!header) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  return (version) => tags.some((tag) => tag === '*' || tag === quoteEtag(version));
}
