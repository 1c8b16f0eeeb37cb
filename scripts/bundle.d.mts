export const BUNDLE: string;
/** The bundle's URL, built first if a source is newer; undefined when it cannot be built here. */
export function bundled(): Promise<string | undefined>;
