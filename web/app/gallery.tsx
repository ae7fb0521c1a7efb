import { useEffect, useRef, useState } from 'hono/jsx/dom';
import { api, type Image, type ImagePage, type TagCount, variantUrl } from './api';
import { follow } from './router';
import { Uploader } from './upload';

export interface Filters {
  tags: string[];
  from: string;
  to: string;
}

const PAGE_SIZE = 50;
/** A tag filter may return empty pages while more follow (the API says so): follow a few at once. */
const EMPTY_PAGES_FOLLOWED = 5;

function query(filters: Filters, cursor: string | null): string {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const tag of filters.tags) q.append('tag', tag);
  if (filters.from) q.set('start_date', filters.from);
  if (filters.to) q.set('end_date', filters.to);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

function Thumbnail({ image }: { image: Image }) {
  const ratio = image.width && image.height ? `${image.width} × ${image.height}` : '';
  return (
    <li class="thumb">
      <a href={`/app/images/${image.id}`} onClick={follow} aria-label={`${image.name}${ratio ? `, ${ratio}` : ''}`}>
        <img
          src={image.thumbnail_url}
          srcset={`${image.thumbnail_url} 256w, ${variantUrl(image, 512)} 512w`}
          sizes="(max-width: 600px) 45vw, 200px"
          alt={image.name}
          loading="lazy"
          decoding="async"
          width={256}
          height={256}
        />
        <span class="thumb-name">{image.name}</span>
      </a>
    </li>
  );
}

/** The grid, newest first, with tag and date filters, more on scroll; uploads at the top. */
export function Gallery() {
  const [filters, setFilters] = useState<Filters>({ tags: [], from: '', to: '' });
  const [tags, setTags] = useState<TagCount[]>([]);
  const [images, setImages] = useState<Image[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'idle' | 'end' | 'error'>('loading');
  const [error, setError] = useState('');
  const generation = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);

  const loadTags = () =>
    api<{ items: TagCount[] }>('GET', '/tags').then(
      (r) => setTags(r.items),
      () => setTags([]),
    );

  const load = async (from: string | null, reset: boolean) => {
    const mine = reset ? ++generation.current : generation.current;
    setState('loading');
    try {
      let next = from;
      let found: Image[] = [];
      for (let i = 0; i < EMPTY_PAGES_FOLLOWED; i++) {
        const page = await api<ImagePage>('GET', `/images?${query(filters, next)}`);
        found = found.concat(page.items);
        next = page.next_cursor;
        if (found.length > 0 || next === null) break;
      }
      if (mine !== generation.current) return;
      setImages((all) => (reset ? found : all.concat(found)));
      setCursor(next);
      setState(next === null ? 'end' : 'idle');
    } catch (err) {
      if (mine !== generation.current) return;
      setError((err as Error).message);
      setState('error');
    }
  };

  useEffect(() => {
    load(null, true);
  }, [filters]);
  useEffect(() => {
    loadTags();
  }, []);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || state !== 'idle') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load(cursor, false);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [state, cursor]);

  const toggleTag = (name: string) =>
    setFilters((f) => ({ ...f, tags: f.tags.includes(name) ? f.tags.filter((t) => t !== name) : [...f.tags, name] }));
  const filtered = filters.tags.length > 0 || filters.from !== '' || filters.to !== '';

  return (
    <main class="gallery">
      <Uploader
        onUploaded={(image) => {
          if (!filtered) setImages((all) => [image, ...all.filter((i) => i.id !== image.id)]);
          loadTags();
        }}
      />
      <section class="card filters" aria-labelledby="filter-title">
        <h2 id="filter-title">Filter</h2>
        <fieldset class="chips">
          <legend class="visually-hidden">Tags (images must have all the chosen ones)</legend>
          {tags.length === 0 && <p class="hint">No tags yet: add them when you upload, or on an image.</p>}
          {tags.map((t) => (
            <button
              type="button"
              class="chip"
              aria-pressed={filters.tags.includes(t.name) ? 'true' : 'false'}
              onClick={() => toggleTag(t.name)}
            >
              {t.name} <span class="count">{t.count}</span>
            </button>
          ))}
        </fieldset>
        <div class="dates">
          <label>
            From
            <input
              type="date"
              name="from"
              value={filters.from}
              onChange={(e: Event) => setFilters((f) => ({ ...f, from: (e.currentTarget as HTMLInputElement).value }))}
            />
          </label>
          <label>
            To
            <input
              type="date"
              name="to"
              value={filters.to}
              onChange={(e: Event) => setFilters((f) => ({ ...f, to: (e.currentTarget as HTMLInputElement).value }))}
            />
          </label>
          {filtered && (
            <button type="button" class="link" onClick={() => setFilters({ tags: [], from: '', to: '' })}>
              Clear filters
            </button>
          )}
        </div>
      </section>
      <section aria-labelledby="images-title" aria-busy={state === 'loading' ? 'true' : 'false'}>
        <h2 id="images-title" class="visually-hidden">
          Your images
        </h2>
        {images.length > 0 && (
          <ul class="grid" aria-label="Images, newest first">
            {images.map((image) => (
              <Thumbnail key={image.id} image={image} />
            ))}
          </ul>
        )}
        {state === 'end' && images.length === 0 && (
          <p class="empty">{filtered ? 'No image matches these filters.' : 'No images yet: upload some above.'}</p>
        )}
        {state === 'loading' && (
          <p class="status" role="status">
            Loading images…
          </p>
        )}
        {state === 'error' && (
          <p class="error" role="alert">
            {error}{' '}
            <button type="button" onClick={() => load(cursor, images.length === 0)}>
              Try again
            </button>
          </p>
        )}
        {state === 'idle' && (
          <div ref={sentinel} class="more">
            <button type="button" onClick={() => load(cursor, false)}>
              Load more
            </button>
          </div>
        )}
      </section>
    </main>
  );
}
