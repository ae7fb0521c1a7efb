/**
 * A JSON array read page by page, byte for byte what `JSON.stringify(allItems)` gives (`[`,
 * items without whitespace joined by `,`, `]`). When the first page is also the last (most
 * lists: the generator ends right after it), it is that string, sent with its length. Otherwise
 * it is a stream, one chunk per page, holding at most two pages at a time (the second is read
 * before answering, to know which). If reading a page fails after the first chunk went out
 * (the status is sent by then), the stream errors instead of closing: the runtime aborts the
 * response (a chunked body without its last chunk, a reset connection), so a client never
 * mistakes a cut-off list for a complete one — the closing `]` is only ever written after the
 * last page.
 */
export async function jsonArrayBody<T>(
  pages: AsyncGenerator<T[], void, undefined>,
  render: (item: T) => unknown,
  onError: (err: unknown) => void,
): Promise<string | ReadableStream<Uint8Array>> {
  // One stringify per page; its brackets are dropped where pages are joined.
  const items = (page: T[]) => JSON.stringify(page.map(render)).slice(1, -1);
  const first = await pages.next();
  // The generator ends without another read when its first page is the whole list.
  const second = first.done ? first : await pages.next();
  if (second.done) return `[${first.done ? '' : items(first.value)}]`;

  const encoder = new TextEncoder();
  const ready = [first.value as T[], second.value];
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
