/**
 * A JSON array sent as its pages arrive, byte for byte what `JSON.stringify(allItems)` gives
 * (`[`, items without whitespace joined by `,`, `]`), one chunk per page. Only one page is
 * held at a time. If reading a page fails after the first chunk went out (the status is sent
 * by then), the stream errors instead of closing: the runtime aborts the response (a chunked
 * body without its last chunk, a reset connection), so a client never mistakes a cut-off list
 * for a complete one — the closing `]` is only ever written after the last page.
 */
export function jsonArrayStream<T>(
  pages: AsyncGenerator<T[], void, undefined>,
  render: (item: T) => unknown,
  onError: (err: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // Each pull must enqueue or close: a pull that does neither is not called again.
        for (;;) {
          const page = await pages.next();
          if (page.done) {
            controller.enqueue(encoder.encode(started ? ']' : '[]'));
            controller.close();
            return;
          }
          if (page.value.length === 0) continue; // an empty page past a full one
          const items = page.value.map((item) => JSON.stringify(render(item))).join(',');
          controller.enqueue(encoder.encode((started ? ',' : '[') + items));
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
