import { useEffect, useState } from 'hono/jsx/dom';
import { api, formatBytes, type Image, type ShareLink, sharedPageUrl } from './api';
import { follow, navigate } from './router';

const EXPIRIES: [string, number][] = [
  ['1 hour', 3600],
  ['1 day', 86400],
  ['7 days', 7 * 86400],
  ['30 days', 30 * 86400],
];

const when = (iso: string) => new Date(iso).toLocaleString();

function TagEditor({ image, onSaved }: { image: Image; onSaved: (tags: string[]) => void }) {
  const [tags, setTags] = useState(image.tags);
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');

  const save = async (next: string[]) => {
    setError('');
    try {
      const saved = await api<{ tags: string[] } | string[]>('PUT', `/images/${image.id}/tags`, { tags: next });
      const list = Array.isArray(saved) ? saved : saved.tags;
      setTags(list);
      onSaved(list);
      setMessage('Tags saved.');
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      <ul class="chips" aria-label="Tags of this image">
        {tags.map((t) => (
          <li class="chip" key={t}>
            {t}
            <button
              type="button"
              class="chip-remove"
              aria-label={`Remove tag ${t}`}
              onClick={() => save(tags.filter((x) => x !== t))}
            >
              ×
            </button>
          </li>
        ))}
        {tags.length === 0 && <li class="hint">No tags.</li>}
      </ul>
      <form
        class="inline-form"
        onSubmit={(e: Event) => {
          e.preventDefault();
          const added = draft
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean);
          if (added.length === 0) return;
          setDraft('');
          save([...tags, ...added.filter((t) => !tags.includes(t))]);
        }}
      >
        <label>
          Add tags
          <input
            type="text"
            name="new-tags"
            value={draft}
            placeholder="comma-separated"
            onInput={(e: Event) => setDraft((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Add</button>
      </form>
      <p class="status" role="status">
        {message}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function ShareLinks({ image }: { image: Image }) {
  const [links, setLinks] = useState<ShareLink[] | undefined>();
  const [expiresIn, setExpiresIn] = useState(86400);
  const [error, setError] = useState('');
  const [copied, setCopied] = useState('');

  const refresh = () =>
    api<{ items: ShareLink[] }>('GET', `/images/${image.id}/links`).then(
      (r) => setLinks(r.items),
      (err: Error) => setError(err.message),
    );
  useEffect(() => {
    refresh();
  }, [image.id]);

  const run = async (action: () => Promise<unknown>) => {
    setError('');
    try {
      await action();
      await refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const copy = async (link: ShareLink) => {
    try {
      await navigator.clipboard.writeText(sharedPageUrl(link));
      setCopied('Link copied.');
    } catch {
      setCopied('Copying is not allowed here: select the link and copy it.');
    }
  };

  return (
    <section aria-labelledby="links-title">
      <h2 id="links-title">Share links</h2>
      <form
        class="inline-form"
        onSubmit={(e: Event) => {
          e.preventDefault();
          run(() => api('POST', `/images/${image.id}/links`, { expires_in: expiresIn }));
        }}
      >
        <label>
          Expires after
          <select
            name="expires"
            onChange={(e: Event) => setExpiresIn(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {EXPIRIES.map(([label, seconds]) => (
              <option value={String(seconds)} selected={seconds === expiresIn}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create link
        </button>
      </form>
      {links === undefined ? (
        <p class="status">Loading links…</p>
      ) : links.length === 0 ? (
        <p class="hint">No live links.</p>
      ) : (
        <ul class="links" aria-label="Live share links">
          {links.map((link) => (
            <li key={link.id} class="link-row">
              <a href={sharedPageUrl(link)} class="share-url" target="_blank" rel="noopener">
                {sharedPageUrl(link)}
              </a>
              <span class="hint">until {when(link.expires_at)}</span>
              <button type="button" onClick={() => copy(link)}>
                Copy
              </button>
              <button type="button" onClick={() => run(() => api('DELETE', `/images/${image.id}/links/${link.id}`))}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="status" role="status">
        {copied}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** One image: full size, its facts, tags, download, delete, share links. */
export function ImageView({ id }: { id: number }) {
  const [image, setImage] = useState<Image | undefined>();
  const [error, setError] = useState('');
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    setImage(undefined);
    setError('');
    api<Image>('GET', `/images/${id}`).then(setImage, (err: Error) => setError(err.message));
  }, [id]);

  const remove = async () => {
    try {
      await api('DELETE', `/images/${id}`);
      navigate('/app');
    } catch (err) {
      setError((err as Error).message);
      setConfirming(false);
    }
  };

  return (
    <main class="image-view">
      <p>
        <a href="/app" onClick={follow}>
          ← All images
        </a>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!image && !error && (
        <p class="status" role="status">
          Loading…
        </p>
      )}
      {image && (
        <div class="image-layout">
          <figure class="full">
            <img
              src={image.file_url}
              alt={image.name}
              width={image.width ?? undefined}
              height={image.height ?? undefined}
            />
          </figure>
          <div class="image-side">
            <h1 class="image-name">{image.name}</h1>
            <dl class="facts">
              <dt>Size</dt>
              <dd>{formatBytes(image.size)}</dd>
              <dt>Type</dt>
              <dd>{image.content_type}</dd>
              <dt>Dimensions</dt>
              <dd>{image.width && image.height ? `${image.width} × ${image.height} px` : 'unknown'}</dd>
              <dt>Uploaded</dt>
              <dd>
                <time datetime={image.created_at}>{when(image.created_at)}</time>
              </dd>
            </dl>
            <p class="actions">
              <a class="button" href={image.file_url} download={image.name}>
                Download
              </a>
              {!confirming && (
                <button type="button" class="danger" onClick={() => setConfirming(true)}>
                  Delete…
                </button>
              )}
            </p>
            {confirming && (
              <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
                <p id="confirm-text">Delete {image.name} for good? Its share links stop working.</p>
                <button type="button" class="danger" onClick={remove}>
                  Delete image
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </div>
            )}
            <TagEditor image={image} onSaved={(tags) => setImage({ ...image, tags })} />
            <ShareLinks image={image} />
          </div>
        </div>
      )}
    </main>
  );
}
