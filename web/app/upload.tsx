import { useRef, useState } from 'hono/jsx/dom';
import { ApiError, formatBytes, type Image, type UploadHandle, uploadImage } from './api';

interface Item {
  key: number;
  file: File;
  state: 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';
  loaded: number;
  speed: number;
  error?: string;
  handle?: UploadHandle;
}

/** Uploads at once; the rest wait their turn (the server also caps uploads in flight per user). */
const PARALLEL = 3;
let nextKey = 1;

/** Pick or drop files; one progress bar each, with cancel and retry. */
export function Uploader({ onUploaded }: { onUploaded: (image: Image) => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [tags, setTags] = useState('');
  const queue = useRef<Item[]>([]);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: number, change: Partial<Item>) =>
    setItems((all) => all.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const pump = () => {
    const running = queue.current.filter((i) => i.state === 'uploading').length;
    for (const item of queue.current.filter((i) => i.state === 'waiting').slice(0, PARALLEL - running)) start(item);
  };

  const start = (item: Item) => {
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    item.state = 'uploading';
    item.handle = uploadImage(item.file, tagList, (p) => update(item.key, { loaded: p.loaded, speed: p.speed }));
    update(item.key, { state: 'uploading', loaded: 0, speed: 0, error: undefined, handle: item.handle });
    item.handle.done.then(
      (image) => {
        item.state = 'done';
        update(item.key, { state: 'done', loaded: item.file.size });
        onUploaded(image);
        pump();
      },
      (err: unknown) => {
        const cancelled = err instanceof DOMException && err.name === 'AbortError';
        item.state = cancelled ? 'cancelled' : 'failed';
        update(item.key, {
          state: item.state,
          error: cancelled ? 'Cancelled.' : err instanceof ApiError ? err.message : String(err),
        });
        pump();
      },
    );
  };

  const add = (files: FileList | null) => {
    if (!files?.length) return;
    const added: Item[] = [...files].map((file) => ({ key: nextKey++, file, state: 'waiting', loaded: 0, speed: 0 }));
    queue.current = [...queue.current, ...added];
    setItems((all) => [...all, ...added]);
    pump();
  };

  const retry = (key: number) => {
    const item = queue.current.find((i) => i.key === key);
    if (!item) return;
    item.state = 'waiting';
    update(key, { state: 'waiting', loaded: 0, error: undefined });
    pump();
  };

  const cancel = (key: number) => {
    const item = queue.current.find((i) => i.key === key);
    if (item?.state === 'waiting') {
      item.state = 'cancelled';
      update(key, { state: 'cancelled', error: 'Cancelled.' });
    } else item?.handle?.cancel();
  };

  const clearFinished = () => {
    queue.current = queue.current.filter((i) => i.state === 'uploading' || i.state === 'waiting');
    setItems((all) => all.filter((i) => i.state === 'uploading' || i.state === 'waiting'));
  };

  return (
    <section class="card uploader" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a shortcut for the file picker inside it, which keyboards use */}
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e: DragEvent) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e: DragEvent) => {
          e.preventDefault();
          setDragging(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop images here, or</p>
        <label class="button primary">
          Choose images
          <input
            ref={input}
            class="visually-hidden"
            type="file"
            name="images"
            accept="image/png,image/jpeg,image/gif,image/webp,image/avif,image/bmp,image/tiff"
            multiple
            onChange={(e: Event) => {
              add((e.currentTarget as HTMLInputElement).files);
              (e.currentTarget as HTMLInputElement).value = '';
            }}
          />
        </label>
        <label class="inline">
          Tags for these uploads
          <input
            type="text"
            name="upload-tags"
            placeholder="e.g. holiday, beach"
            value={tags}
            onInput={(e: Event) => setTags((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
      </div>
      {items.length > 0 && (
        <>
          <ul class="uploads" aria-label="Uploads">
            {items.map((item) => (
              <li key={item.key} class={`upload ${item.state}`} data-state={item.state}>
                <span class="upload-name">{item.file.name}</span>
                <progress max={item.file.size || 1} value={item.loaded} aria-label={`Upload of ${item.file.name}`} />
                <span class="upload-figures" aria-live="polite">
                  {item.state === 'done'
                    ? `Done, ${formatBytes(item.file.size)}`
                    : item.state === 'waiting'
                      ? `Waiting, ${formatBytes(item.file.size)}`
                      : item.state === 'uploading'
                        ? `${formatBytes(item.loaded)} of ${formatBytes(item.file.size)}, ${formatBytes(item.speed)}/s`
                        : item.error}
                </span>
                {(item.state === 'uploading' || item.state === 'waiting') && (
                  <button type="button" onClick={() => cancel(item.key)} aria-label={`Cancel ${item.file.name}`}>
                    Cancel
                  </button>
                )}
                {(item.state === 'failed' || item.state === 'cancelled') && (
                  <button type="button" onClick={() => retry(item.key)} aria-label={`Retry ${item.file.name}`}>
                    Retry
                  </button>
                )}
                {item.state === 'failed' && (
                  <span class="visually-hidden" role="alert">{`${item.file.name}: ${item.error}`}</span>
                )}
              </li>
            ))}
          </ul>
          <button type="button" class="link" onClick={clearFinished}>
            Clear finished
          </button>
        </>
      )}
    </section>
  );
}
