export interface CodeBlock {
  /** The fence's language (`sh`, `ts`, …). */
  lang: string;
  /** The block's text, without the fence's indentation. */
  body: string;
  /** The names of its `<!-- ci: … -->` marker. */
  names: string[];
  /** Why CI does not run it (`ci: skip (…)`), or undefined when it does. */
  skip: string | undefined;
  /** The page's line of its opening fence. */
  line: number;
}
/** Every fenced block of a page (the README or a docs page), in order, with its CI marker. */
export function codeBlocks(markdown: string): CodeBlock[];
/** The bodies of the fenced blocks whose `<!-- ci: … -->` marker names `name`. */
export function readmeBlocks(markdown: string, name: string): string[];
/** The ```sh blocks CI runs against `npm start`: all but those marked skip. */
export function runnableShellBlocks(markdown: string): CodeBlock[];
/** The pages whose runnable sh blocks CI runs against `npm start`, in order. */
export const RUN_PAGES: string[];
/** Every page that may hold marked blocks, relative to the repo root: README.md, then docs/*.md. */
export function docPages(): string[];
