import { useEffect, useState } from 'hono/jsx/dom';
import { type ApiKey, api, type CreatedApiKey, formatBytes, type Usage, type User } from './api';

function Meter({
  label,
  used,
  max,
  format,
}: {
  label: string;
  used: number;
  max: number | null;
  format: (n: number) => string;
}) {
  return (
    <div class="meter-row">
      <p>
        {label}: {format(used)}
        {max === null ? ' (no limit)' : ` of ${format(max)}`}
      </p>
      {max !== null && (
        <meter min={0} max={max} value={used} high={max * 0.9} optimum={0} aria-label={`${label} used of the quota`} />
      )}
    </div>
  );
}

function ApiKeys() {
  const [keys, setKeys] = useState<ApiKey[] | undefined>();
  const [created, setCreated] = useState<CreatedApiKey | undefined>();
  const [error, setError] = useState('');

  const refresh = () =>
    api<{ items: ApiKey[] }>('GET', '/user/keys').then(
      (r) => setKeys(r.items),
      (err: Error) => setError(err.message),
    );
  useEffect(() => {
    refresh();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const days = Number(data.get('days'));
    setError('');
    try {
      setCreated(
        await api<CreatedApiKey>('POST', '/user/keys', {
          name: String(data.get('name') ?? '') || undefined,
          scope: String(data.get('scope')),
          ...(days > 0 ? { expires_in: days * 86400 } : {}),
        }),
      );
      form.reset();
      await refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const revoke = async (id: number) => {
    setError('');
    try {
      await api('DELETE', `/user/keys/${id}`);
      await refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section class="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p class="hint">
        For scripts: send a key as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <form class="inline-form" onSubmit={create}>
        <label>
          Name
          <input type="text" name="name" maxlength={100} placeholder="backup script" />
        </label>
        <label>
          Scope
          <select name="scope">
            <option value="read">read</option>
            <option value="read-write">read-write</option>
          </select>
        </label>
        <label>
          Expires after (days, empty: never)
          <input type="number" name="days" min={1} max={3650} />
        </label>
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created && (
        <div class="secret" role="status">
          <p>
            Your new key <strong>{created.name ?? created.prefix}</strong>. Copy it now: it is not shown again.
          </p>
          <code class="secret-value">{created.key}</code>
          <button type="button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {keys && keys.length === 0 && <p class="hint">No keys.</p>}
      {keys && keys.length > 0 && (
        <ul class="keys" aria-label="Your API keys">
          {keys.map((k) => (
            <li key={k.id} class="link-row">
              <span>
                <strong>{k.name ?? 'unnamed'}</strong> <code>{k.prefix}…</code> {k.scope}
                {k.expires_at ? `, expires ${new Date(k.expires_at).toLocaleDateString()}` : ''}
              </span>
              <button type="button" onClick={() => revoke(k.id)} aria-label={`Revoke key ${k.name ?? k.prefix}`}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What the account stores against its quota, and its API keys. */
export function Account({ user }: { user: User }) {
  const [usage, setUsage] = useState<Usage | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<Usage>('GET', '/user/usage').then(setUsage, (err: Error) => setError(err.message));
  }, []);
  return (
    <main class="account">
      <h1>Account</h1>
      <section class="card" aria-labelledby="usage-title">
        <h2 id="usage-title">Usage</h2>
        <p>Signed in as {user.email}.</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {usage && (
          <>
            <Meter
              label="Storage"
              used={usage.storage.bytes_stored}
              max={usage.storage.limits.max_bytes}
              format={formatBytes}
            />
            <Meter
              label="Images"
              used={usage.storage.images_count}
              max={usage.storage.limits.max_images}
              format={String}
            />
          </>
        )}
      </section>
      <ApiKeys />
    </main>
  );
}
