import { useState } from 'hono/jsx/dom';
import { api, type User } from './api';

/** Sign in or register; on success hands the user to the app. */
export function SignIn({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const credentials = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
    setBusy(true);
    setError('');
    try {
      if (mode === 'register') await api('POST', '/user/register', credentials);
      await api('POST', '/user/login', credentials);
      onSignedIn(await api<User>('GET', '/user'));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const registering = mode === 'register';
  return (
    <main class="auth">
      <h1>ImageAPI</h1>
      <p>Keep your images, tag them, share them.</p>
      <form class="card" onSubmit={submit} aria-labelledby="auth-title">
        <h2 id="auth-title">{registering ? 'Create an account' : 'Sign in'}</h2>
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={registering ? 'new-password' : 'current-password'}
            minlength={8}
            maxlength={1024}
            required
          />
        </label>
        {registering && <p class="hint">At least 8 characters.</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {registering ? 'Create account' : 'Sign in'}
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(registering ? 'signin' : 'register');
            setError('');
          }}
        >
          {registering ? 'I have an account: sign in' : 'New here? Create an account'}
        </button>
      </form>
    </main>
  );
}
