/** The bodies of the fenced blocks right after each `<!-- ci: name -->` marker of a README. */
export function readmeBlocks(markdown: string, name: string): string[];
