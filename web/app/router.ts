import { useEffect, useState } from 'hono/jsx/dom';

/** The app's own addresses under /app, kept in the history so Back and links work. */
export type Route = { view: 'gallery' } | { view: 'image'; id: number } | { view: 'account' };

export function parseRoute(pathname: string): Route {
  const image = /^\/app\/images\/(\d+)$/.exec(pathname);
  if (image) return { view: 'image', id: Number(image[1]) };
  if (pathname === '/app/account') return { view: 'account' };
  return { view: 'gallery' };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (location.pathname + location.search === path) return;
  history.pushState(null, '', path);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A link the app follows itself; a modified click (new tab) is left to the browser. */
export function follow(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null)?.getAttribute('href');
  if (!a) return;
  e.preventDefault();
  navigate(a);
}
