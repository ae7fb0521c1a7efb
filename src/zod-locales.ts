// Stands in for zod's `locales/index.js` in the Workers bundle (wrangler.toml `[alias]`): zod
// re-exports every locale as a namespace object, so the bundler keeps all of them (a large share of
// the bundle) although only English is ever used. English stays: zod's schemas register it as the default.
export { default as en } from 'zod/v4/locales/en.js';
