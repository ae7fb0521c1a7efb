import { render, useEffect, useState } from 'hono/jsx/dom';
import { Account } from './account';
import { ApiError, api, type User } from './api';
import { SignIn } from './auth';
import { Gallery } from './gallery';
import { ImageView } from './image';
import { follow, navigate, useRoute } from './router';

function App() {
  const [user, setUser] = useState<User | null | undefined>();
  const [error, setError] = useState('');
  const route = useRoute();

  useEffect(() => {
    api<User>('GET', '/user').then(setUser, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) setUser(null);
      else setError((err as Error).message);
    });
  }, []);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (user === undefined)
    return (
      <p class="status" role="status">
        Loading…
      </p>
    );
  if (user === null) return <SignIn onSignedIn={setUser} />;

  const signOut = async () => {
    await api('POST', '/user/logout').catch(() => undefined);
    setUser(null);
    navigate('/app');
  };

  return (
    <>
      <header class="top">
        <a class="brand" href="/app" onClick={follow}>
          ImageAPI
        </a>
        <nav aria-label="Main">
          <a href="/app" onClick={follow} aria-current={route.view === 'gallery' ? 'page' : undefined}>
            Images
          </a>
          <a href="/app/account" onClick={follow} aria-current={route.view === 'account' ? 'page' : undefined}>
            Account
          </a>
          <a href="/api/apidoc/swagger">API docs</a>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </nav>
      </header>
      {route.view === 'gallery' && <Gallery />}
      {route.view === 'image' && <ImageView id={route.id} />}
      {route.view === 'account' && <Account user={user} />}
    </>
  );
}

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
