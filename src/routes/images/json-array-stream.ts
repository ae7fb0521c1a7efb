/**
 * A JSON array read page by page, byte for byte what `JSON.stringify(allItems)` gives (`[`,
 * items without whitespace joined by `,`, `]`). When the first page is also the last (most
 * lists), it is that string, sent with its length. Otherwise it is a stream, one chunk per
 * page, holding only one page at a time. If reading a page fails after the first chunk went out
 * (the status is sent by then), the stream errors instead of closing: the runtime aborts the
 * response (a chunked body without its last chunk, a reset connection), so a client never
 * mistakes a cut-off list for a complete one — the closing `]` is only ever written after the
 * last page.
 */
export async function jsonArrayBody<T>(
  pages: AsyncGenerator<T[], void, undefined>,
  /** Rows in a full page: a shorter first page is the whole list (no further page is read). */
  pageRows: number,
  render: (item: T) => unknown,
  onError: (err: unknown) => void,
): Promise<string | ReadableStream<Uint8Array>> {
  // One stringify per page; its brackets are dropped where pages are joined.
  const items = (page: T[]) => JSON.stringify(page.map(render)).slice(1, -1);
  const first = await pages.next();
  if (first.done || first.value.length < pageRows) {
    await pages.return(undefined);
    return `[${first.done ? '' : items(first.value)}]`;
  }

  const encoder = new TextEncoder();
  const ready = [first.value];
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // Each pull must enqueue or close: a pull that does neither is not called again.
        for (;;) {
          const page = ready.shift() ?? (await pages.next()).value;
          if (!page) {
            controller.enqueue(encoder.encode(started ? ']' : '[]'));
            controller.close();
            return;
          }
          if (page.length === 0) continue; // an empty page past a full one
          controller.enqueue(encoder.encode((started ? ',' : '[') + items(page)));
          started = true;
          return;
        }
      } catch (err) {
        onError(err);
        controller.error(err);
      }
    },
    async cancel() {
      // The client went away: stop reading pages.
      await pages.return(undefined);
    },
  });
}
